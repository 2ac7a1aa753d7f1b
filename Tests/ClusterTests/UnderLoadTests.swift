import Foundation
import SashaCore
import SashaTestSupport
import Testing

extension ClusterSuite {
    /// The cluster while wrk drives the VIP: 50 live policy swaps in 60 s, and a `kill -9` of the
    /// dispatcher. `make test` runs these on their own, because wrk keeps both cores busy.
    @Suite("the cluster under wrk load", .serialized)
    struct UnderLoadTests {
        /// The policies the swaps cycle through, and how many probes each swap sends.
        static let cycle = ["round-robin", "least-connections", "maglev", "bounded-affinity"]
        static let probes = 4

        @Test("50 swaps during 60 s of wrk: no socket error, no non-2xx; new requests follow each policy")
        func fiftySwaps() async throws {
            try #require(FileManager.default.fileExists(atPath: PolicySwapClusterTests.customPolicyFolder + "/libbounded-affinity.so"),
                         "build it first: cd examples/custom-policy && swift build (make test does)")
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk"), "install wrk (apt-get install wrk; .ci/run does)")
            let cluster = try TestCluster(port: 7680, size: 5)
            // No cache: every request reaches a server, so every one is picked by the policy.
            let config = try cluster.folder.write("swap.yaml", L7ClusterTests.yaml(
                cluster: cluster, port: 7680, pluginPaths: [PolicySwapClusterTests.customPolicyFolder], cache: false))
            try cluster.start("127.0.0.1", config: config)
            try #require(await cluster.waitForAgreement(["127.0.0.1"]) != nil, "\(cluster.logs())")
            for address in cluster.addresses.dropFirst() { try cluster.start(address, config: config) }
            try #require(await cluster.waitForAgreement(cluster.addresses)?.dispatcher == "127.0.0.1", "\(cluster.logs())")
            let base = "http://127.0.0.100:8680"
            try #require(await HTTPFetch.eventually(base + "/index.html") != nil, "\(cluster.logs())")

            let wrk = try WrkRun(url: base + "/index.html", seconds: 60, connections: 8, output: cluster.folder.file("wrk.out"))
            let started = ContinuousClock.now
            var servedBy: [String: [[String]]] = [:]
            var slowest = 0.0
            for swap in 0..<50 {
                let policy = Self.cycle[swap % Self.cycle.count]
                // From every member in turn: any member may run a swap.
                let node = cluster.addresses[swap % cluster.addresses.count]
                let result = try await cluster.sasha(["policy", "set", policy, "--config", config, "--node", node, "--json"])
                #expect(result.status == 0, "swap \(swap + 1) to \(policy) via \(node): \(result.output)")
                let outcome = try? JSONDecoder().decode(PolicySwapOutcome.self, from: Data(result.output.utf8))
                #expect(outcome?.epoch == UInt64(swap + 1) && outcome?.members == 5, "\(result.output)")
                slowest = max(slowest, outcome?.totalMilliseconds ?? 0)
                // New requests, each a new connection from curl: which server got them.
                var servers: [String] = []
                for probe in 0..<Self.probes {
                    let answer = HTTPFetch.get("\(base)/about.html?swap=\(swap)&probe=\(probe)")
                    #expect(answer?.status == 200, "probe after swap \(swap + 1) to \(policy)")
                    servers.append(answer?.headers["x-served-by"] ?? "none")
                }
                servedBy[policy, default: []].append(servers)
                // Spread the swaps over the run.
                let due = started + .milliseconds(1_150 * (swap + 1))
                if ContinuousClock.now < due { try await Task.sleep(until: due) }
            }
            let report = try await wrk.finish()
            #expect(report.requests > 1_000, "\(report.text)")
            #expect(report.socketErrors == 0, "\(report.text)")
            #expect(report.non2xx == 0, "\(report.text)")
            #expect(wrk.elapsed(since: started) >= .seconds(55), "the swaps spanned the run")

            // maglev keys on the path: every probe of every maglev phase on one server, the same
            // one each time (equal tables from equal server lists).
            let maglev = Set(try #require(servedBy["maglev"]).flatMap { $0 })
            #expect(maglev.count == 1, "maglev sent one path to several servers: \(servedBy["maglev"] ?? [])")
            // round-robin spreads the same path over the servers.
            let spread = Set(try #require(servedBy["round-robin"]).flatMap { $0 })
            #expect(spread.count >= 3, "round-robin used only \(spread): \(servedBy["round-robin"] ?? [])")
            #expect(!spread.contains("127.0.0.1") && !maglev.contains("127.0.0.1"), "the dispatcher does not serve")
            let last = cluster.addresses.map { cluster.status($0).map { "\($0.policy.name)@\($0.policy.epoch)" } ?? "silent" }
            #expect(last == Array(repeating: "\(Self.cycle[49 % Self.cycle.count])@50", count: 5))
            print("policy swaps under load: 50 swaps, slowest \(slowest) ms; wrk: \(report.requests) requests")
        }

        @Test("kill -9 of the dispatcher under wrk: service comes back through the VIP; the gap's errors are counted and reported")
        func killUnderLoad() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk"), "install wrk (apt-get install wrk; .ci/run does)")
            let cluster = try TestCluster(port: 7700, size: 5)
            let config = try cluster.folder.write("kill.yaml", L7ClusterTests.yaml(cluster: cluster, port: 7700, cache: false))
            try cluster.start("127.0.0.1", config: config)
            try #require(await cluster.waitForAgreement(["127.0.0.1"]) != nil, "\(cluster.logs())")
            for address in cluster.addresses.dropFirst() { try cluster.start(address, config: config) }
            try #require(await cluster.waitForAgreement(cluster.addresses)?.dispatcher == "127.0.0.1", "\(cluster.logs())")
            let url = "http://127.0.0.100:8700/index.html"
            try #require(await HTTPFetch.eventually(url) != nil, "\(cluster.logs())")

            let wrk = try WrkRun(url: url, seconds: 12, connections: 8, output: cluster.folder.file("wrk.out"))
            try await Task.sleep(for: .seconds(4))
            let killed = ContinuousClock.now
            cluster.kill9("127.0.0.1")
            // The first request that succeeds through the VIP after the kill, asked every 20 ms.
            var back: Duration?
            while back == nil, ContinuousClock.now - killed < .seconds(6) {
                if HTTPFetch.get(url)?.status == 200 { back = ContinuousClock.now - killed }
                try await Task.sleep(for: .milliseconds(20))
            }
            let survivors = Array(cluster.addresses.dropFirst())
            let agreed = await cluster.waitForAgreement(survivors, timeout: .seconds(10))
            #expect(agreed?.dispatcher == "127.0.0.2", "\(cluster.logs())")
            let report = try await wrk.finish()
            let comeBack = try #require(back, "no request succeeded through the VIP within 6 s of the kill:\n\(report.text)")
            // The fast timing's token timeout is 150 ms; starting l7 and binding the VIP add a little.
            #expect(comeBack < .seconds(2), "service came back only after \(comeBack)")
            #expect(report.non2xx == 0, "the new dispatcher answered errors: \(report.text)")
            #expect(report.requests > 1_000, "\(report.text)")
            // After the takeover wrk goes on through the new dispatcher: a steady state with no new errors.
            let after = try WrkRun(url: url, seconds: 3, connections: 8, output: cluster.folder.file("wrk-after.out"))
            let steady = try await after.finish()
            #expect(steady.socketErrors == 0 && steady.non2xx == 0 && steady.requests > 100, "\(steady.text)")
            print("kill -9 under wrk: service back after \(comeBack); wrk: \(report.requests) requests, "
                  + "\(report.socketErrors) socket errors and \(report.non2xx) non-2xx during the run")
        }
    }
}

/// wrk through the VIP, in the background, and what it reported.
struct WrkRun {
    struct Report {
        var text: String
        var requests: Int
        var socketErrors: Int
        var non2xx: Int
    }

    private let process = Process()
    private let output: String

    init(url: String, seconds: Int, connections: Int, output: String) throws {
        self.output = output
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "--timeout", "5s", url]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
    }

    func elapsed(since start: ContinuousClock.Instant) -> Duration { ContinuousClock.now - start }

    /// Waits for wrk to end and reads its summary: "N requests in", and the lines it prints only
    /// when something went wrong ("Socket errors: connect A, read B, write C, timeout D",
    /// "Non-2xx or 3xx responses: N").
    func finish() async throws -> Report {
        while process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        return Self.report((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// wrk's summary read from its output.
    static func report(_ text: String) -> Report {
        func number(after marker: String) -> Int? {
            guard let line = text.split(separator: "\n").first(where: { $0.contains(marker) }) else { return nil }
            return Int(line.split(separator: " ").first { Int($0) != nil } ?? "")
        }
        let requests = text.split(separator: "\n").first { $0.contains("requests in") }
            .flatMap { Int($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) } ?? 0
        var socketErrors = 0
        if let line = text.split(separator: "\n").first(where: { $0.contains("Socket errors:") }) {
            socketErrors = line.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Int($0) }.reduce(0, +)
        }
        return Report(text: text, requests: requests, socketErrors: socketErrors,
                      non2xx: number(after: "Non-2xx or 3xx responses:") ?? 0)
    }
}
