import Foundation
import SashaCore
import SashaTestSupport
import Testing

extension ClusterSuite {
    @Suite("metrics, logs and the control socket's limits")
    struct Observability {
        @Test("control.metrics serves the ring's counters in Prometheus form; other paths are 404")
        func metricsEndpoint() async throws {
            let cluster = try TestCluster(port: 7580, size: 2)
            let config = try cluster.folder.write("metrics.yaml", TestCluster.yaml(
                port: 7580, members: cluster.addresses, timing: .fast, security: "insecure: true",
                controlDir: cluster.controlDir, metrics: "127.0.0.1:7581"))
            try cluster.start("127.0.0.1", config: config)
            try cluster.start("127.0.0.2")
            let formed = await cluster.waitForAgreement(cluster.addresses)
            try #require(formed != nil, "no agreement\n\(cluster.logs())")

            let scrape = try #require(try await onThread { try? RawHTTP.get("/metrics", address: "127.0.0.1", port: 7581) })
            let metrics = scrape.text
            #expect(scrape.status == 200, "\(metrics)")
            #expect(metrics.contains("sasha_ring_members 2"), "\(metrics)")
            let role = formed?.dispatcher == "127.0.0.1" ? "dispatcher" : "server"
            #expect(metrics.contains(#"sasha_ring_role{role="\#(role)"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"sasha_ring_drops_total{cause="bad_tag"} 0"#))
            #expect(metrics.contains("sasha_ring_packets_in_total"))
            #expect(await onThread { try? RawHTTP.get("/", address: "127.0.0.1", port: 7581) }?.status == 404)

            let log = try String(contentsOfFile: cluster.logPath("127.0.0.1"), encoding: .utf8)
            #expect(log.contains("ring.insecure is true"), "the insecure warning at every start")
            #expect(log.contains("node=127.0.0.1"))
            let dispatcher = formed?.dispatcher ?? "-"
            #expect(log.contains("membership: 2 members [127.0.0.1, 127.0.0.2], master 127.0.0.1, dispatcher \(dispatcher), ring "),
                    "\(log)")
            #expect(log.contains("-> \(role); cause: "), "\(log)")
        }

        @Test("a control folder too deep for a Unix socket path is refused by run and status alike")
        func socketPathTooLong() async throws {
            let deep = "/tmp/" + String(repeating: "d", count: 100)
            let cluster = try TestCluster(port: 7590, size: 1)
            let config = try cluster.folder.write("deep.yaml", TestCluster.yaml(
                port: 7590, members: cluster.addresses, timing: .fast, security: "insecure: true", controlDir: deep))
            for command in ["run", "status"] {
                let result = try await cluster.sasha([command, "--config", config, "--node", "127.0.0.1"])
                #expect(result.status == 1)
                #expect(result.output.contains("more than the 107 a Unix socket path may have"), "\(result.output)")
            }
        }
    }
}
