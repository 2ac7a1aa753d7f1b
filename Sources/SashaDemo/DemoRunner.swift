import Foundation
import SashaCore
import SashaSDK

/// `sasha demo`: starts the cluster of a configuration (examples/loopback.yaml) as child
/// processes, waits for its ring, sends steady traffic through the VIP and draws one live screen
/// a second, until Ctrl-C or `duration`; then stops every member. Exit status 0 when traffic went
/// through the VIP and every member ran to the end.
public struct DemoRunner {
    public var configPath: String
    public var executable: String
    public var duration: Int?
    public var rate: Int
    public var connections: Int
    /// Redraw in place (a terminal); otherwise print the screen every `printEvery` seconds.
    public var interactive: Bool
    public var printEvery = 5
    /// The scenario: a `kill -9` of the dispatcher, then live policy swaps (both by default).
    public var failover = true
    public var swap = true

    public init(configPath: String, executable: String, duration: Int?, rate: Int, connections: Int, interactive: Bool) {
        self.configPath = configPath
        self.executable = executable
        self.duration = duration
        self.rate = rate
        self.connections = connections
        self.interactive = interactive
    }

    public func run(print: @escaping (String) -> Void, printError: (String) -> Void) -> Int32 {
        let check = ConfigCheck.run(path: configPath)
        guard check.diagnostics.isEmpty else {
            check.diagnostics.forEach { printError($0.description) }
            return 1
        }
        let (loaded, _) = ConfigLoader.load(path: configPath)
        guard let config = loaded, let port = config.cluster.ports.first else { return 1 }
        let logFolder = config.control.dir + "/demo"
        let cluster = DemoCluster(configPath: configPath, config: config, executable: executable, logFolder: logFolder)
        if let running = cluster.statuses().keys.sorted().first {
            printError("""
                sasha demo: member \(running) of \(configPath) is already running (its control socket in \
                \(config.control.dir) answers); stop it first, e.g. `pkill -f 'sasha run --config \(configPath)'`
                """)
            return 1
        }
        print("starting \(config.ring.members.count) members of \(configPath) (logs in \(logFolder)/) ...")
        let stopRequested = StopSignal()
        do {
            try cluster.start()
        } catch {
            printError("sasha demo: cannot start \(executable): \(error)")
            cluster.stop()
            return 1
        }
        guard cluster.waitForRing(timeout: .seconds(30)) != nil else {
            printError("sasha demo: the members did not form one ring within 30 s; their logs:")
            for member in cluster.members {
                let log = (try? String(contentsOfFile: cluster.logPath(member), encoding: .utf8)) ?? ""
                printError("--- \(member)\n" + log.split(separator: "\n").suffix(8).joined(separator: "\n"))
            }
            cluster.stop()
            return 1
        }
        let url = "http://\(config.cluster.vip):\(port)/"
        let traffic = DemoTraffic(host: config.cluster.vip.description, port: Int(port),
                                  paths: Self.sitePaths(root: config.service.root), connections: connections, rate: rate)
        traffic.start()
        var view = DemoView(config: config, url: url, duration: duration, logFolder: logFolder)
        let scenario = DemoScenario(failover: failover, swap: swap, configuredPolicy: config.dispatch.policy)
        let director = DemoDirector(cluster: cluster, traffic: traffic)
        let started = ContinuousClock.now
        var elapsed = 0
        var died: [(IPv4Address, Int32)] = []
        while !stopRequested.isSet, duration.map({ elapsed < $0 }) ?? true {
            stopRequested.wait(until: started + .seconds(elapsed + 1))
            elapsed += 1
            for step in scenario.steps(at: elapsed) where !stopRequested.isSet {
                for line in director.perform(step, elapsed: elapsed) { view.note(line) }
            }
            let frame = view.next(statuses: cluster.statuses(), traffic: traffic.counts, elapsed: elapsed)
            let lines = DemoScreen.render(frame)
            if interactive {
                print("\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\n"))
            } else if elapsed % printEvery == 0 || duration == elapsed {
                print(lines.joined(separator: "\n") + "\n")
            }
            died = cluster.exited()
            if !died.isEmpty { break }
        }
        traffic.stop()
        print("stopping the members ...")
        cluster.stop()
        let totals = traffic.counts
        print("done: \(totals.answered) requests answered through \(url), \(totals.failed) failed, \(totals.errors) error answers")
        for (member, status) in died {
            printError("sasha demo: member \(member) exited with status \(status); see \(cluster.logPath(member))")
        }
        return totals.answered > 0 && died.isEmpty ? 0 : 1
    }

    /// The site's files as URL paths (pages and images alike), so that traffic reaches every group.
    static func sitePaths(root: String?) -> [String] {
        guard let root, let walker = FileManager.default.enumerator(atPath: root) else { return ["/"] }
        var paths = ["/"]
        while let relative = walker.nextObject() as? String {
            var isFolder: ObjCBool = false
            guard !relative.hasPrefix("."), !relative.hasSuffix(".md"),
                  FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder), !isFolder.boolValue
            else { continue }
            paths.append("/" + relative)
        }
        return paths.sorted()
    }
}

/// What the screen shows, from the statuses one second apart: rates are differences.
struct DemoView {
    let config: SashaConfig
    let url: String
    let duration: Int?
    let logFolder: String
    private var lastRequests: [IPv4Address: UInt64] = [:]
    private var lastTraffic = DemoTraffic.Counts()
    /// When the previous frame was drawn: rates are per second of the real interval, which is
    /// longer than a second after a scenario step held the loop (a takeover takes one).
    private var lastFrame = ContinuousClock.now
    private var lastDispatcher: String?
    private var events: [String] = []

    init(config: SashaConfig, url: String, duration: Int?, logFolder: String) {
        self.config = config
        self.url = url
        self.duration = duration
        self.logFolder = logFolder
    }

    /// A line for the event list (what the scenario did).
    mutating func note(_ event: String) { events.append(event) }

    mutating func next(statuses: [IPv4Address: StatusReport], traffic: DemoTraffic.Counts, elapsed: Int,
                       now: ContinuousClock.Instant = .now) -> DemoFrame {
        let interval = now - lastFrame
        lastFrame = now
        let seconds = max(0.1, Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
        var members: [DemoFrame.Member] = []
        for address in config.ring.members {
            guard let report = statuses[address] else {
                members.append(.init(address: address.description, role: "down", healthy: false, requestsPerSecond: 0))
                continue
            }
            let requests = report.service?.requests ?? 0
            let rate = Double(requests &- (lastRequests[address] ?? requests)) / seconds
            lastRequests[address] = requests
            members.append(.init(address: address.description, role: report.role, healthy: report.service?.healthy ?? true,
                                 requestsPerSecond: rate))
        }
        let dispatcher = statuses.values.compactMap { $0.ring?.dispatcher }.first
        if dispatcher != lastDispatcher, let dispatcher {
            events.append("[\(elapsed) s] \(dispatcher) is the dispatcher")
        }
        lastDispatcher = dispatcher
        let answered = traffic.answered - lastTraffic.answered
        let hits = traffic.cacheHits - lastTraffic.cacheHits
        lastTraffic = traffic
        let policy = statuses.values.first.map { "\($0.policy.name) (epoch \($0.policy.epoch))" } ?? config.dispatch.policy
        return DemoFrame(
            cluster: config.cluster.name, url: url, strategy: config.dispatch.strategy, policy: policy, elapsedSeconds: elapsed,
            durationSeconds: duration, members: members, answeredPerSecond: Double(answered) / seconds,
            cacheHitRatio: answered > 0 ? Double(hits) / Double(answered) : nil, totals: traffic, logFolder: logFolder,
            events: events)
    }
}

/// SIGINT or SIGTERM, caught so that the demo stops its members before it exits.
final class StopSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var set = false
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.raise() }
            source.resume()
            sources.append(source)
        }
    }

    var isSet: Bool {
        condition.lock()
        defer { condition.unlock() }
        return set
    }

    func raise() {
        condition.lock()
        set = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps until `deadline` or the signal, whichever comes first.
    func wait(until deadline: ContinuousClock.Instant) {
        condition.lock()
        defer { condition.unlock() }
        while !set {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return }
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        }
    }
}
