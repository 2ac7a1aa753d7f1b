#if canImport(Glibc)
import Glibc
#endif
import SashaSDK

/// The ring socket's send and receive errors, counted by cause and by peer, and the changes worth
/// a log line. A datagram that cannot leave (the link is down, no route, a firewall rule) is lost
/// like any other, and the ring copes with loss; what the operator needs is to know which peer
/// fails, why, since when, and when it works again. So a peer's first failure, a change of cause
/// and its first success afterwards are changes; the datagrams in between only count. A link down
/// for a minute costs two log lines per peer, not one per heartbeat.
///
/// It also tells when this member is cut off: every peer it sent to lately fails.
///
/// A value type with no socket and no clock: the node feeds it errnos and times.
public struct TransportFaults: Sendable, Equatable {
    public enum Cause: String, CaseIterable, Sendable {
        /// ENETUNREACH: no route to the peer's network (the link is down, or no route was ever set).
        case networkUnreachable = "network_unreachable"
        /// EHOSTUNREACH: the peer's host is unreachable (ARP got no answer, or ICMP said so).
        case hostUnreachable = "host_unreachable"
        /// ECONNREFUSED: an ICMP port unreachable came back (nothing listens at the peer's ring port).
        case refused
        /// EPERM, EACCES: a local firewall rule dropped the datagram.
        case firewall
        /// ENOBUFS: the device's queue or the kernel's memory for it is full.
        case noBuffers = "no_buffers"
        /// EAGAIN: the socket's send buffer is full; the datagram is dropped rather than queued.
        case bufferFull = "buffer_full"
        /// EADDRNOTAVAIL, EINVAL: this member's own address is no longer on the host.
        case addressUnavailable = "address_unavailable"
        /// ENETDOWN, ENODEV, ENXIO: the interface is down or gone.
        case interfaceDown = "interface_down"
        /// EMSGSIZE: the datagram is larger than the path allows (an MTU drop).
        case tooLarge = "too_large"
        case other

        public init(errno code: CInt) {
            switch code {
            case ENETUNREACH: self = .networkUnreachable
            case EHOSTUNREACH, EHOSTDOWN: self = .hostUnreachable
            case ECONNREFUSED: self = .refused
            case EPERM, EACCES: self = .firewall
            case ENOBUFS, ENOMEM: self = .noBuffers
            case EAGAIN: self = .bufferFull
            case EADDRNOTAVAIL, EINVAL: self = .addressUnavailable
            case ENETDOWN, ENODEV, ENXIO: self = .interfaceDown
            case EMSGSIZE: self = .tooLarge
            default: self = .other
            }
        }

        /// A fault of this member's own side (no route, its interface or address gone), not of
        /// the peer's: dead peers on a working link give host unreachable at most.
        public var isLocal: Bool {
            self == .networkUnreachable || self == .interfaceDown || self == .addressUnavailable
        }

        /// For a log line: what it is and what usually causes it.
        public var explanation: String {
            switch self {
            case .networkUnreachable: "network unreachable (no route: is the link down?)"
            case .hostUnreachable: "host unreachable (no ARP answer from the peer)"
            case .refused: "refused (ICMP port unreachable: nothing listens on the peer's ring port)"
            case .firewall: "not permitted (a local firewall rule drops it)"
            case .noBuffers: "no buffer space (the device queue is full)"
            case .bufferFull: "socket send buffer full"
            case .addressUnavailable: "this member's address is not on the host any more"
            case .interfaceDown: "the interface is down or gone"
            case .tooLarge: "too large for the path (MTU)"
            case .other: "an unexpected error"
            }
        }
    }

    /// What happened with one peer: failures by cause, and the cause it fails with now.
    public struct Peer: Sendable, Equatable {
        public var errors: [Cause: UInt64] = [:]
        /// Nil while sending to it works.
        public var failing: Cause?
        /// Failures since the last success, and when the first of them happened (monotonic ns).
        var failuresInRow: UInt64 = 0
        var failingSince: UInt64 = 0
        /// When a datagram last went (or failed to go) to it.
        var lastAttempt: UInt64 = 0
    }

    /// A line for the log.
    public enum Change: Sendable, Equatable {
        /// Sending to `peer` fails, after working (or for the first time).
        case failing(peer: IPv4Address, cause: Cause, errno: CInt)
        /// Sending to `peer` still fails, for another reason.
        case causeChanged(peer: IPv4Address, from: Cause, to: Cause, errno: CInt)
        /// Sending to `peer` works again after `failures` datagrams were lost over `nanoseconds`.
        case recovered(peer: IPv4Address, cause: Cause, failures: UInt64, nanoseconds: UInt64)
        /// Reading from the socket fails with `cause` (reads name no peer).
        case receiveFailing(cause: Cause, errno: CInt)
        /// Reading works again.
        case receiveRecovered(cause: Cause, failures: UInt64)
    }

    /// Peers beyond this many are counted together under 0.0.0.0 (the ring is at most 254
    /// members, plus the broadcast address; a stranger's address is never sent to).
    static let peerLimit = 1024
    static let otherPeers = IPv4Address(0)

    public private(set) var sendErrors: [Cause: UInt64] = [:]
    public private(set) var receiveErrors: [Cause: UInt64] = [:]
    public private(set) var peers: [IPv4Address: Peer] = [:]
    /// Peers whose `failing` is set.
    private var failingPeers = 0
    private var receiveFailing: Cause?
    private var receiveFailuresInRow: UInt64 = 0

    public init() {}

    public var sendErrorTotal: UInt64 { sendErrors.values.reduce(0, +) }

    /// A datagram to `peer` could not be sent (`errno`).
    public mutating func sendFailed(to peer: IPv4Address, errno code: CInt, now: UInt64) -> Change? {
        let cause = Cause(errno: code)
        sendErrors[cause, default: 0] += 1
        let key = peers[peer] != nil || peers.count < Self.peerLimit ? peer : Self.otherPeers
        var record = peers[key] ?? Peer()
        record.lastAttempt = now
        record.errors[cause, default: 0] += 1
        record.failuresInRow += 1
        let change: Change?
        switch record.failing {
        case nil:
            record.failing = cause
            record.failingSince = now
            failingPeers += 1
            change = .failing(peer: key, cause: cause, errno: code)
        case let before? where before != cause:
            record.failing = cause
            change = .causeChanged(peer: key, from: before, to: cause, errno: code)
        default:
            change = nil
        }
        peers[key] = record
        return change
    }

    /// A datagram to `peer` went out.
    public mutating func sent(to peer: IPv4Address, now: UInt64) -> Change? {
        guard var record = peers[peer] else {
            if peers.count < Self.peerLimit { peers[peer] = Peer(lastAttempt: now) }
            return nil
        }
        record.lastAttempt = now
        guard let cause = record.failing else {
            peers[peer] = record
            return nil
        }
        let change = Change.recovered(peer: peer, cause: cause, failures: record.failuresInRow,
                                      nanoseconds: now >= record.failingSince ? now - record.failingSince : 0)
        record.failing = nil
        record.failuresInRow = 0
        failingPeers -= 1
        peers[peer] = record
        return change
    }

    /// Whether every peer a datagram went to within `window` before `now` is failing for a local
    /// cause: this member is cut off (its link is down or gone), not merely missing one peer,
    /// and not the last one standing among dead peers.
    public func isCutOff(now: UInt64, window: UInt64) -> Bool {
        guard failingPeers > 0 else { return false }
        var recent = false
        for peer in peers.values where peer.lastAttempt + window >= now {
            guard peer.failing?.isLocal == true else { return false }
            recent = true
        }
        return recent
    }

    /// Reading from the socket failed (`errno`).
    public mutating func receiveFailed(errno code: CInt) -> Change? {
        let cause = Cause(errno: code)
        receiveErrors[cause, default: 0] += 1
        receiveFailuresInRow += 1
        guard receiveFailing != cause else { return nil }
        receiveFailing = cause
        return .receiveFailing(cause: cause, errno: code)
    }

    /// A datagram arrived.
    public mutating func received() -> Change? {
        guard let cause = receiveFailing else { return nil }
        let change = Change.receiveRecovered(cause: cause, failures: receiveFailuresInRow)
        receiveFailing = nil
        receiveFailuresInRow = 0
        return change
    }
}
