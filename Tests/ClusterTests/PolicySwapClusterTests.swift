import Foundation
import SashaCore
import SashaTestSupport
import Testing

extension ClusterSuite {
    /// `sasha policy set` on real members: the swap reaches every member, a plugin one member lacks
    /// is refused cluster-wide naming that member, and a member that joins later follows the ring.
    @Suite("live policy swap", .serialized)
    struct PolicySwapClusterTests {
        static let customPolicyFolder = PackagePaths.root + "/examples/custom-policy/.build/debug"

        @Test("a swap goes live on every member with a new epoch; one that a member cannot load changes nothing and names it")
        func swapAndRefusal() async throws {
            try #require(FileManager.default.fileExists(atPath: Self.customPolicyFolder + "/libbounded-affinity.so"),
                         "build it first: cd examples/custom-policy && swift build (make test does)")
            let cluster = try TestCluster(port: 7670, size: 5)
            let everything = try cluster.folder.write("all.yaml", L7ClusterTests.yaml(
                cluster: cluster, port: 7670, pluginPaths: [Self.customPolicyFolder]))
            // 127.0.0.5 has only the plugins that ship with Sasha: no bounded-affinity.
            let builtIn = try cluster.folder.write("built-in.yaml", L7ClusterTests.yaml(cluster: cluster, port: 7670))
            let first = Array(cluster.addresses.prefix(4))
            for address in first { try cluster.start(address, config: everything) }
            try #require(await cluster.waitForAgreement(first) != nil, "\(cluster.logs())")

            func set(_ arguments: String..., via node: String) async throws -> (status: Int32, output: String) {
                try await cluster.sasha(["policy", "set"] + arguments + ["--config", everything, "--node", node])
            }
            func policies(_ members: [String]) -> [String] {
                members.map { cluster.status($0).map { "\($0.policy.name)@\($0.policy.epoch)" } ?? "silent" }
            }

            let maglev = try await set("maglev", "--option", "table_size=101", via: "127.0.0.2")
            #expect(maglev.status == 0, "\(maglev.output)\n\(cluster.logs())")
            #expect(maglev.output.contains("policy maglev live on 4 members as epoch 1"), "\(maglev.output)")
            #expect(policies(first) == Array(repeating: "maglev@1", count: 4))

            // A member that joins later is told what the ring agreed on.
            try cluster.start("127.0.0.5", config: builtIn)
            try #require(await cluster.waitForAgreement(cluster.addresses) != nil, "\(cluster.logs())")
            let deadline = ContinuousClock.now + .seconds(5)
            while policies(["127.0.0.5"]) != ["maglev@1"], ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(policies(["127.0.0.5"]) == ["maglev@1"], "\(cluster.logs())")

            let refused = try await set("bounded-affinity", via: "127.0.0.3")
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.output.contains("policy bounded-affinity refused; nothing changed on any member"), "\(refused.output)")
            #expect(refused.output.contains("127.0.0.5: bounded-affinity: no policy plugin named 'bounded-affinity'"), "\(refused.output)")
            #expect(!refused.output.contains("127.0.0.4:"), "only the member that lacks it refuses: \(refused.output)")
            #expect(policies(cluster.addresses) == Array(repeating: "maglev@1", count: 5))

            // Bad options are refused by the proposer itself, with the plugin's words.
            let badOption = try await set("maglev", "--option", "table_size=12", via: "127.0.0.4")
            #expect(badOption.status == 1)
            #expect(badOption.output.contains("127.0.0.4: option table_size: must be between 101"), "\(badOption.output)")
            let badArgument = try await set("maglev", "--option", "table_size", via: "127.0.0.4")
            #expect(badArgument.status == 64, "a usage error: \(badArgument.output)")
            #expect(badArgument.output.contains("--option table_size: write KEY=VALUE"), "\(badArgument.output)")

            // From the dispatcher itself, and again to the same policy: a new epoch each time.
            for epoch in 2...3 {
                let again = try await set("least-connections", via: "127.0.0.1")
                #expect(again.status == 0, "\(again.output)")
                #expect(again.output.contains("live on 5 members as epoch \(epoch)"), "\(again.output)")
            }
            #expect(policies(cluster.addresses) == Array(repeating: "least-connections@3", count: 5))
            let table = try await cluster.sasha(["status", "--config", everything, "--node", "127.0.0.5"])
            #expect(table.output.contains("policy least-connections (epoch 3)"), "\(table.output)")

            // Through the VIP, the dispatcher now picks with it: pages still come back.
            let page = try #require(await HTTPFetch.eventually("http://127.0.0.100:8670/about.html?after-swaps"))
            #expect(page.status == 200)
        }
    }
}
