import Dispatch
import SashaCore
import SashaSDK
import Synchronization
import Testing

/// Picks, connection events and server-list changes from several threads at once, through the C
/// boundary. `make test` runs this suite again under ThreadSanitizer.
@Suite("Concurrent picks")
struct ConcurrencyTests {
    typealias H = PolicyHarness

    /// Two lists the writer alternates between: they overlap on 5...8, and both have servers in
    /// both tag groups, so every pick has an answer whichever list it sees.
    static let listA = H.servers(Array(1...8), weights: [1: 3, 2: 2], tags: [2: 0b01, 3: 0b01, 4: 0b10, 7: 0b10])
    static let listB = H.servers(Array(5...12), weights: [6: 4], tags: [6: 0b01, 7: 0b11, 8: 0b10])

    /// Servers a flow of `group` may get from either list.
    static func allowed(group: Int?) -> Set<IPv4Address> {
        Set((listA.servers + listB.servers).filter { $0.isEligible && (group.map($0.hasTag) ?? true) }.map(\.address))
    }

    @Test("every policy answers concurrent picks while the servers change",
          arguments: ["round-robin", "weighted-round-robin", "least-connections", "maglev", "two-choices"])
    func concurrentPicks(policy name: String) throws {
        let policy = try H.make(name)
        policy.serversChanged(Self.listA)
        let groups: [Int?] = [nil, 0, 1]
        let allowed = groups.map(Self.allowed(group:))
        let strays = Atomic<Int>(0)
        let nones = Atomic<Int>(0)
        let pickers = 3
        let picksPerThread = 34_000  // over 100k in all
        DispatchQueue.concurrentPerform(iterations: pickers + 1) { thread in
            if thread == 0 {
                for round in 0..<300 { policy.serversChanged(round % 2 == 0 ? Self.listB : Self.listA) }
                return
            }
            for n in 0..<picksPerThread {
                let group = n % groups.count
                guard let server = policy.pick(H.flow(n &* thread, group: groups[group])) else {
                    nones.wrappingAdd(1, ordering: .relaxed)
                    continue
                }
                if !allowed[group].contains(server) { strays.wrappingAdd(1, ordering: .relaxed) }
                policy.connectionOpened(on: server.value)
                policy.connectionClosed(on: server.value)
            }
        }
        #expect(strays.load(ordering: .relaxed) == 0)
        #expect(nones.load(ordering: .relaxed) == 0)
    }

    @Test("least-connections counts balance after concurrent opens and closes")
    func countsBalance() throws {
        let policy = try H.make("least-connections")
        // Only servers that stay listed throughout: an event for an unlisted server is dropped.
        let steady = H.servers([1, 2, 3, 4])
        policy.serversChanged(steady)
        DispatchQueue.concurrentPerform(iterations: 3) { thread in
            if thread == 0 {
                for _ in 0..<200 { policy.serversChanged(steady) }
                return
            }
            for n in 0..<20_000 {
                guard let server = policy.pick(H.flow(n)) else { continue }
                policy.connectionOpened(on: server.value)
                policy.connectionClosed(on: server.value)
            }
        }
        // Every count is back at zero: with one connection opened on each of the other three, a
        // server is the least loaded, whichever it is.
        for server in 1...4 {
            let others = (1...4).filter { $0 != server }
            for other in others { policy.connectionOpened(on: H.address(other).value) }
            #expect(H.picks(policy, 8).allSatisfy { $0 == server })
            for other in others { policy.connectionClosed(on: H.address(other).value) }
        }
    }
}
