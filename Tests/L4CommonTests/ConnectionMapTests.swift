@testable import L4Common
import SashaABI
import SashaPacket
import SashaSDK
import Synchronization
import Testing

/// The clock and the policy's answer the fake host gives the map (C callbacks capture nothing).
private let fakeNow = Atomic<UInt64>(0)
/// What the "policy" answers for any flow: a consistent policy's guess (or 0: no server).
private let fakePick = Atomic<UInt32>(0)
/// What the map told the policy: connections opened and closed.
private let fakeOpened = Atomic<Int>(0)
private let fakeClosed = Atomic<Int>(0)

/// A host table with only the clock and `pick`: what the map uses.
private let fakeHost: PluginHost = {
    let table = UnsafeMutablePointer<sasha_host>.allocate(capacity: 1)
    table.initialize(to: sasha_host(
        struct_size: UInt32(MemoryLayout<sasha_host>.size), abi_version: SASHA_ABI_VERSION, context: nil,
        log: nil, register_counter: nil, register_gauge: nil, counter_add: nil, gauge_set: nil,
        monotonic_ns: { _ in fakeNow.load(ordering: .relaxed) },
        pick: { _, _ in fakePick.load(ordering: .relaxed) },
        connection_opened: { _, _ in fakeOpened.add(1, ordering: .relaxed) },
        connection_closed: { _, _ in fakeClosed.add(1, ordering: .relaxed) },
        exclude_server: nil, serve_also: nil, data_path_failed: nil))
    return PluginHost(UnsafePointer(table))
}()

/// A new dispatcher's map while the servers' lists arrive: segments of connections it does not
/// know are held, not placed by a consistent policy's guess, and sent on once a list names them.
@Suite("connection map", .serialized)
struct ConnectionMapTests {
    let vip = IPv4Address("198.18.1.100")!
    let client = IPv4Address("198.18.1.10")!
    let listed = IPv4Address("198.18.2.12")!
    let guess = IPv4Address("198.18.2.13")!

    func map(_ extra: [String: JSONValue] = [:]) throws -> (ConnectionMap, L4Counters) {
        let context = StrategyContext(node: IPv4Address("198.18.2.1")!, vip: vip, ports: [80])
        let values = extra.merging(["interface": .string("eth0")]) { first, _ in first }
        let settings = try L4Settings(options: PluginOptions(values: values), context: context, validating: false)
        let counters = L4Counters()
        return (ConnectionMap(settings: settings, host: fakeHost, counters: counters, node: IPv4Address("198.18.2.1")!), counters)
    }

    /// The fake host's clock at `now`, the policy answering `guess`, no connection counted yet.
    func reset(at now: UInt64) {
        fakeNow.store(now, ordering: .relaxed)
        fakePick.store(guess.value, ordering: .relaxed)
        fakeOpened.store(0, ordering: .relaxed)
        fakeClosed.store(0, ordering: .relaxed)
    }

    /// An Ethernet/IPv4/TCP frame from the client's `port` to the VIP's port 80 with `flags`
    /// (ACK: a segment of an established connection).
    func segment(port: UInt16, flags: UInt8 = 0x10) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: 54)
        frame[12] = 0x08
        frame[14] = 0x45
        frame[16] = 0
        frame[17] = 40
        frame[22] = 64
        frame[23] = 6
        for (index, byte) in withUnsafeBytes(of: client.value.bigEndian, Array.init).enumerated() { frame[26 + index] = byte }
        for (index, byte) in withUnsafeBytes(of: vip.value.bigEndian, Array.init).enumerated() { frame[30 + index] = byte }
        frame[34] = UInt8(port >> 8)
        frame[35] = UInt8(port & 0xFF)
        frame[37] = 80
        frame[46] = 0x50
        frame[47] = flags
        return frame
    }

    /// Runs the frame through the map as the path does: the server it goes to, or nil.
    func offer(_ map: ConnectionMap, _ bytes: [UInt8]) -> IPv4Address? {
        var frame = bytes
        return frame.withUnsafeMutableBytes { buffer in
            guard case .ipv4TCP(let tcp) = classify(buffer) else { return nil }
            return map.server(for: tcp, frame: buffer, now: fakeNow.load(ordering: .relaxed))
        }
    }

    @Test("while lists are awaited, an unknown connection's segment is held, then sent to the server its list names")
    func heldUntilTheList() throws {
        fakeNow.store(1_000_000_000, ordering: .relaxed)
        fakePick.store(guess.value, ordering: .relaxed)  // a consistent policy would send it here
        let (map, counters) = try map()
        map.expectLists()
        #expect(offer(map, segment(port: 40_001)) == nil)
        #expect(counters.framesHeld.load(ordering: .relaxed) == 1 && counters.dropped(.awaitingLists) == 0)

        var sentTo: [IPv4Address?] = []
        let release = { (now: UInt64) in
            fakeNow.store(now, ordering: .relaxed)
            map.tidy(now: now) { frame in
                guard case .ipv4TCP(let tcp) = classify(frame) else { return }
                sentTo.append(map.server(for: tcp, frame: frame, now: now))
            }
        }
        release(1_010_000_000)
        #expect(sentTo.isEmpty, "nothing was imported yet: the frame stays held")

        map.importConnections([Connection(client: client, clientPort: 40_001, clusterPort: 80, server: listed)])
        release(1_030_000_000)  // past the 10 ms sweep: the import loads, the frame goes on
        #expect(sentTo == [listed], "it went to its list's server, not the policy's guess")
        #expect(offer(map, segment(port: 40_001)) == listed)
    }

    @Test("a segment no list names is dropped after the wait; then a consistent policy places it")
    func expiresAfterTheWait() throws {
        fakeNow.store(5_000_000_000, ordering: .relaxed)
        fakePick.store(guess.value, ordering: .relaxed)
        let (map, counters) = try map()
        map.expectLists()
        #expect(offer(map, segment(port: 40_002)) == nil)
        let late = 5_000_000_000 + ConnectionMap.listWait + 1
        fakeNow.store(late, ordering: .relaxed)
        map.tidy(now: late) { _ in Issue.record("a frame held past the wait was sent on") }
        #expect(counters.dropped(.awaitingLists) == 1)
        #expect(offer(map, segment(port: 40_002)) == guess, "after the wait, the policy places it mid-stream")
    }

    @Test("a SYN is never held: a new connection gets the policy's server at once")
    func newConnectionsAreNotHeld() throws {
        fakeNow.store(9_000_000_000, ordering: .relaxed)
        fakePick.store(guess.value, ordering: .relaxed)
        let (map, counters) = try map()
        map.expectLists()
        #expect(offer(map, segment(port: 40_003, flags: 0x02)) == guess)
        #expect(counters.framesHeld.load(ordering: .relaxed) == 0)
    }

    @Test("a connection counts for the policy from the client's ACK of the handshake to its FIN, not from its SYN")
    func openedOnlyOnceEstablished() throws {
        reset(at: 20_000_000_000)
        let (map, counters) = try map()
        #expect(offer(map, segment(port: 41_000, flags: 0x02)) == guess)
        #expect(offer(map, segment(port: 41_000, flags: 0x02)) == guess, "a retransmitted SYN keeps its server")
        #expect(fakeOpened.load(ordering: .relaxed) == 0)
        #expect(offer(map, segment(port: 41_000, flags: 0x10)) == guess)
        #expect(fakeOpened.load(ordering: .relaxed) == 1)
        #expect(offer(map, segment(port: 41_000, flags: 0x11)) == guess)
        #expect(fakeClosed.load(ordering: .relaxed) == 1)
        // A SYN answered by the client's RST: never counted either way.
        #expect(offer(map, segment(port: 41_001, flags: 0x02)) == guess)
        #expect(offer(map, segment(port: 41_001, flags: 0x04)) == guess)
        #expect(fakeOpened.load(ordering: .relaxed) == 1 && fakeClosed.load(ordering: .relaxed) == 1)
        #expect(counters.flowsOpened.load(ordering: .relaxed) == 2)
    }

    @Test("SYNs beyond max_flows are dropped and counted; SYN-only entries leave after syn_timeout_s, uncounted")
    func synFloodIsBounded() throws {
        let start: UInt64 = 30_000_000_000
        reset(at: start)
        let (map, counters) = try map(["max_flows": .number(100), "expected_flows": .number(16), "syn_timeout_s": .number(2)])
        for port in 0..<150 { _ = offer(map, segment(port: UInt16(42_000 + port), flags: 0x02)) }
        #expect(counters.flows.load(ordering: .relaxed) == 100)
        #expect(counters.dropped(.mapFull) == 50)
        // The slot array grew from 16 entries' worth to what 100 need (3/4 full at most), no further.
        #expect(counters.mapBytes.load(ordering: .relaxed) == 256 * MemoryLayout<FlowTable.Entry>.stride)
        // Full: a new connection is refused until the SYN-only entries leave.
        #expect(offer(map, segment(port: 43_000, flags: 0x02)) == nil)
        let later = start + 2_500_000_000
        fakeNow.store(later, ordering: .relaxed)
        for step in 0..<40 { map.housekeep(now: later + UInt64(step) * 20_000_000) }
        #expect(counters.flows.load(ordering: .relaxed) == 0)
        #expect(fakeClosed.load(ordering: .relaxed) == 0, "SYN-only entries were never counted open")
        #expect(offer(map, segment(port: 43_000, flags: 0x02)) == guess, "room again once they left")
    }

    @Test("imported and mid-stream connections count for the policy as opened, and as closed when they end")
    func takenOverConnectionsAreCounted() throws {
        let start: UInt64 = 40_000_000_000
        reset(at: start)
        let (map, _) = try map()
        map.importConnections((0..<3).map { Connection(client: client, clientPort: 44_000 + UInt16($0), clusterPort: 80, server: listed) })
        map.housekeep(now: start + 20_000_000)
        #expect(fakeOpened.load(ordering: .relaxed) == 3, "the three connections the lists named")
        // The same list again (a server answered twice) counts nothing more.
        map.importConnections([Connection(client: client, clientPort: 44_000, clusterPort: 80, server: listed)])
        map.housekeep(now: start + 40_000_000)
        #expect(fakeOpened.load(ordering: .relaxed) == 3)
        #expect(offer(map, segment(port: 44_000, flags: 0x14)) == listed)   // RST: it ends
        #expect(fakeClosed.load(ordering: .relaxed) == 1)

        // Past the lists' wait, a consistent policy places an unknown connection mid-stream.
        let late = start + ConnectionMap.listWait + 1
        fakeNow.store(late, ordering: .relaxed)
        #expect(offer(map, segment(port: 44_100)) == guess)
        #expect(fakeOpened.load(ordering: .relaxed) == 4)
        #expect(offer(map, segment(port: 44_100, flags: 0x11)) == guess)  // FIN
        #expect(fakeClosed.load(ordering: .relaxed) == 2)
    }

    @Test("a connection a segment finds expired before the sweep did is counted closed, as a swept one is")
    func expiredOnLookupIsCountedClosed() throws {
        let start: UInt64 = 50_000_000_000
        reset(at: start)
        let (map, _) = try map(["idle_timeout_s": .number(1)])
        #expect(offer(map, segment(port: 45_000, flags: 0x02)) == guess)
        #expect(offer(map, segment(port: 45_000)) == guess)
        #expect(fakeOpened.load(ordering: .relaxed) == 1)
        // Idle past the timeout, with no sweep since: the next segment finds it expired.
        fakeNow.store(start + 3_000_000_000, ordering: .relaxed)
        #expect(offer(map, segment(port: 45_000)) == guess, "a consistent policy places it again mid-stream")
        #expect(fakeClosed.load(ordering: .relaxed) == 1, "the expired connection ended")
        #expect(fakeOpened.load(ordering: .relaxed) == 2, "and the one placed again began")
    }

    @Test("a dispatcher that stops counts its established connections closed: the policy outlives the map")
    func stoppingClosesWhatTheMapHeld() throws {
        reset(at: 60_000_000_000)
        let (map, counters) = try map()
        for port: UInt16 in [46_000, 46_001] {
            _ = offer(map, segment(port: port, flags: 0x02))
            _ = offer(map, segment(port: port))
        }
        _ = offer(map, segment(port: 46_002, flags: 0x02))   // embryonic: never counted open
        #expect(fakeOpened.load(ordering: .relaxed) == 2)
        map.closeAll()
        #expect(fakeClosed.load(ordering: .relaxed) == 2)
        #expect(counters.flows.load(ordering: .relaxed) == 0)
        #expect(offer(map, segment(port: 46_000, flags: 0x02)) == guess, "an empty map: the port's next SYN is a new connection")
        #expect(counters.flows.load(ordering: .relaxed) == 1)
    }
}
