import SashaSDK
import Testing

@Suite("least-connections and two-choices")
struct LoadAwareTests {
    typealias H = PolicyHarness

    @Test("least-connections follows connections opened and closed")
    func followsConnections() throws {
        let policy = try H.make("least-connections")
        policy.serversChanged(H.servers([1, 2, 3]))
        // Open every pick: the three servers fill evenly.
        let counts = try H.openEachPick(policy, 30)
        #expect(counts == [1: 10, 2: 10, 3: 10])
        // Close five on server 2: the next five all go there.
        for _ in 0..<5 { policy.connectionClosed(on: H.address(2).value) }
        #expect(H.picks(policy, 1) == [2])
        for _ in 0..<5 {
            let server = try #require(policy.pick(H.flow(0)))
            #expect(server == H.address(2))
            policy.connectionOpened(on: server.value)
        }
    }

    @Test("least-connections weighs connections by server weight")
    func weighted() throws {
        let policy = try H.make("least-connections")
        policy.serversChanged(H.servers([1, 2], weights: [1: 3, 2: 1]))
        let counts = try H.openEachPick(policy, 400)
        #expect(counts == [1: 300, 2: 100])
    }

    @Test("least-connections keeps counts for servers that stay when the list changes")
    func keepsCountsAcrossChanges() throws {
        let policy = try H.make("least-connections")
        policy.serversChanged(H.servers([1, 2]))
        for _ in 0..<3 { policy.connectionOpened(on: H.address(1).value) }
        policy.serversChanged(H.servers([1, 2, 3]))
        policy.connectionOpened(on: H.address(2).value)
        policy.connectionOpened(on: H.address(3).value)
        // 1 has 3, 2 and 3 have 1 each: the next two go to 2 and 3, not 1.
        let next = Set((0..<2).compactMap { n -> IPv4Address? in
            let server = policy.pick(H.flow(n))
            if let server { policy.connectionOpened(on: server.value) }
            return server
        })
        #expect(next == [H.address(2), H.address(3)])
    }

    @Test("two-choices never picks a server more loaded than every other")
    func prefersLessLoaded() throws {
        let policy = try H.make("two-choices")
        policy.serversChanged(H.servers([1, 2, 3, 4]))
        for _ in 0..<100 { policy.connectionOpened(on: H.address(1).value) }
        let picks = H.picks(policy, 1000)
        #expect(!picks.contains(1))
        #expect(Set(picks) == [2, 3, 4])
    }

    @Test("two-choices spreads evenly when connections are opened as picked")
    func spreads() throws {
        let policy = try H.make("two-choices")
        policy.serversChanged(H.servers(Array(1...8)))
        let counts = try H.openEachPick(policy, 8000)
        // Two choices keeps the gap to the mean within a few connections.
        #expect(counts.values.allSatisfy { abs($0 - 1000) <= 5 }, "\(counts)")
    }

    @Test("closes without opens (a policy swapped in mid-flight) never make a server look emptier than empty",
          arguments: ["least-connections", "two-choices"])
    func closesClampAtZero(policy name: String) throws {
        let policy = try H.make(name)
        policy.serversChanged(H.servers([1, 2]))
        for _ in 0..<50 { policy.connectionClosed(on: H.address(1).value) }
        let counts = try H.openEachPick(policy, 100)
        #expect(counts == [1: 50, 2: 50])
    }

    @Test("a server that leaves and comes back starts again from zero connections")
    func returningServerStartsFresh() throws {
        let policy = try H.make("least-connections")
        policy.serversChanged(H.servers([1, 2]))
        for _ in 0..<5 { policy.connectionOpened(on: H.address(1).value) }
        // Server 1 leaves; the closes of its connections arrive while it is away and are lost.
        policy.serversChanged(H.servers([2]))
        for _ in 0..<5 { policy.connectionClosed(on: H.address(1).value) }
        policy.serversChanged(H.servers([1, 2]))
        policy.connectionOpened(on: H.address(2).value)
        #expect(policy.pick(H.flow(0)) == H.address(1))
    }
}
