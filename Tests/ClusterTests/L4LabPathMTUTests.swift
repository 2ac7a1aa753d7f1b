import Foundation
import SashaSDK
import SashaTestSupport
import Testing

/// Path MTU discovery through the dispatcher (issue 16, item 9): a client behind a link narrower
/// than the servers' packets downloads a file. The router before the narrow link answers each
/// too-large packet with "fragmentation needed" addressed to the VIP; only if the dispatcher
/// sends it on to the right server (rewritten, in `l4-3`) does that server lower its segment
/// size. Without it the download stalls: a PMTU black hole (the servers do no MTU probing).
extension L4LabTests {
    @Test("path MTU discovery works through the dispatcher: a client behind a 1,400-byte link downloads 256 KiB",
          arguments: ["l4-2", "l4-3"])
    func pathMTUDiscovery(strategy: String) async throws {
        let site = try TemporaryFolder()
        let big = site.file("big.bin")
        try Self.randomFile(big, bytes: 256 << 10)
        let running = try Self.runLab(strategy: strategy, members: ["d1", "s1", "s2", "s3"], dispatchers: ["d1"],
                                              moreClientNetworks: [Self.farNetwork], site: site)
        defer { running.close() }
        let (lab, cluster, addresses) = (running.lab, running.cluster, running.addresses)
        try #require(await cluster.waitForAgreement(addresses)?.dispatcher == lab.address("d1"), "\(Self.logs(cluster, addresses))")
        try Self.addFarHost(lab, directReturn: strategy == "l4-2")

        let expected = L4Lab.command("/usr/bin/sha256sum", [big]).output.split(separator: " ").first.map(String.init)
        for attempt in 1...3 {
            let download = lab.exec(host: "far", ["bash", "-c", "curl -sS -m 10 http://\(lab.vip)/big.bin | sha256sum"])
            let stats = cluster.status(lab.address("d1"))?.strategyStats.map { "\($0)" } ?? "none"
            #expect(download.output.split(separator: " ").first.map(String.init) == expected,
                    "download \(attempt) from behind the narrow link: \(download.output)\n\(stats)")
        }
        let stats = try #require(cluster.status(lab.address("d1"))?.strategyStats)
        #expect(Self.number(stats, "packets", "icmp_errors") >= 1, "\(stats)")
        #expect(Self.number(stats, "drops", "bad_checksum") == 0, "\(stats)")
    }

    static let farNetwork = "198.18.3.0/24"

    /// Host "far" (198.18.3.10) behind the client, which routes for it over a link whose client
    /// end has MTU 1,400 (far's end keeps 1,500, so far offers an MSS of 1,460). The servers and
    /// the router learn the way back to it (for `l4-2`'s direct return; `l4-3` servers route it
    /// through the gateway by `client_networks`). `lab.sh down` removes it.
    static func addFarHost(_ lab: L4Lab, directReturn: Bool) throws {
        let far = lab.namespace("far"), client = lab.namespace("client")
        var steps: [[String]] = [
            ["netns", "add", far],
            ["-n", far, "link", "set", "lo", "up"],
            ["-n", client, "link", "add", "narrow", "type", "veth", "peer", "name", "eth0", "netns", far],
            ["-n", client, "link", "set", "narrow", "mtu", "1400", "up"],
            ["-n", client, "addr", "add", "198.18.3.1/24", "dev", "narrow"],
            ["-n", far, "addr", "add", "198.18.3.10/24", "dev", "eth0"],
            ["-n", far, "link", "set", "eth0", "up"],
            ["-n", far, "route", "add", "default", "via", "198.18.3.1"],
            ["-n", lab.namespace("router"), "route", "add", farNetwork, "via", lab.address("client")],
        ]
        if directReturn {
            steps += ["s1", "s2", "s3"].map { ["-n", lab.namespace($0), "route", "add", farNetwork, "via", "198.18.2.253"] }
        }
        for step in steps {
            let result = L4Lab.command("/usr/sbin/ip", step)
            try #require(result.status == 0, "ip \(step.joined(separator: " ")): \(result.output)")
        }
        let sysctls = [("client", "net.ipv4.ip_forward=1")]
            + ["s1", "s2", "s3"].map { ($0, "net.ipv4.tcp_mtu_probing=0") }
        for (host, setting) in sysctls {
            let result = lab.exec(host: host, ["sysctl", "-qw", setting])
            try #require(result.status == 0, "sysctl \(setting) on \(host): \(result.output)")
        }
    }
}
