import Foundation
import SashaCore
import SashaTestSupport
import Testing

extension ClusterSuite {
    /// Ring broadcasts on a real link: three hosts in network namespaces on one bridge
    /// (198.18.0.0/24), each configured with `ring.members` naming only itself, so that the only
    /// way they can find each other is the link's broadcast address. Needs root, which CI has.
    @Suite("broadcast on a real link")
    struct LinkBroadcastTests {
        @Test("members that know only themselves find each other through ring.interface's broadcast address")
        func membersMeetByBroadcast() async throws {
            try #require(geteuid() == 0, "this test builds network namespaces and needs root (CI runs as root)")
            let lab = try NamespaceLab(hosts: 3)
            defer { lab.tearDown() }
            let cluster = try TestCluster(port: 7590, size: 1)
            var children: [Process] = []
            defer { for child in children where child.isRunning { kill(child.processIdentifier, SIGKILL); child.waitUntilExit() } }
            for (index, address) in lab.addresses.enumerated() {
                let config = try cluster.folder.write("node\(index).yaml", """
                    cluster: { name: link, vip: 198.18.0.100, ports: [8080] }
                    ring: { port: 7590, members: [\(address)], interface: eth0, heartbeat_ms: 20, token_timeout_ms: 150,
                            broadcast_timeout_ms: 100, \(cluster.ringKey()) }
                    control: { dir: \(cluster.controlDir) }
                    """)
                children.append(try lab.run(host: index, [PackagePaths.sashaExecutable, "run", "--config", config, "--node", address],
                                            log: cluster.logPath(address)))
            }
            let agreed = await cluster.waitForAgreement(lab.addresses, timeout: .seconds(20))
            try #require(agreed != nil, "the three did not form one ring:\n\(lab.addresses.map { (try? String(contentsOfFile: cluster.logPath($0), encoding: .utf8)) ?? "" }.joined())")
            // Whoever formed the ring first dispatches (no preemption): any of the three.
            #expect(agreed?.dispatcher.map(lab.addresses.contains) == true)
            let log = try String(contentsOfFile: cluster.logPath("198.18.0.2"), encoding: .utf8)
            #expect(log.contains("broadcasts to 198.18.0.255 on eth0"), "\(log)")
        }

        @Test("an interface without a broadcast address fans out; one that does not exist is refused with the fix")
        func lookup() throws {
            #expect(try LinkBroadcast.lookup(interface: "lo") == nil)
            #expect(throws: DaemonSettings.Refusal.self) { try LinkBroadcast.lookup(interface: "nosuch9") }
            do {
                _ = try LinkBroadcast.lookup(interface: "nosuch9")
            } catch {
                #expect(error.lines.joined().contains("ring.interface nosuch9 does not exist on this host"))
            }
        }
    }
}

/// Hosts in network namespaces joined by one bridge, 198.18.0.1... /24, torn down even after a
/// failure (names carry the test process's id, so a crashed run's leftovers do not collide).
struct NamespaceLab {
    let prefix: String
    let addresses: [String]

    init(hosts: Int) throws {
        prefix = "sl\(getpid() % 100_000)"
        addresses = (1...hosts).map { "198.18.0.\($0)" }
        let bridge = prefix + "br"
        var commands = [["netns", "add", bridge], ["-n", bridge, "link", "add", "br0", "type", "bridge"],
                        ["-n", bridge, "link", "set", "br0", "up"]]
        for (index, address) in addresses.enumerated() {
            let host = prefix + "h\(index)"
            commands += [["netns", "add", host],
                         ["-n", host, "link", "add", "eth0", "type", "veth", "peer", "name", "p\(index)", "netns", bridge],
                         ["-n", host, "addr", "add", address + "/24", "dev", "eth0"],
                         ["-n", host, "link", "set", "eth0", "up"], ["-n", host, "link", "set", "lo", "up"],
                         ["-n", bridge, "link", "set", "p\(index)", "master", "br0"], ["-n", bridge, "link", "set", "p\(index)", "up"]]
        }
        for command in commands {
            let result = Self.ip(command)
            guard result == 0 else {
                tearDown()
                throw LabError(description: "ip \(command.joined(separator: " ")) failed with status \(result)")
            }
        }
    }

    struct LabError: Error, CustomStringConvertible { let description: String }

    func run(host: Int, _ arguments: [String], log: String) throws -> Process {
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", prefix + "h\(host)"] + arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    func tearDown() {
        for index in addresses.indices { _ = Self.ip(["netns", "del", prefix + "h\(index)"]) }
        _ = Self.ip(["netns", "del", prefix + "br"])
    }

    @discardableResult
    static func ip(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
