import Foundation
import SashaCore
import SashaSDK
import SashaTestSupport
import Testing

/// The network chaos lab (issue 22): five members (d1 and d2 may dispatch, s1-s3 serve) on one
/// lab link with the default ring timing, wrk and a probe running through the VIP from the client,
/// and the network's faults one after another: links down and up, loss, duplication, an MTU drop,
/// an interface and a whole host vanishing. After each fault heals: every member runs, they form
/// one ring with one dispatcher, and the VIP answers. Each fault's figures are printed: the time
/// until service through the VIP resumed, wrk's failed requests out of those sent, and the purges
/// while no member failed. CI runs the short schedule; SASHA_CHAOS_LONG=1 runs the long one.
/// Needs root (CI runs as root) and wrk.
@Suite("network chaos lab", .serialized, .enabled(if: Privileges.isRoot, "the lab needs root (network namespaces); CI runs as root"))
struct NetworkChaosTests {
    static let long = ProcessInfo.processInfo.environment["SASHA_CHAOS_LONG"] == "1"
    static let members = ["d1", "d2", "s1", "s2", "s3"]

    struct Row: CustomStringConvertible {
        var fault: String
        var outage: Double?
        var failed: Int
        var sent: Int
        var purges: UInt64

        var description: String {
            let resumed = outage.map { $0 == 0 ? "no gap" : String(format: "%.2f s", $0) } ?? "NOT BACK"
            return "\(fault): service gap \(resumed); wrk \(failed) failed of \(sent); purges \(purges)"
        }
    }

    @Test("every fault of the network heals to every member running, one ring, one dispatcher and the VIP answering",
          .timeLimit(.minutes(10)), arguments: ["l7", "l4-2"])
    func faultsHeal(strategy: String) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk"), "install wrk (scripts/deps.sh test)")
        let lab = try L4Lab.up(topology: .one)
        defer { lab.tearDown() }
        let site = try TemporaryFolder()
        _ = try site.write("index.html", "hello from the chaos lab\n")
        let cluster = try TestCluster(port: 7700, size: 1)
        let addresses = Self.members.map { lab.address($0) }
        let config = try Self.config(in: cluster, lab: lab, strategy: strategy, site: site)
        let children = try L4LabTests.startMembers(["d1"], lab: lab, cluster: cluster, config: config)
        defer { children.killAll() }
        try #require(await cluster.waitForAgreement([lab.address("d1")]) != nil, "\(L4LabTests.logs(cluster, addresses))")
        for member in Self.members.dropFirst() { try children.start(member, lab: lab, cluster: cluster, config: config) }
        try #require(await cluster.waitForAgreement(addresses, timeout: .seconds(30))?.dispatcher == lab.address("d1"),
                     "\(L4LabTests.logs(cluster, addresses))")
        try #require(await Self.vipAnswers(lab, within: .seconds(10)), "the VIP does not answer:\n\(L4LabTests.logs(cluster, addresses))")

        let network = ChaosNetwork(lab: lab)
        var rows: [Row] = []
        for fault in ChaosFault.schedule(long: Self.long) {
            let row = try await Self.run(fault, strategy: strategy, lab: lab, network: network, cluster: cluster, config: config,
                                         children: children, site: site)
            rows.append(row)
            print("chaos \(strategy): \(row)")
        }
        print("chaos \(strategy) summary:\n" + rows.map { "  \($0)" }.joined(separator: "\n"))
    }

    /// One fault under wrk: 1 s of traffic, the fault for its duration, the heal, 5 s more; then
    /// the checks.
    static func run(_ fault: ChaosFault, strategy: String, lab: L4Lab, network: ChaosNetwork, cluster: TestCluster, config: String,
                    children: LabMembers, site: TemporaryFolder) async throws -> Row {
        let addresses = members.map { lab.address($0) }
        let before = try #require(await cluster.waitForAgreement(addresses, timeout: .seconds(20)),
                                  "no one ring before \(fault):\n\(L4LabTests.logs(cluster, addresses))")
        let host = fault.target.map { target -> String in
            let ring = before.reports.values.first!.ring!
            let address: String
            switch target {
            case .dispatcher: address = ring.dispatcher!
            case .master: address = ring.master
            // The highest server: never the master, never a dispatcher.
            case .server: address = ring.members.last { $0.address != ring.dispatcher && $0.address != ring.master }!.address
            }
            return members.first { lab.address($0) == address }!
        }
        let purgesBefore = addresses.compactMap { cluster.status($0)?.counters.purges }.reduce(0, +)

        let seconds = 1 + Double(fault.duration.components.seconds) + 5
        let probeOutput = site.file("probe.out"), wrkOutput = site.file("wrk.out")
        let probe = try lab.run(host: "client", argv: ["python3", "-c", VIPProbe.script, lab.vip, "80", "\(seconds)", probeOutput])
        let wrk = try lab.run(host: "client", argv: ["wrk", "-t1", "-c8", "-d\(Int(seconds))s", "--timeout", "2s", "http://\(lab.vip)/"],
                              log: wrkOutput)
        defer {
            for process in [probe, wrk] where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try await Task.sleep(for: .seconds(1))
        let injected = Date().timeIntervalSince1970
        try network.inject(fault, on: host, folder: site, members: children)
        try await Task.sleep(for: fault.duration)
        try network.heal(fault, on: host, members: children) {
            try children.start(host!, lab: lab, cluster: cluster, config: config)
        }
        let purgesDuring = fault.noMemberFails ? addresses.compactMap { cluster.status($0)?.counters.purges }.reduce(0, +) : 0
        while probe.isRunning || wrk.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let report = WrkRun.report((try? String(contentsOfFile: wrkOutput, encoding: .utf8)) ?? "")
        let outage = VIPProbe.outage((try? String(contentsOfFile: probeOutput, encoding: .utf8)) ?? "", since: injected)
        let row = Row(fault: fault.description, outage: outage, failed: report.socketErrors + report.non2xx,
                      sent: report.requests + report.socketErrors, purges: purgesDuring >= purgesBefore ? purgesDuring - purgesBefore : 0)

        // Healed: every member runs, one ring of all five with one dispatcher, the VIP answers.
        for member in members {
            #expect(children.isRunning(member), "\(strategy), after \(fault): \(member)'s sasha run exited:\n\(L4LabTests.logs(cluster, addresses))")
        }
        let after = await cluster.waitForAgreement(addresses, timeout: .seconds(20))
        #expect(after?.dispatcher != nil, "\(strategy), after \(fault): no one ring of five with a dispatcher:\n\(L4LabTests.logs(cluster, addresses))")
        #expect(await vipAnswers(lab, within: .seconds(10)), "\(strategy), after \(fault): the VIP does not answer:\n\(row)\n\(L4LabTests.logs(cluster, addresses))")
        return row
    }

    /// True once a request through the VIP from the client succeeds, trying every 200 ms.
    static func vipAnswers(_ lab: L4Lab, within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if lab.exec(host: "client", ["curl", "-sS", "-m", "1", "-o", "/dev/null", "-f", "http://\(lab.vip)/"]).status == 0 { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// d1 and d2 may dispatch and serve nothing, s1-s3 serve `site`; the ring broadcasts on eth0,
    /// with the default timing (heartbeat 100 ms, token timeout 1 s, broadcast timeout 500 ms).
    static func config(in cluster: TestCluster, lab: L4Lab, strategy: String, site: TemporaryFolder) throws -> String {
        let options = strategy == "l7" ? "{}" : "{ interface: eth0 }"
        let nodes = ["d1", "d2"].map { "  \(lab.address($0)): { serve: false }" } + ["s1", "s2", "s3"].map { "  \(lab.address($0)): { dispatch: false }" }
        return try cluster.folder.write("chaos-\(strategy).yaml", """
            cluster: { name: chaos, vip: \(lab.vip), ports: [80] }
            ring: { port: 7700, members: [\(members.map { lab.address($0) }.joined(separator: ", "))], interface: eth0, \(cluster.ringKey()) }
            control: { dir: \(cluster.controlDir) }
            plugins: { paths: [\(PackagePaths.buildProducts)] }
            dispatch: { strategy: \(strategy), policy: round-robin, strategy_options: \(options) }
            service: { port: 8080, root: \(site.path) }
            nodes:
            \(nodes.joined(separator: "\n"))

            """)
    }
}
