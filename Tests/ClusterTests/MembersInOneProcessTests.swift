import Foundation
import Logging
@testable import SashaCore
import SashaSDK
import SashaTestSupport
import Testing

extension ClusterSuite {
    /// Nothing a member owns is process-wide (`MemberRuntime`, `HostServices`): three members, each
    /// with its own `l7` strategy and policy, run in this test's process, and one crashes.
    @Suite("members in one process")
    struct MembersInOneProcess {
        static let site = PackagePaths.root + "/examples/www"

        static func yaml(cluster: TestCluster, port: Int) -> String {
            """
            cluster: { name: web, vip: 127.0.0.100, ports: [\(port + 1000)] }
            ring:
              port: \(port)
              members: [\(cluster.addresses.joined(separator: ", "))]
              heartbeat_ms: 20
              token_timeout_ms: 150
              broadcast_timeout_ms: 100
              insecure: true
            control: { dir: \(cluster.controlDir) }
            plugins: { paths: [\(PackagePaths.buildProducts)] }
            dispatch: { strategy: l7, policy: round-robin }
            service: { port: \(port + 1001), root: \(site), health: /health, max_age_s: 60 }
            """
        }

        @Test("three l7 members in one process: the dispatcher's own cache answers; after it crashes another member's l7 takes the VIP")
        func threeMembersAndACrash() async throws {
            let cluster = try TestCluster(port: 7730, size: 3)
            let config = try cluster.folder.write("web.yaml", Self.yaml(cluster: cluster, port: 7730))
            var members: [String: MemberRuntime] = [:]
            var running: [String: Task<Void, any Error>] = [:]
            defer { for member in members.values { member.shutdown() } }
            func start(_ address: String) throws {
                let settings = try DaemonSettings.prepare(configPath: config, node: try #require(IPv4Address(address)))
                var logger = Logger(label: "sasha")
                logger[metadataKey: "node"] = "\(address)"
                logger.logLevel = .notice
                let member = try MemberRuntime.start(settings, logger: logger, registry: nil)
                members[address] = member
                running[address] = Task { try await member.run() }
            }
            // 127.0.0.1 first, so that it is the dispatcher (there is no preemption).
            try start("127.0.0.1")
            try #require(await cluster.waitForAgreement(["127.0.0.1"]) != nil)
            try start("127.0.0.2")
            try start("127.0.0.3")
            try #require(await cluster.waitForAgreement(cluster.addresses)?.dispatcher == "127.0.0.1")

            // Each member holds its own policy instance; the strategies reach only their own.
            let policies = members.values.compactMap { $0.services.currentPolicy.policy.map(ObjectIdentifier.init) }
            #expect(Set(policies).count == 3)
            let page = "http://127.0.0.100:8730/about.html"
            let first = try #require(await HTTPFetch.eventually(page))
            #expect(first.status == 200)
            #expect(first.body == FileManager.default.contents(atPath: Self.site + "/about.html"))
            #expect(try #require(HTTPFetch.get(page)).headers["x-cache"] == "HIT")

            // A server left out on one member is not left out on the others.
            members["127.0.0.1"]!.services.exclusions.exclude(try #require(IPv4Address("127.0.0.3")), forNanoseconds: 60_000_000_000)
            #expect(!members["127.0.0.2"]!.services.exclusions.isExcluded(try #require(IPv4Address("127.0.0.3"))))

            members["127.0.0.1"]!.crash()
            _ = try? await running["127.0.0.1"]!.value
            members["127.0.0.1"] = nil
            let after = await cluster.waitForAgreement(["127.0.0.2", "127.0.0.3"])
            try #require(after != nil && after?.dispatcher != "127.0.0.1", "\(String(describing: after?.dispatcher))")
            // The new dispatcher's l7 has its own, empty cache: the page is a miss there.
            let again = try #require(await HTTPFetch.eventually(page))
            #expect(again.status == 200)
            #expect(again.body == first.body)
            #expect(again.headers["x-cache"] == "MISS")

            for (address, member) in members {
                member.shutdown()
                try await running[address]!.value
            }
            members = [:]
        }
    }
}
