import Foundation
import SashaCore
import SashaTestSupport
import Testing

extension ClusterSuite {
    /// A member whose own service fails its health check is marked unhealthy on the ring and gets
    /// no new requests until it recovers: here the services are external servers
    /// (`service.external_port`) that the test controls.
    @Suite("service health on the ring")
    struct HealthClusterTests {
        /// A tiny HTTP server for one member: `/health` answers 200, or 500 while the file
        /// `<folder>/sick-<address>` exists; every other path answers the member's address.
        static let server = """
            import http.server, os, sys
            address, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_GET(self):
                    sick = os.path.exists(os.path.join(folder, "sick-" + address))
                    status = 500 if self.path == "/health" and sick else 200
                    body = (address + "\\n").encode()
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args): pass
            http.server.ThreadingHTTPServer((address, port), Handler).serve_forever()
            """

        @Test("a member whose service answers 500 on health gets no requests until it answers 200 again")
        func unhealthyMemberIsLeftOut() async throws {
            let cluster = try TestCluster(port: 7670, size: 3)
            let script = try cluster.folder.write("server.py", Self.server)
            var servers: [Process] = []
            // SIGKILL: a child inherits ignored signals, and the test process may ignore SIGTERM.
            defer { for server in servers where server.isRunning { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() } }
            for address in ["127.0.0.2", "127.0.0.3"] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", script, address, "8672", cluster.folder.path]
                try process.run()
                servers.append(process)
            }
            let config = try cluster.folder.write("health.yaml", """
                cluster: { name: health, vip: 127.0.0.100, ports: [8670] }
                ring: { port: 7670, members: [127.0.0.1, 127.0.0.2, 127.0.0.3], heartbeat_ms: 20, token_timeout_ms: 150,
                        broadcast_timeout_ms: 100, insecure: true }
                control: { dir: \(cluster.controlDir) }
                plugins: { paths: [\(PackagePaths.buildProducts)] }
                dispatch: { strategy: l7, policy: round-robin, strategy_options: { cache: { enabled: false } } }
                service: { port: 8671, external_port: 8672, health: /health }
                nodes: { 127.0.0.1: { serve: false }, 127.0.0.2: { dispatch: false }, 127.0.0.3: { dispatch: false } }
                """)
            for address in cluster.addresses { try cluster.start(address, config: config) }
            try #require(await cluster.waitForAgreement(cluster.addresses)?.dispatcher == "127.0.0.1", "\(cluster.logs())")
            let url = "http://127.0.0.100:8670/"
            func answers(_ count: Int) -> [String] {
                (0..<count).compactMap { _ in HTTPFetch.get(url).map { String(decoding: $0.body, as: UTF8.self) } }
            }
            func healthy(_ address: String) -> Bool? {
                cluster.status("127.0.0.1")?.ring?.members.first { $0.address == address }?.healthy
            }
            _ = try #require(await HTTPFetch.eventually(url), "\(cluster.logs())")
            #expect(Set(answers(8)) == ["127.0.0.2\n", "127.0.0.3\n"])

            FileManager.default.createFile(atPath: cluster.folder.file("sick-127.0.0.3"), contents: nil)
            let deadline = ContinuousClock.now + .seconds(10)
            while healthy("127.0.0.3") != false, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            #expect(healthy("127.0.0.3") == false, "\(cluster.logs())")
            #expect(cluster.status("127.0.0.3")?.service?.healthy == false)
            #expect(Set(answers(8)) == ["127.0.0.2\n"], "an unhealthy member still got requests")

            try FileManager.default.removeItem(atPath: cluster.folder.file("sick-127.0.0.3"))
            let back = ContinuousClock.now + .seconds(10)
            while healthy("127.0.0.3") != true, ContinuousClock.now < back { try await Task.sleep(for: .milliseconds(100)) }
            #expect(healthy("127.0.0.3") == true, "\(cluster.logs())")
            #expect(Set(answers(8)) == ["127.0.0.2\n", "127.0.0.3\n"])
        }
    }
}
