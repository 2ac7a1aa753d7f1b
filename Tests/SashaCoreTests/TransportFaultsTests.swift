#if canImport(Glibc)
import Glibc
#endif
@testable import SashaCore
import SashaSDK
import Testing

/// The ring socket's error ledger: counts by cause and peer, and a log line per change only.
@Suite("Transport faults")
struct TransportFaultsTests {
    static let a = IPv4Address("198.18.0.2")!, b = IPv4Address("198.18.0.3")!
    static let ms: UInt64 = 1_000_000

    @Test("a link down for many heartbeats is one line when it starts and one when it ends, and every datagram counts")
    func oneLinePerChange() {
        var faults = TransportFaults()
        #expect(faults.sent(to: Self.a, now: 0) == nil)
        #expect(faults.sendFailed(to: Self.a, errno: ENETUNREACH, now: 10 * Self.ms)
            == .failing(peer: Self.a, cause: .networkUnreachable, errno: ENETUNREACH))
        for step in 1...29 {
            #expect(faults.sendFailed(to: Self.a, errno: ENETUNREACH, now: (10 + UInt64(step) * 100) * Self.ms) == nil)
        }
        #expect(faults.peers[Self.a]?.failing == .networkUnreachable)
        #expect(faults.sent(to: Self.a, now: 3_010 * Self.ms)
            == .recovered(peer: Self.a, cause: .networkUnreachable, failures: 30, nanoseconds: 3_000 * Self.ms))
        #expect(faults.sent(to: Self.a, now: 3_020 * Self.ms) == nil)
        #expect(faults.sendErrors == [.networkUnreachable: 30])
        #expect(faults.peers[Self.a]?.errors == [.networkUnreachable: 30])
        #expect(faults.peers[Self.a]?.failing == nil)
    }

    @Test("each peer has its own state: one failing does not make another's success a recovery")
    func perPeer() {
        var faults = TransportFaults()
        #expect(faults.sendFailed(to: Self.a, errno: EPERM, now: 0) == .failing(peer: Self.a, cause: .firewall, errno: EPERM))
        #expect(faults.sent(to: Self.b, now: 1) == nil)
        #expect(faults.sendFailed(to: Self.b, errno: EHOSTUNREACH, now: 2) == .failing(peer: Self.b, cause: .hostUnreachable, errno: EHOSTUNREACH))
        #expect(faults.sendErrors == [.firewall: 1, .hostUnreachable: 1])
        #expect(faults.sent(to: Self.a, now: 3) == .recovered(peer: Self.a, cause: .firewall, failures: 1, nanoseconds: 3))
        #expect(faults.peers[Self.b]?.failing == .hostUnreachable)
    }

    @Test("a peer that goes on failing for another reason is one more line, and recovery names the latest cause")
    func causeChanges() {
        var faults = TransportFaults()
        _ = faults.sendFailed(to: Self.a, errno: ENETUNREACH, now: 0)
        #expect(faults.sendFailed(to: Self.a, errno: EPERM, now: 1)
            == .causeChanged(peer: Self.a, from: .networkUnreachable, to: .firewall, errno: EPERM))
        #expect(faults.sendFailed(to: Self.a, errno: EPERM, now: 2) == nil)
        #expect(faults.sent(to: Self.a, now: 5) == .recovered(peer: Self.a, cause: .firewall, failures: 3, nanoseconds: 5))
        #expect(faults.peers[Self.a]?.errors == [.networkUnreachable: 1, .firewall: 2])
    }

    @Test("cut off means every peer sent to lately fails for a local cause: one unroutable member among working ones is not, dead peers are not, a link down is")
    func cutOff() {
        var faults = TransportFaults()
        let window = 1_000 * Self.ms
        _ = faults.sent(to: Self.a, now: 0)
        _ = faults.sendFailed(to: Self.b, errno: ENETUNREACH, now: 10 * Self.ms)
        #expect(!faults.isCutOff(now: 20 * Self.ms, window: window))
        // The link goes down: sends to both fail.
        _ = faults.sendFailed(to: Self.a, errno: ENETUNREACH, now: 100 * Self.ms)
        #expect(faults.isCutOff(now: 150 * Self.ms, window: window))
        // Later only b is tried (a was the old neighbour): a's old failure has aged out, b still fails.
        _ = faults.sendFailed(to: Self.b, errno: ENETUNREACH, now: 1_500 * Self.ms)
        #expect(faults.isCutOff(now: 1_600 * Self.ms, window: window))
        // The link is back.
        _ = faults.sent(to: Self.b, now: 1_700 * Self.ms)
        #expect(!faults.isCutOff(now: 1_700 * Self.ms, window: window))
        #expect(!TransportFaults().isCutOff(now: 0, window: window))
        // Every peer dead on a working link (no ARP answer) is not being cut off.
        var alone = TransportFaults()
        _ = alone.sendFailed(to: Self.a, errno: EHOSTUNREACH, now: 0)
        #expect(!alone.isCutOff(now: 0, window: window))
    }

    @Test("errnos map to the causes an operator can act on")
    func causes() {
        let expected: [(CInt, TransportFaults.Cause)] = [
            (ENETUNREACH, .networkUnreachable), (EHOSTUNREACH, .hostUnreachable), (ECONNREFUSED, .refused),
            (EPERM, .firewall), (EACCES, .firewall), (ENOBUFS, .noBuffers), (EAGAIN, .bufferFull),
            (EADDRNOTAVAIL, .addressUnavailable), (EINVAL, .addressUnavailable), (ENETDOWN, .interfaceDown),
            (ENODEV, .interfaceDown), (EMSGSIZE, .tooLarge), (EIO, .other),
        ]
        for (code, cause) in expected { #expect(TransportFaults.Cause(errno: code) == cause, "errno \(code)") }
    }

    @Test("read errors have no peer: one line when a cause starts, one when a datagram arrives again")
    func receiveSide() {
        var faults = TransportFaults()
        #expect(faults.received() == nil)
        #expect(faults.receiveFailed(errno: ECONNREFUSED) == .receiveFailing(cause: .refused, errno: ECONNREFUSED))
        #expect(faults.receiveFailed(errno: ECONNREFUSED) == nil)
        #expect(faults.receiveFailed(errno: ENOMEM) == .receiveFailing(cause: .noBuffers, errno: ENOMEM))
        #expect(faults.received() == .receiveRecovered(cause: .noBuffers, failures: 3))
        #expect(faults.received() == nil)
        #expect(faults.receiveErrors == [.refused: 2, .noBuffers: 1])
        #expect(faults.sendErrors.isEmpty && faults.peers.isEmpty)
    }

    @Test("past the peer limit, strangers are counted together under 0.0.0.0 and the table stops growing")
    func boundedPeers() {
        var faults = TransportFaults()
        for index in 0..<(TransportFaults.peerLimit + 10) {
            _ = faults.sendFailed(to: IPv4Address(UInt32(0xC612_0000) + UInt32(index)), errno: ENETUNREACH, now: 0)
        }
        #expect(faults.peers.count == TransportFaults.peerLimit + 1)
        #expect(faults.peers[TransportFaults.otherPeers]?.errors == [.networkUnreachable: 10])
        #expect(faults.sendErrorTotal == UInt64(TransportFaults.peerLimit + 10))
    }

    @Test("the status shows totals by cause and each peer in address order, with the cause it fails with now (null: it works)")
    func statusReport() throws {
        var faults = TransportFaults()
        _ = faults.sendFailed(to: Self.b, errno: ENETUNREACH, now: 0)
        _ = faults.sendFailed(to: Self.a, errno: EPERM, now: 0)
        _ = faults.sent(to: Self.a, now: 1)
        let report = StatusReport.Transport(faults)
        #expect(report.sendErrors == ["network_unreachable": 1, "firewall": 1])
        #expect(report.peers.map(\.address) == ["198.18.0.2", "198.18.0.3"])
        #expect(report.peers.map(\.failing) == [nil, "network_unreachable"])
        #expect(report.line == "transport errors: send firewall 1, network_unreachable 1, receive none")
    }
}
