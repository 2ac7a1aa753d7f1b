import SashaCore
import SashaSDK
import Testing

/// A flow already under way that the dispatcher lost (an L4 strategy saw a non-SYN packet it has
/// no record of): only a consistent policy may place it, and where it placed the connection.
@Suite("mid-stream flows")
struct MidStreamTests {
    typealias H = PolicyHarness

    static func midStream(_ n: Int) -> Flow {
        let flow = H.flow(n)
        return Flow(client: flow.client, clientPort: flow.clientPort, clusterPort: flow.clusterPort, midStream: true)
    }

    @Test("maglev answers a lost flow with the server it picked for the connection")
    func maglevFindsTheServerAgain() throws {
        let policy = try H.make("maglev")
        policy.serversChanged(H.servers([1, 2, 3, 4, 5]))
        for n in 0..<1_000 {
            let first = try #require(policy.pick(H.flow(n)))
            #expect(policy.pick(Self.midStream(n)) == first)
        }
    }

    @Test("a policy that is not consistent is not asked", arguments: ["round-robin", "weighted-round-robin", "least-connections", "two-choices"])
    func othersAnswerNothing(name: String) throws {
        let policy = try H.make(name)
        policy.serversChanged(H.servers([1, 2, 3]))
        #expect(policy.pick(H.flow(7)) != nil)
        #expect(policy.pick(Self.midStream(7)) == nil)
    }
}
