import Foundation
import SashaTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// examples/lab/lab.sh itself.
@Suite(.enabled(if: Privileges.isRoot, "needs root (network namespaces, AF_PACKET sockets); CI runs as root"))
struct LabScriptTests {
    /// Topology two: the client reaches a server through the router (the l4-2 direct-return
    /// path), and `down` leaves no namespace behind, twice over.
    @Test func topologyTwoRoutesAndDownRemovesEverything() async throws {
        let lab = try L4Lab.up(topology: .two)
        defer { lab.tearDown() }
        #expect(lab.hosts == ["client", "d1", "d2", "s1", "s2", "s3", "router"])
        #expect(lab.members.map(lab.address) == ["198.18.2.1", "198.18.2.2", "198.18.2.11", "198.18.2.12", "198.18.2.13"])
        #expect(lab.address("d1", interface: "eth0") == "198.18.1.1")
        #expect(lab.vip == "198.18.1.100")
        #expect(lab.gateway == "198.18.2.254")
        #expect(lab.exec(host: "s1", ["ethtool", "-k", "eth0"]).output.contains("tx-checksumming: off"))

        let listener = try await NetworkNamespace.run(in: lab.namespace("s2")) { listen(port: 7000) }
        defer { close(listener) }
        try #require(listener >= 0)
        #expect(connect(in: lab, from: "client", to: lab.address("s2"), port: 7000))
        // Nobody holds the VIP or the gateway address.
        #expect(!lab.exec(host: "client", ["ip", "-o", "addr"]).output.contains(lab.vip))

        // A process started with `run` answers terminate() (the test thread's signal mask is not
        // passed on), and one left running dies with the lab.
        let terminated = try lab.run(host: "d1", argv: ["sleep", "30"])
        terminated.terminate()
        terminated.waitUntilExit()
        #expect(terminated.terminationStatus == SIGTERM)
        let sleeper = try lab.run(host: "d2", argv: ["sleep", "30"])
        lab.tearDown()
        lab.tearDown()
        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == .uncaughtSignal)
        let left = L4Lab.command("/usr/sbin/ip", ["netns", "list"]).output.split(separator: "\n").filter { $0.hasPrefix(lab.prefix + "-") }
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(!FileManager.default.fileExists(atPath: lab.folder))
    }

    /// An `up` that fails halfway (here: a host's namespace name is taken) removes what it made.
    @Test func failedUpLeavesNothing() throws {
        let prefix = "sl\(getpid())xfail"
        L4Lab.runScript(["down", "--prefix", prefix])
        try #require(L4Lab.command("/usr/sbin/ip", ["netns", "add", "\(prefix)-s2"]).status == 0)
        let (status, output) = L4Lab.runScript(["up", "--prefix", prefix])
        #expect(status != 0)
        #expect(output.contains("up failed; removing the partial lab"))
        let left = L4Lab.command("/usr/sbin/ip", ["netns", "list"]).output.split(separator: "\n").filter { $0.hasPrefix(prefix + "-") }
        #expect(left.isEmpty, "left behind: \(left)")
        L4Lab.runScript(["down", "--prefix", prefix])
    }
}
