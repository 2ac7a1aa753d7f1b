import Foundation
import SashaCore
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

            let metrics = try httpGet(port: 7581, path: "/metrics")
            #expect(metrics.hasPrefix("HTTP/1.1 200"), "\(metrics)")
            #expect(metrics.contains("sasha_ring_members 2"), "\(metrics)")
            let role = formed?.dispatcher == "127.0.0.1" ? "dispatcher" : "server"
            #expect(metrics.contains(#"sasha_ring_role{role="\#(role)"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"sasha_ring_drops_total{cause="bad_tag"} 0"#))
            #expect(metrics.contains("sasha_ring_packets_in_total"))
            #expect(try httpGet(port: 7581, path: "/").hasPrefix("HTTP/1.1 404"))

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

        /// One HTTP/1.0 request over a plain TCP socket; the whole response.
        private func httpGet(port: UInt16, path: String) throws -> String {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(connected == 0, "cannot connect to the metrics port")
            let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var response: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                response += chunk[..<count]
            }
            return String(decoding: response, as: UTF8.self)
        }
    }
}
