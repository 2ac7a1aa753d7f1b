import SashaPacket
import SashaSDK
import Testing

private let second: UInt64 = 1_000_000_000

private func key(_ n: UInt64) -> FlowKey {
    FlowKey(client: IPv4Address(UInt32(truncatingIfNeeded: n >> 16) | 0x0A00_0000), clientPort: UInt16(truncatingIfNeeded: n), clusterPort: 80)
}

@Suite struct FlowTableTests {
    @Test func embryonicEntriesExpireSoonAndAreEstablishedByTheClientsACK() {
        var table = FlowTable(embryonicTimeout: 5 * second, seed: 1)
        let server = IPv4Address(0x0A00_0002)
        table.insert(key(1), server: server, now: 0, state: .embryonic)
        table.insert(key(2), server: server, now: 0, state: .embryonic)
        table.insert(key(3), server: server, now: 0, state: .embryonic)
        var transition = FlowTable.Transition.none
        // A retransmitted SYN refreshes; the client's ACK establishes.
        #expect(table.lookup(key(1), now: 4 * second, flags: .syn, transition: &transition) == server && transition == .none)
        #expect(table.lookup(key(1), now: 8 * second, flags: .ack, transition: &transition) == server && transition == .established)
        #expect(table.entry(for: key(1))?.state == .open)
        #expect(table.lookup(key(1), now: 9 * second, flags: [.ack, .fin], transition: &transition) == server && transition == .ended)
        // A RST before the handshake ends removes it at once, with nothing to count.
        #expect(table.lookup(key(2), now: 1 * second, flags: .rst, transition: &transition) == server && transition == .none)
        #expect(table.entry(for: key(2)) == nil)
        // Left alone, a SYN-only entry goes after the embryonic timeout, not the idle timeout.
        #expect(table.expireAll(now: 5 * second + 1) == 1)
        #expect(table.entry(for: key(3)) == nil)
    }

    @Test func entryIsSmall() {
        #expect(MemoryLayout<FlowTable.Entry>.stride <= 32)
        #expect(MemoryLayout<FlowTable.Entry>.stride == 24)
    }

    @Test func insertLookupRemove() {
        var table = FlowTable(seed: 1)
        let k = FlowKey(client: IPv4Address(0xC0A8_0005), clientPort: 50000, clusterPort: 443)
        #expect(table.lookup(k, now: 0) == nil)
        let isNew = table.insert(k, server: IPv4Address(0x0A00_0002), now: 10)
        #expect(isNew)
        #expect(table.count == 1)
        #expect(table.lookup(k, now: 20) == IPv4Address(0x0A00_0002))
        #expect(table.entry(for: k)?.lastSeen == 20)
        let isNewAgain = table.insert(k, server: IPv4Address(0x0A00_0003), now: 30)
        #expect(!isNewAgain, "same key replaces")
        #expect(table.count == 1)
        #expect(table.lookup(k, now: 40) == IPv4Address(0x0A00_0003))
        #expect(table.lookup(FlowKey(client: k.client, clientPort: 50001, clusterPort: 443), now: 40) == nil)
        #expect(table.lookup(FlowKey(client: k.client, clientPort: 50000, clusterPort: 80), now: 40) == nil)
        let removed = table.remove(k)
        #expect(removed?.server == IPv4Address(0x0A00_0003) && removed?.key == k && removed?.state == .open)
        #expect(table.remove(k) == nil)
        #expect(table.isEmpty && table.lookup(k, now: 50) == nil)
    }

    @Test func replyMapsToTheSameKey() throws {
        var request = FrameSpec()
        request.source = 0xC633_6407
        request.sourcePort = 51000
        request.destination = 0xC000_0201  // cluster address
        request.destinationPort = 443
        var reply = FrameSpec()
        reply.source = 0x0A00_0002  // server, listening on the cluster port
        reply.sourcePort = 443
        reply.destination = 0xC633_6407
        reply.destinationPort = 51000
        var requestBytes = request.bytes()
        var replyBytes = reply.bytes()
        let requestKey = try withFrame(&requestBytes) { try FlowKey(request: #require(tcpFrame($0))) }
        let replyKey = try withFrame(&replyBytes) { try FlowKey(reply: #require(tcpFrame($0))) }
        #expect(requestKey == replyKey)
        #expect(requestKey == FlowKey(client: IPv4Address(0xC633_6407), clientPort: 51000, clusterPort: 443))
        #expect(FlowKey(packed: requestKey.packed) == requestKey)
    }

    @Test func idleExpiry() {
        var table = FlowTable(idleTimeout: 15 * 60 * second, seed: 2)
        #expect(FlowTable.defaultIdleTimeout == 15 * 60 * second && FlowTable.defaultLinger == 2 * second)
        let k = key(1)
        table.insert(k, server: IPv4Address(9), now: 100 * second)
        #expect(table.lookup(k, now: 100 * second + 15 * 60 * second) == IPv4Address(9), "refreshed at the limit")
        let seen = 100 * second + 15 * 60 * second
        #expect(table.lookup(k, now: seen + 15 * 60 * second) == IPv4Address(9))
        #expect(table.lookup(k, now: seen + 30 * 60 * second + 1) == nil, "idle past the timeout")
        #expect(table.count == 0, "removed when found expired")
    }

    @Test(arguments: [TCPFlags.fin, [.fin, .ack], [.rst], [.rst, .ack]])
    func finOrRstLingers(_ flags: TCPFlags) {
        var table = FlowTable(linger: 2 * second, seed: 3)
        let k = key(2)
        table.insert(k, server: IPv4Address(7), now: 0)
        #expect(table.lookup(k, now: 5 * second, flags: flags) == IPv4Address(7))
        #expect(table.entry(for: k)?.state == .closing)
        #expect(table.lookup(k, now: 6 * second, flags: .ack) == IPv4Address(7), "still routed while lingering")
        #expect(table.lookup(k, now: 7 * second) == IPv4Address(7), "linger counted from the FIN, not refreshed")
        #expect(table.lookup(k, now: 7 * second + 1) == nil)
        // A new connection on the same client port starts open again.
        table.insert(k, server: IPv4Address(8), now: 8 * second)
        #expect(table.entry(for: k)?.state == .open)
        #expect(table.lookup(k, now: 60 * second) == IPv4Address(8))
    }

    @Test func ackDoesNotClose() {
        var table = FlowTable(seed: 4)
        table.insert(key(3), server: IPv4Address(1), now: 0)
        _ = table.lookup(key(3), now: 1, flags: [.ack, .psh, .syn])
        #expect(table.entry(for: key(3))?.state == .open)
    }

    /// A model check against Dictionary: random inserts, removals and lookups over a small key
    /// space in a small table, so probe runs collide, wrap around the end and shift back.
    @Test func matchesDictionaryModel() throws {
        var random = SeededRandom(seed: 99)
        var table = FlowTable(minimumCapacity: 16, idleTimeout: .max, seed: 5)
        var model: [FlowKey: IPv4Address] = [:]
        for step in 0..<200_000 {
            let k = key(UInt64.random(in: 0..<300, using: &random))
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<4:
                let server = IPv4Address(UInt32.random(in: 0...1000, using: &random))
                let isNew = table.insert(k, server: server, now: UInt64(step))
                #expect(isNew == (model[k] == nil))
                model[k] = server
            case 4..<7:
                #expect(table.remove(k)?.server == model.removeValue(forKey: k))
            default:
                #expect(table.lookup(k, now: UInt64(step)) == model[k])
            }
            if step % 10_000 == 0 { #expect(table.count == model.count) }
        }
        #expect(table.count == model.count)
        var exported: [FlowKey: IPv4Address] = [:]
        for entry in table { exported[entry.key] = entry.server }
        #expect(exported == model)
        for (k, server) in model { #expect(table.entry(for: k)?.server == server) }
    }

    @Test func growsByDoublingAndReserves() {
        var table = FlowTable(minimumCapacity: 1, seed: 6)
        #expect(table.capacity == 16)
        for n in 0..<1000 { table.insert(key(UInt64(n)), server: IPv4Address(UInt32(n)), now: 0) }
        #expect(table.count == 1000 && table.capacity == 2048 && table.capacity.nonzeroBitCount == 1)
        for n in 0..<1000 { #expect(table.entry(for: key(UInt64(n)))?.server == IPv4Address(UInt32(n))) }
        table.reserve(5000)
        let reserved = table.capacity
        #expect(reserved == 8192)
        for n in 1000..<5000 { table.insert(key(UInt64(n)), server: IPv4Address(0), now: 0) }
        #expect(table.capacity == reserved, "no growth after reserve")
        table.reserve(10)
        #expect(table.capacity == reserved, "reserve never shrinks")
    }

    @Test func theSweepShowsEachRemovedEntryWithItsState() {
        var table = FlowTable(minimumCapacity: 64, idleTimeout: 100, linger: 10, seed: 3)
        for n in 0..<10 { table.insert(key(UInt64(n)), server: IPv4Address(UInt32(100 + n)), now: 1000) }
        _ = table.lookup(key(3), now: 1050, flags: .fin)   // closing: goes 10 after its last frame
        _ = table.lookup(key(4), now: 1090, flags: .ack)   // still fresh at 1101
        var seen: [IPv4Address: FlowState] = [:]
        let removed = table.expire(now: 1101, budget: 2 * table.capacity) { seen[$0.server] = $0.state }
        #expect(removed == 9)
        #expect(seen.count == 9)
        #expect(seen[IPv4Address(103)] == .closing)
        #expect(seen.filter { $0.value == .open }.count == 8)
        #expect(seen[IPv4Address(104)] == nil, "a fresh entry is neither removed nor shown")
        #expect(table.count == 1)
    }

    @Test func incrementalSweepIsBoundedAndComplete() {
        var table = FlowTable(minimumCapacity: 20_000, idleTimeout: 100, linger: 10, seed: 7)
        var fresh: [FlowKey] = []
        for n in 0..<20_000 {
            let k = key(UInt64(n))
            let stale = n % 3 != 0
            table.insert(k, server: IPv4Address(UInt32(n)), now: stale ? 0 : 1000)
            if !stale { fresh.append(k) }
        }
        let capacity = table.capacity
        let stale = 20_000 - fresh.count
        // A call looks at `budget` slots (a slot looked at again after a removal counts again),
        // so it removes at most `budget` entries, and capacity + removals slots sweep it all.
        var removed = 0
        var calls = 0
        while calls < (capacity + stale) / 64 + 1 {
            let now = table.expire(now: 1050, budget: 64)
            #expect(now <= 64)
            removed += now
            calls += 1
            if calls == capacity / 128 { #expect(removed < stale, "half the slots cannot hold every stale entry") }
        }
        #expect(removed == stale)
        #expect(table.count == fresh.count)
        for k in fresh { #expect(table.entry(for: k) != nil) }
        #expect(table.expire(now: 1050, budget: capacity) == 0)
        // Closing entries go after the linger.
        _ = table.lookup(fresh[0], now: 1060, flags: .rst)
        #expect(table.expireAll(now: 1070) == 0)
        #expect(table.expireAll(now: 1071) == 1)
        #expect(table.expireAll(now: 1100) == 0, "idle for exactly the timeout: kept")
        #expect(table.expireAll(now: 1101) == fresh.count - 1)
        #expect(table.isEmpty)
    }

    @Test func exportAndImport() {
        var source = FlowTable(seed: 8)
        for n in 0..<5000 { source.insert(key(UInt64(n)), server: IPv4Address(UInt32(n)), now: UInt64(n)) }
        _ = source.lookup(key(17), now: 6000, flags: .fin)
        let exported = Array(source)
        #expect(exported.count == 5000)
        var target = FlowTable(minimumCapacity: 16, seed: 9)
        target.insert(key(1), server: IPv4Address(111), now: 99_999)  // newer than the import: kept
        target.insert(key(2), server: IPv4Address(222), now: 0)  // older: replaced
        target.importEntries(exported)
        #expect(target.count == 5000)
        #expect(target.entry(for: key(1))?.server == IPv4Address(111))
        #expect(target.entry(for: key(2))?.server == IPv4Address(2))
        #expect(target.entry(for: key(17))?.state == .closing && target.entry(for: key(17))?.lastSeen == 6000)
        for n in 3..<5000 { #expect(target.entry(for: key(UInt64(n)))?.lastSeen == UInt64(n) || n == 17) }
    }

    /// A million connections within 100 MiB: the table's own slot bytes, and the process's
    /// resident growth (/proc/self/statm) while filling it.
    @Test func millionEntriesFitIn100MiB() throws {
        let before = residentBytes()
        var table = FlowTable(seed: 10)
        table.reserve(1_000_000)
        for n in 0..<1_000_000 {
            table.insert(key(UInt64(n) &* 2_654_435_761), server: IPv4Address(UInt32(n)), now: UInt64(n))
        }
        #expect(table.count == 1_000_000)
        #expect(table.byteCount == table.capacity * MemoryLayout<FlowTable.Entry>.stride)
        #expect(table.byteCount <= 100 * 1024 * 1024)
        let after = residentBytes()
        if let before, let after { #expect(after - before <= 100 * 1024 * 1024) }
        for n in stride(from: 0, to: 1_000_000, by: 997) {
            #expect(table.entry(for: key(UInt64(n) &* 2_654_435_761))?.server == IPv4Address(UInt32(n)))
        }
    }
}
