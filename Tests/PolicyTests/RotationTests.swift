import SashaSDK
import Testing

@Suite("round-robin and weighted-round-robin")
struct RotationTests {
    typealias H = PolicyHarness

    @Test("round-robin rotates exactly, in address order")
    func exactRotation() throws {
        let policy = try H.make("round-robin")
        policy.serversChanged(H.servers([3, 1, 2]))
        #expect(H.picks(policy, 7) == [1, 2, 3, 1, 2, 3, 1])
    }

    @Test("round-robin skips servers that are down or drained (weight 0)")
    func skipsIneligible() throws {
        let policy = try H.make("round-robin")
        policy.serversChanged(H.servers([1, 2, 3, 4], weights: [2: 0], down: [3]))
        #expect(H.picks(policy, 4) == [1, 4, 1, 4])
    }

    @Test("round-robin rotates within a content group, and says none when a group is empty")
    func rotatesPerGroup() throws {
        let policy = try H.make("round-robin")
        policy.serversChanged(H.servers([1, 2, 3, 4], tags: [2: 0b01, 4: 0b01]))
        #expect(H.picks(policy, 4, group: 0) == [2, 4, 2, 4])
        #expect(H.picks(policy, 4) == [1, 2, 3, 4])
        #expect(H.picks(policy, 1, group: 1) == [nil])
        #expect(H.picks(policy, 1, group: 40) == [nil])
    }

    @Test("round-robin with no servers picks none")
    func noServers() throws {
        let policy = try H.make("round-robin")
        #expect(H.picks(policy, 1) == [nil])
    }

    @Test("weighted-round-robin is smooth, as nginx: weights 5,1,1 give a a b a c a a")
    func smooth() throws {
        let policy = try H.make("weighted-round-robin")
        policy.serversChanged(H.servers([1, 2, 3], weights: [1: 5, 2: 1, 3: 1]))
        #expect(H.picks(policy, 7) == [1, 1, 2, 1, 3, 1, 1])
    }

    @Test("weighted-round-robin honours weights within 1% over 100k picks")
    func honoursWeights() throws {
        let policy = try H.make("weighted-round-robin")
        let weights = [1: 5, 2: 3, 3: 1, 4: 1, 5: 0]
        policy.serversChanged(H.servers([1, 2, 3, 4, 5], weights: weights))
        var counts: [Int: Int] = [:]
        for pick in H.picks(policy, 100_000) { counts[pick ?? -1, default: 0] += 1 }
        #expect(counts[5] == nil)
        for (server, weight) in weights where weight > 0 {
            let expected = 100_000.0 * Double(weight) / 10.0
            #expect(abs(Double(counts[server] ?? 0) - expected) / expected < 0.01, "server \(server): \(counts[server] ?? 0)")
        }
    }

    @Test("weighted-round-robin honours weights within a content group")
    func weightsPerGroup() throws {
        let policy = try H.make("weighted-round-robin")
        policy.serversChanged(H.servers([1, 2, 3], weights: [1: 3, 2: 1, 3: 1], tags: [1: 0b10, 3: 0b10]))
        let picks = H.picks(policy, 400, group: 1)
        #expect(picks.filter { $0 == 1 }.count == 300)
        #expect(picks.filter { $0 == 3 }.count == 100)
    }

    @Test("weighted-round-robin honours weights near the ABI's 65535, whose period is capped")
    func hugeWeights() throws {
        let policy = try H.make("weighted-round-robin")
        // gcd 1 and a sum of 271077: over the 2^18 cap, so the weights are halved before use.
        let weights = [1: 65535, 2: 65535, 3: 50000, 4: 50000, 5: 30000, 6: 10007]
        policy.serversChanged(H.servers(Array(1...6), weights: weights))
        var counts: [Int: Int] = [:]
        for pick in H.picks(policy, 100_000) { counts[pick ?? -1, default: 0] += 1 }
        let total = Double(weights.values.reduce(0, +))
        for (server, weight) in weights {
            let expected = 100_000.0 * Double(weight) / total
            #expect(abs(Double(counts[server] ?? 0) - expected) / expected < 0.01, "server \(server): \(counts[server] ?? 0)")
        }
    }
}
