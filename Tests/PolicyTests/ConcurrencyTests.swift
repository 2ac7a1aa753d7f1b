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

    @Test("every policy answers concurrent picks while the servers change",
          arguments: ["round-robin", "weighted-round-robin", "least-connections", "maglev", "two-choices"])
    func concurrentPicks(policy name: String) throws {
        let policy = try H.make(name)
        let listA = H.servers(Array(1...8), weights: [1: 3, 2: 2])
        let listB = H.servers(Array(5...12), weights: [6: 4])
        policy.serversChanged(listA)
        let allowed = Set((listA.servers + listB.servers).map(\.address))
        let strays = Atomic<Int>(0)
        let nones = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            if thread == 0 {
                for round in 0..<300 { policy.serversChanged(round % 2 == 0 ? listB : listA) }
                return
            }
            for n in 0..<30_000 {
                guard let server = policy.pick(H.flow(n &* thread)) else {
                    nones.wrappingAdd(1, ordering: .relaxed)
                    continue
                }
                if !allowed.contains(server) { strays.wrappingAdd(1, ordering: .relaxed) }
                policy.connectionOpened(on: server.value)
                policy.connectionClosed(on: server.value)
            }
        }
        #expect(strays.load(ordering: .relaxed) == 0)
        #expect(nones.load(ordering: .relaxed) == 0)
    }
}
