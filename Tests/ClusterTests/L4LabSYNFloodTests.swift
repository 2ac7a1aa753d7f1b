import Foundation
import SashaSDK
import SashaTestSupport
import Testing

/// A SYN flood from random sources (issue 16, item 8), small enough for CI: 20,000 SYNs from
/// 198.18.128.0/17 at 20,000 a second against a dispatcher with `max_flows: 1000`. The map must
/// stop at `max_flows` and count the rest; 100 keep-alive connections opened before the flood
/// must still answer from their servers; the SYN-only entries must leave after `syn_timeout_s`,
/// after which a new connection is answered. (`Benchmarks/L4/syn_flood.py` floods a million at
/// the lab's highest rate, with the memory figure.)
extension L4LabTests {
    @Test("a random-source SYN flood stops at max_flows, counted; established connections keep their servers; the SYN-only entries leave",
          arguments: ["l4-2", "l4-3"])
    func synFloodIsBounded(strategy: String) async throws {
        let running = try Self.runLab(strategy: strategy, members: ["d1", "s1", "s2", "s3"], dispatchers: ["d1"],
                                              moreClientNetworks: [Self.floodNetwork],
                                              moreOptions: "max_flows: 1000, expected_flows: 16, syn_timeout_s: 2")
        defer { running.close() }
        let (lab, cluster, addresses, site) = (running.lab, running.cluster, running.addresses, running.site)
        try #require(await cluster.waitForAgreement(addresses)?.dispatcher == lab.address("d1"), "\(Self.logs(cluster, addresses))")
        let warm = lab.exec(host: "client", ["curl", "-sS", "-m", "5", "-o", "/dev/null", "http://\(lab.vip)/"])
        try #require(warm.status == 0, "\(warm.output)\n\(Self.logs(cluster, addresses))")

        let held = try await KeptConnections(lab, site: site)

        let flood = try site.write("flood.trafgen", try Self.floodConfig(lab))
        let sent = lab.exec(host: "client", ["trafgen", "--dev", "eth0", "--conf", flood, "-n", "20000", "-b", "20000pps", "-q"])
        try #require(sent.status == 0, "trafgen: \(sent.output)")
        try await Task.sleep(for: .milliseconds(300))
        let during = try #require(cluster.status(lab.address("d1"))?.strategyStats)
        #expect((100...1000).contains(Self.number(during, "flows")), "the map passed max_flows: \(during)")
        #expect(Self.number(during, "drops", "map_full") >= 10_000, "the SYNs past max_flows were not counted: \(during)")

        let summary = try await held.askAgain()
        #expect(summary.hasPrefix("same 100 "), "keep-alive connections after the flood: \(summary)")

        // syn_timeout_s is 2: the SYN-only entries leave (the sweep takes up to 4,096 a 10 ms).
        try await Task.sleep(for: .seconds(3))
        let after = try #require(cluster.status(lab.address("d1"))?.strategyStats)
        #expect((0...200).contains(Self.number(after, "flows")), "SYN-only entries outlived syn_timeout_s: \(after)")
        let fresh = lab.exec(host: "client", ["curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "http://\(lab.vip)/"])
        #expect(fresh.output == "200", "a new connection after the flood: \(fresh.output)")
    }

    /// Where the flood's sources are (l4-3's servers route it through the gateway, so its
    /// SYN-ACKs come back through the dispatcher too).
    static let floodNetwork = "198.18.128.0/17"

    /// trafgen: SYNs to the VIP's port 80 from random addresses of `floodNetwork` and random
    /// ports, from the client's MAC to d1's front MAC.
    static func floodConfig(_ lab: L4Lab) throws -> String {
        func mac(_ host: String) throws -> String {
            let read = lab.exec(host: host, ["cat", "/sys/class/net/eth0/address"])
            try #require(read.status == 0, "the MAC of \(host): \(read.output)")
            return read.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return """
            {
              eth(da=\(try mac("d1")), sa=\(try mac("client"))),
              ipv4(saddr=drnd(3323101184, 3323199487), daddr=\(lab.vip), ttl=64),
              tcp(sp=drnd(1024, 65535), dp=80, syn, seq=drnd(), win=64240),
            }

            """
    }
}
