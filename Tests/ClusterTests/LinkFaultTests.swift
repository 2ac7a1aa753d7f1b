import Foundation
import SashaCore
import SashaTestSupport
import Testing

extension ClusterSuite {
    /// Faults of the network itself, not of the processes: a link that goes down and comes back,
    /// a member with no route. No send error may end a `sasha run`. Network namespaces: root,
    /// which CI has.
    @Suite("network faults on a real link")
    struct LinkFaultTests {
        static let timing = "heartbeat_ms: 50, token_timeout_ms: 500, broadcast_timeout_ms: 250"

        @Test("a member listed in ring.members with no route to it: the daemon runs on, and the status and one log line name the peer and the cause")
        func unroutableMember() async throws {
            try #require(geteuid() == 0, "this test builds a network namespace and needs root (CI runs as root)")
            let namespace = "sl\(getpid() % 100_000)nr"
            NamespaceLab.ip(["netns", "del", namespace])
            try #require(NamespaceLab.ip(["netns", "add", namespace]) == 0)
            defer { NamespaceLab.ip(["netns", "del", namespace]) }
            try #require(NamespaceLab.ip(["-n", namespace, "link", "set", "lo", "up"]) == 0)
            let cluster = try TestCluster(port: 7595, size: 1)
            // Only loopback in the namespace: 198.18.5.1 has no route (ENETUNREACH).
            let config = try cluster.folder.write("unroutable.yaml", """
                cluster: { name: unroutable, vip: 127.0.0.100, ports: [8080] }
                ring: { port: 7595, members: [127.0.0.1, 198.18.5.1], \(Self.timing), \(cluster.ringKey()) }
                control: { dir: \(cluster.controlDir) }
                """)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, PackagePaths.sashaExecutable, "run", "--config", config, "--node", "127.0.0.1"]
            let log = cluster.logPath("127.0.0.1")
            FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = process.standardError
            try L4Lab.launch(process)
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
            // Joins go to 198.18.5.1 three times a broadcast timeout: dozens of failed sends.
            try await Task.sleep(for: .seconds(3))
            let text = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
            try #require(process.isRunning, "sasha run exited:\n\(text())")
            let report = try #require(cluster.status("127.0.0.1"), "no status:\n\(text())")
            let transport = try #require(report.transport)
            let peer = try #require(transport.peers.first { $0.address == "198.18.5.1" }, "\(transport)")
            #expect(peer.failing == "network_unreachable", "\(transport)")
            #expect((peer.errors["network_unreachable"] ?? 0) > 10, "\(transport)")
            #expect(report.role == "standalone", "\(report.role)")
            let lines = text().split(separator: "\n").filter { $0.contains("cannot send to 198.18.5.1") }
            #expect(lines.count == 1, "one line for the peer, not one per datagram:\n\(text())")
            #expect(lines.first?.contains("network unreachable") == true, "\(lines)")
        }

        @Test("the dispatcher's link goes down for 3 s: the others take over, it gives the VIP up, its sasha run keeps running, and it rejoins by itself when the link returns")
        func dispatcherLinkFlap() async throws {
            try #require(geteuid() == 0, "this test builds network namespaces and needs root (CI runs as root)")
            let lab = try NamespaceLab(hosts: 3)
            defer { lab.tearDown() }
            let cluster = try TestCluster(port: 7596, size: 1)
            let site = try TemporaryFolder()
            _ = try site.write("index.html", "hello\n")
            let (first, second, third) = (lab.addresses[0], lab.addresses[1], lab.addresses[2])
            let config = try cluster.folder.write("flap.yaml", """
                cluster: { name: flap, vip: 198.18.0.100, ports: [80] }
                ring: { port: 7596, members: [\(lab.addresses.joined(separator: ", "))], interface: eth0, \(Self.timing), \(cluster.ringKey()) }
                control: { dir: \(cluster.controlDir) }
                plugins: { paths: [\(PackagePaths.buildProducts)] }
                dispatch: { strategy: l7, policy: round-robin }
                service: { port: 8080, root: \(site.path) }
                nodes:
                  \(first): { dispatch: true }
                  \(second): { dispatch: true }
                  \(third): { dispatch: false }
                """)
            var children: [Process] = []
            defer { for child in children where child.isRunning { kill(child.processIdentifier, SIGKILL); child.waitUntilExit() } }
            let logs = { lab.addresses.map { "--- \($0)\n" + ((try? String(contentsOfFile: cluster.logPath($0), encoding: .utf8)) ?? "") }.joined() }
            // The first alone, so that it dispatches.
            children.append(try lab.run(host: 0, [PackagePaths.sashaExecutable, "run", "--config", config, "--node", first],
                                        log: cluster.logPath(first)))
            try #require(await cluster.waitForAgreement([first], timeout: .seconds(20)) != nil, "\(logs())")
            for index in 1...2 {
                children.append(try lab.run(host: index, [PackagePaths.sashaExecutable, "run", "--config", config, "--node", lab.addresses[index]],
                                            log: cluster.logPath(lab.addresses[index])))
            }
            try #require(await cluster.waitForAgreement(lab.addresses, timeout: .seconds(20))?.dispatcher == first, "\(logs())")

            try #require(lab.link(host: 0, up: false) == 0)
            let cut = ContinuousClock.now
            let others = await cluster.waitForAgreement([second, third], timeout: .seconds(3))
            #expect(others?.dispatcher == second, "the others did not elect \(second) while the link was down:\n\(logs())")
            // Cut off, it is not the last member standing: it gives the VIP up rather than hold it
            // on a dead link (and announce it when the link returns).
            try await Task.sleep(until: cut + .milliseconds(2_500))
            let addresses = L4Lab.command("/usr/sbin/ip", ["-n", lab.prefix + "h0", "-4", "addr", "show", "eth0"]).output
            #expect(!addresses.contains("198.18.0.100/32"), "the member whose link is down still holds the VIP:\n\(addresses)\n\(logs())")
            try await Task.sleep(until: cut + .seconds(3))
            try #require(lab.link(host: 0, up: true) == 0)
            #expect(children[0].isRunning, "the member whose link went down exited:\n\(logs())")

            let rejoined = await cluster.waitForAgreement(lab.addresses, timeout: .seconds(15))
            #expect(rejoined?.dispatcher == second, "\(first) did not rejoin the ring under \(second):\n\(logs())")
            #expect(rejoined?.reports[first]?.role == "server", "\(rejoined?.reports[first]?.role ?? "-")")
            let transport = try #require(cluster.status(first)?.transport)
            #expect((transport.sendErrors["network_unreachable"] ?? 0) > 0, "\(transport)")
            #expect(transport.peers.allSatisfy { $0.failing == nil }, "every peer works again: \(transport)")
            let log = (try? String(contentsOfFile: cluster.logPath(first), encoding: .utf8)) ?? ""
            #expect(log.contains("ring transport: cannot send to") && log.contains("works again"), "\(log)")
            #expect(!log.contains("stopped with an error") && !log.contains("the ring socket closed"), "\(log)")
        }
    }
}

extension NamespaceLab {
    /// `ip link set eth0 up|down` in host `host`'s namespace (the cable pulled, the switch port
    /// restarted); the exit status.
    @discardableResult
    func link(host: Int, up: Bool) -> Int32 {
        Self.ip(["-n", prefix + "h\(host)", "link", "set", "eth0", up ? "up" : "down"])
    }
}
