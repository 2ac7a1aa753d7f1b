import Foundation
import SashaCore
import SashaTestSupport
import Testing

extension ClusterSuite {
    /// The loopback cluster as users run it: five `sasha run` members, the `l7` dispatcher in front,
    /// examples/www served by the others, images routed to the members tagged `images`.
    @Suite("l7 cluster on loopback", .serialized)
    struct L7ClusterTests {
        static let site = PackagePaths.root + "/examples/www"

        /// - Parameter cache: whether the l7 dispatcher caches (off: every request reaches a server).
        static func yaml(cluster: TestCluster, port: Int, strategy: String = "l7", pluginPaths: [String] = [],
                         cache: Bool = true) -> String {
            """
            cluster: { name: web, vip: 127.0.0.100, ports: [\(port + 1000)] }
            ring:
              port: \(port)
              members: [127.0.0.1, 127.0.0.2, 127.0.0.3, 127.0.0.4, 127.0.0.5]
              heartbeat_ms: 20
              token_timeout_ms: 150
              broadcast_timeout_ms: 100
              insecure: true
            control: { dir: \(cluster.controlDir) }
            plugins: { paths: [\((pluginPaths + [PackagePaths.buildProducts]).joined(separator: ", "))] }
            dispatch:
              strategy: \(strategy)
              policy: round-robin
              strategy_options: \(strategy == "l7" ? "{ rules: [{ tag: images, extension: [png, jpg, gif, svg, webp] }]\(cache ? "" : ", cache: { enabled: false }") }" : "{}")
            service: { port: \(port + 1001), root: \(site), health: /health, max_age_s: 60 }
            nodes:
              127.0.0.4: { tags: [images] }
              127.0.0.5: { tags: [images], dispatch: false }
            """
        }

        /// Requests each member's web server has answered, by address.
        static func served(_ cluster: TestCluster) -> [String: UInt64] {
            var counts: [String: UInt64] = [:]
            for address in cluster.addresses { counts[address] = cluster.status(address)?.service?.requests ?? 0 }
            return counts
        }

        @Test("curl through the VIP gets the site; images come only from the members tagged images; a repeat is a cache hit")
        func siteThroughTheVIP() async throws {
            let cluster = try TestCluster(port: 7640, size: 5)
            let config = try cluster.folder.write("web.yaml", Self.yaml(cluster: cluster, port: 7640))
            // 127.0.0.1 first, so that it is the dispatcher (there is no preemption).
            try cluster.start("127.0.0.1", config: config)
            try #require(await cluster.waitForAgreement(["127.0.0.1"]) != nil, "\(cluster.logs())")
            for address in cluster.addresses.dropFirst() { try cluster.start(address, config: config) }
            let agreed = await cluster.waitForAgreement(cluster.addresses)
            try #require(agreed?.dispatcher == "127.0.0.1", "\(cluster.logs())")
            let base = "http://127.0.0.100:8640"
            let page = try #require(await HTTPFetch.eventually(base + "/about.html?first"), "\(cluster.logs())")
            #expect(page.status == 200)
            #expect(page.body == FileManager.default.contents(atPath: Self.site + "/about.html"))
            #expect(page.headers["x-cache"] == "MISS")
            let again = try #require(HTTPFetch.get(base + "/about.html?first"))
            #expect(again.headers["x-cache"] == "HIT", "\(again.headers)")
            #expect(again.headers["age"] != nil)
            #expect(again.body == page.body)

            let images = try FileManager.default.contentsOfDirectory(atPath: Self.site + "/images").filter { !$0.hasPrefix(".") }
            try #require(!images.isEmpty)
            let before = Self.served(cluster)
            for (index, image) in images.enumerated() {
                for round in 0..<4 {
                    // A fresh query string each time: a miss, so a server answers it.
                    let answer = try #require(HTTPFetch.get("\(base)/images/\(image)?n=\(index)-\(round)"))
                    #expect(answer.status == 200)
                    #expect(answer.body == FileManager.default.contents(atPath: Self.site + "/images/" + image))
                    #expect(["127.0.0.4", "127.0.0.5"].contains(answer.headers["x-served-by"] ?? "none"), "\(answer.headers)")
                }
            }
            let after = Self.served(cluster)
            let delta = cluster.addresses.map { (after[$0] ?? 0) - (before[$0] ?? 0) }
            #expect(delta[1] == 0 && delta[2] == 0, "untagged members answered image requests: \(delta)")
            #expect(delta[3] + delta[4] == UInt64(images.count * 4), "\(delta)")
            #expect(delta[3] > 0 && delta[4] > 0, "round-robin within the images group: \(delta)")
            #expect(delta[0] == 0, "the dispatcher serves nothing while others can: \(delta)")

            let status = try #require(cluster.status("127.0.0.1"))
            #expect(status.strategyStats != nil)
            #expect(HTTPFetch.get(base + "/no-such-page.html")?.status == 404)
        }

        @Test("sasha demo starts the cluster, sends traffic through the VIP and stops every member")
        func demoRuns() async throws {
            let cluster = try TestCluster(port: 7650, size: 5)
            let config = try cluster.folder.write("demo.yaml", Self.yaml(cluster: cluster, port: 7650))
            let (status, output) = try await cluster.sasha(["demo", "--config", config, "--duration", "5", "--rate", "100"],
                                                           timeout: .seconds(60))
            #expect(status == 0, "\(output)")
            #expect(output.contains("127.0.0.1        dispatcher"), "\(output)")
            let done = try #require(output.split(separator: "\n").first { $0.hasPrefix("done: ") }, "\(output)")
            let answered = Int(done.split(separator: " ")[1]) ?? 0
            #expect(answered > 100, "\(done)")
            // Every member stopped: nobody answers on the control sockets any more.
            #expect(cluster.addresses.allSatisfy { cluster.status($0) == nil })
        }

        @Test("the last member standing serves the VIP alone, from its own web server")
        func lastMemberStanding() async throws {
            let cluster = try TestCluster(port: 7710, size: 5)
            let config = try cluster.folder.write("last.yaml", Self.yaml(cluster: cluster, port: 7710))
            for address in cluster.addresses { try cluster.start(address, config: config) }
            try #require(await cluster.waitForAgreement(cluster.addresses) != nil, "\(cluster.logs())")
            for address in cluster.addresses where address != "127.0.0.2" { cluster.kill9(address) }
            let deadline = ContinuousClock.now + .seconds(10)
            while cluster.status("127.0.0.2")?.role != "standalone", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(cluster.status("127.0.0.2")?.role == "standalone", "\(cluster.logs())")
            let page = try #require(await HTTPFetch.eventually("http://127.0.0.100:8710/about.html?alone"), "\(cluster.logs())")
            #expect(page.status == 200)
            #expect(page.headers["x-served-by"] == "127.0.0.2", "\(page.headers)")
            #expect(page.body == FileManager.default.contents(atPath: Self.site + "/about.html"))
        }

        @Test("sasha demo kills its dispatcher and swaps the policy on the screen: the takeover, the gap's cost, the epoch")
        func demoScenario() async throws {
            let cluster = try TestCluster(port: 7690, size: 5)
            let config = try cluster.folder.write("demo.yaml", Self.yaml(cluster: cluster, port: 7690))
            let (status, output) = try await cluster.sasha(["demo", "--config", config, "--duration", "23", "--rate", "100"],
                                                           timeout: .seconds(90))
            #expect(status == 0, "\(output)")
            #expect(output.contains("[10 s] kill -9 of the dispatcher 127.0.0.1"), "\(output)")
            #expect(output.contains(" took over ") && output.contains(" ms after the kill"), "\(output)")
            #expect(output.contains("failover cost "), "\(output)")
            #expect(output.contains("127.0.0.1 started again: it joins as a server"), "\(output)")
            #expect(output.contains("policy maglev live on 5 members as epoch 1"), "\(output)")
            #expect(output.contains("policy maglev (epoch 1)"), "the header shows the swapped policy: \(output)")
        }

        @Test("the example tcp-proxy strategy (examples/custom-strategy) carries curl through the VIP")
        func customStrategy() async throws {
            let folder = PackagePaths.root + "/examples/custom-strategy/.build/debug"
            try #require(FileManager.default.fileExists(atPath: folder + "/libtcp-proxy.so"),
                         "build it first: cd examples/custom-strategy && swift build (make test does)")
            let cluster = try TestCluster(port: 7660, size: 5)
            let config = try cluster.folder.write("tcp.yaml", Self.yaml(cluster: cluster, port: 7660, strategy: "tcp-proxy",
                                                                        pluginPaths: [folder]))
            for address in cluster.addresses { try cluster.start(address, config: config) }
            try #require(await cluster.waitForAgreement(cluster.addresses) != nil, "\(cluster.logs())")
            let page = try #require(await HTTPFetch.eventually("http://127.0.0.100:8660/index.html"), "\(cluster.logs())")
            #expect(page.status == 200)
            #expect(page.body == FileManager.default.contents(atPath: Self.site + "/index.html"))
            #expect(page.headers["x-cache"] == nil, "tcp-proxy passes bytes; it has no cache")
        }
    }
}
