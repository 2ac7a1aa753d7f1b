import SashaABI
import SashaSDK

/// nginx's smooth weighted round-robin: over one period each server gets exactly its weight's
/// share, spread out (weights 5, 1, 1 give a a b a c a a, not a a a a a b c).
///
/// nginx mutates per-server state on every pick under a lock. The sequence is periodic, so this
/// computes one period per group when the servers change and `pick` only indexes it with an atomic
/// ticket: same order, no lock.
public final class WeightedRoundRobin: Policy {
    public static let name = "weighted-round-robin"
    public static let summary = "nginx's smooth weighted round-robin over the nodes' weights"

    /// Longest period kept per group; longer ones are scaled down (weights keep their ratio to
    /// within 1 part in this many).
    static let maximumPeriod = 1 << 18

    final class Table: Sendable {
        let servers: [Server]
        let groupIndex: ServerGroups
        /// Per group: one period of server indices.
        let sequences: [[Int32]]
        let rotors: GroupCounters

        init(_ list: ServerList) {
            let groups = ServerGroups(list)
            servers = groups.servers
            groupIndex = groups
            sequences = groups.groupLists.map { Table.period(of: $0.map { groups.servers[$0].weight }, indices: $0) }
            rotors = GroupCounters(count: sequences.count)
        }

        /// One period of smooth weighted round-robin over `weights` (all > 0), as server indices.
        static func period(of weights: [Int], indices: [Int]) -> [Int32] {
            guard !weights.isEmpty else { return [] }
            var weights = weights
            var divisor = weights.reduce(0, gcd)
            weights = weights.map { $0 / divisor }
            var total = weights.reduce(0, +)
            if total > maximumPeriod {
                // Keep the ratios, drop precision, never a weight below 1.
                divisor = (total + maximumPeriod - 1) / maximumPeriod
                weights = weights.map { max(1, $0 / divisor) }
                total = weights.reduce(0, +)
            }
            var current = [Int](repeating: 0, count: weights.count)
            var sequence: [Int32] = []
            sequence.reserveCapacity(total)
            for _ in 0..<total {
                var best = 0
                for server in weights.indices {
                    current[server] += weights[server]
                    if current[server] > current[best] { best = server }
                }
                current[best] -= total
                sequence.append(Int32(indices[best]))
            }
            return sequence
        }
    }

    private let table = SnapshotCell(Table(ServerList(servers: [])))

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {}

    public func serversChanged(_ list: ServerList) { table.replace(with: Table(list)) }

    public func pick(_ flow: Flow) -> IPv4Address? {
        table.read { table in
            guard let group = table.groupIndex.groupIndex(for: flow) else { return nil }
            let sequence = table.sequences[group]
            guard !sequence.isEmpty else { return nil }
            let turn = Int(table.rotors.next(group) % UInt(sequence.count))
            return table.servers[Int(sequence[turn])].address
        }
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

@_cdecl("sasha_plugin_entry")
public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    exportPolicy(WeightedRoundRobin.self, host: host)
}
