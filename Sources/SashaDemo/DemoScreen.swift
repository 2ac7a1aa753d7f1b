/// The demo's one screen, drawn from what it measured in the last second. Pure: the same frame
/// always draws the same text, so it is tested without a cluster.
public struct DemoFrame: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var address: String
        /// "dispatcher", "server", "standalone", "joining" or "down" (not answering).
        public var role: String
        public var healthy: Bool
        /// Requests its own web server answered in the last second.
        public var requestsPerSecond: Double

        public init(address: String, role: String, healthy: Bool, requestsPerSecond: Double) {
            self.address = address
            self.role = role
            self.healthy = healthy
            self.requestsPerSecond = requestsPerSecond
        }
    }

    public var cluster: String
    public var url: String
    public var strategy: String
    public var policy: String
    public var elapsedSeconds: Int
    /// nil: until Ctrl-C.
    public var durationSeconds: Int?
    public var members: [Member]
    public var answeredPerSecond: Double
    public var cacheHitRatio: Double?
    public var totals: DemoTraffic.Counts
    public var logFolder: String
    /// The latest notable event ("127.0.0.1 became dispatcher"), if any.
    public var events: [String]

    public init(cluster: String, url: String, strategy: String, policy: String, elapsedSeconds: Int, durationSeconds: Int?,
                members: [Member], answeredPerSecond: Double, cacheHitRatio: Double?, totals: DemoTraffic.Counts,
                logFolder: String, events: [String] = []) {
        self.cluster = cluster
        self.url = url
        self.strategy = strategy
        self.policy = policy
        self.elapsedSeconds = elapsedSeconds
        self.durationSeconds = durationSeconds
        self.members = members
        self.answeredPerSecond = answeredPerSecond
        self.cacheHitRatio = cacheHitRatio
        self.totals = totals
        self.logFolder = logFolder
        self.events = events
    }
}

public enum DemoScreen {
    static let barWidth = 30

    /// The whole screen as lines (no terminal codes).
    public static func render(_ frame: DemoFrame) -> [String] {
        let stop = frame.durationSeconds.map { "stops after \($0) s" } ?? "Ctrl-C stops it"
        var lines = [
            "Sasha demo: cluster \(frame.cluster), strategy \(frame.strategy), policy \(frame.policy)  [\(frame.elapsedSeconds) s, \(stop)]",
            "",
            "  member           role         health   req/s",
        ]
        let busiest = max(1, frame.members.map(\.requestsPerSecond).max() ?? 1)
        for member in frame.members {
            let filled = Int((member.requestsPerSecond / busiest * Double(barWidth)).rounded())
            let bar = String(repeating: "#", count: member.role == "server" || member.role == "standalone" ? filled : 0)
            let rate = member.role == "dispatcher" ? "    -" : pad(String(Int(member.requestsPerSecond.rounded())), 5)
            lines.append("  \(padRight(member.address, 16)) \(padRight(member.role, 12)) \(padRight(member.healthy ? "ok" : "UNHEALTHY", 8)) \(rate)  \(bar)")
        }
        let hits = frame.cacheHitRatio.map { "\(Int(($0 * 100).rounded())) % of answers from the dispatcher's cache" } ?? "no answers yet"
        lines += [
            "",
            "  through the VIP: \(Int(frame.answeredPerSecond.rounded())) req/s; cache: \(hits)",
            "  so far: \(frame.totals.answered) answered, \(frame.totals.failed) failed, \(frame.totals.errors) error answers",
            "",
            "  try it:  curl -i \(frame.url)        or open \(frame.url) in a browser",
            "  images go to the members tagged 'images'; logs in \(frame.logFolder)/",
        ]
        if !frame.events.isEmpty {
            lines.append("")
            lines += frame.events.suffix(8).map { "  \($0)" }
        }
        return lines
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    private static func padRight(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
