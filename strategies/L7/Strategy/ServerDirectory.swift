import Synchronization
import SashaSDK

/// Counters for one server that outlive server-list changes: its failures in a row (for ejection)
/// and the requests it was handed (for stats). Atomics, bumped from every event loop.
final class ServerCounters: Sendable {
    let address: IPv4Address
    let consecutiveFailures = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    /// Left out of new requests until this monotonic time (ns), by this proxy's passive ejection.
    let ejectedUntil = Atomic<UInt64>(0)

    init(address: IPv4Address) { self.address = address }
}

/// The servers and the routing table as of the last `serversChanged`: an immutable snapshot that
/// every event loop reads for each request (through a `SnapshotCell`) and that is replaced whole.
final class ServerDirectory: Sendable {
    struct Entry: Sendable {
        let port: UInt16
        let isUp: Bool
        let tagMask: UInt64
        let counters: ServerCounters
    }

    let entries: [IPv4Address: Entry]
    let rules: [RoutingRule]
    /// For each rule, the tag id its requests go to (nil: any server, when its tag is unknown and
    /// there is no default tag).
    let ruleGroups: [Int?]
    /// Where requests no rule matched go: nil means any server.
    let defaultGroup: Int?
    /// A rule matches on a header: routing needs the request's fields as `HTTPHeaders` (built
    /// only then).
    let needsHeaders: Bool

    init(entries: [IPv4Address: Entry], rules: [RoutingRule], ruleGroups: [Int?], defaultGroup: Int?) {
        self.entries = entries
        self.rules = rules
        self.ruleGroups = ruleGroups
        self.defaultGroup = defaultGroup
        needsHeaders = rules.contains { $0.header != nil }
    }

    static let empty = ServerDirectory(entries: [:], rules: [], ruleGroups: [], defaultGroup: nil)

    /// Builds the snapshot for a new server list. Counters of known servers carry over (and
    /// `counters` gains the new ones). Returns warnings for rules whose tag no server has.
    static func build(
        _ list: ServerList, rules: [RoutingRule], defaultTag: String?, counters: inout [IPv4Address: ServerCounters]
    ) -> (directory: ServerDirectory, warnings: [String]) {
        var entries: [IPv4Address: Entry] = [:]
        for server in list.servers {
            let serverCounters = counters[server.address] ?? ServerCounters(address: server.address)
            counters[server.address] = serverCounters
            entries[server.address] = Entry(port: server.port, isUp: server.isEligible, tagMask: server.tagMask, counters: serverCounters)
        }
        var warnings: [String] = []
        var defaultGroup: Int?
        if let defaultTag {
            if let id = list.tagNames.firstIndex(of: defaultTag) {
                defaultGroup = id
            } else {
                warnings.append("default_tag '\(defaultTag)' is carried by no server; unmatched requests go to any server")
            }
        }
        let ruleGroups = rules.enumerated().map { index, rule -> Int? in
            if let id = list.tagNames.firstIndex(of: rule.tag) { return id }
            warnings.append("rules.\(index): no server has tag '\(rule.tag)'; its requests go to the default group")
            return defaultGroup
        }
        return (ServerDirectory(entries: entries, rules: rules, ruleGroups: ruleGroups, defaultGroup: defaultGroup), warnings)
    }

    /// Whether ejecting `server` now would leave any of its groups (every server, and each tag it
    /// carries) with more than `maxPercent` of its up servers ejected, or with none left.
    func mayEject(_ server: IPv4Address, maxPercent: Int, now: UInt64) -> Bool {
        guard let candidate = entries[server] else { return false }
        var groups: [UInt64] = [0]
        for bit in 0..<64 where candidate.tagMask & (1 << UInt64(bit)) != 0 { groups.append(1 << UInt64(bit)) }
        for group in groups {
            var up = 0
            var ejected = 0
            for entry in entries.values where group == 0 || entry.tagMask & group != 0 {
                // The host lists an ejected server as down: it still counts as one of the group.
                let isEjected = entry.counters.ejectedUntil.load(ordering: .relaxed) > now
                guard entry.isUp || isEjected else { continue }
                up += 1
                if isEjected { ejected += 1 }
            }
            let allowed = min(up * maxPercent / 100, up - 1)
            if ejected + 1 > allowed { return false }
        }
        return true
    }

    /// The tag id a request is routed to (first matching rule wins), or nil for any server.
    func group(for request: RequestFacts) -> Int? {
        for (index, rule) in rules.enumerated() where rule.matches(request) { return ruleGroups[index] }
        return defaultGroup
    }
}
