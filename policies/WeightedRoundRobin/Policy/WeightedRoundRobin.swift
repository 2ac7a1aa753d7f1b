import SashaSDK

/// nginx's smooth weighted round-robin: over one period each server gets exactly its weight's
/// share, spread out (weights 5, 1, 1 give a a b a c a a, not a a a a a b c).
///
/// nginx mutates per-server state on every pick under a lock. The sequence is periodic, so this
/// computes one period per group when the servers change (`SmoothSequence`) and `pick` only
/// indexes it with an atomic ticket: the same order, without a lock.
public final class WeightedRoundRobin: Policy {
    public static let name = "weighted-round-robin"
    public static let summary = "nginx's smooth weighted round-robin over the nodes' weights"

    final class Table: Sendable {
        let groups: ServerGroups
        /// Per group (indexed like `ServerGroups.groupLists`): one period of server indices.
        let sequences: [[Int32]]
        let rotors: GroupCounters

        init(_ list: ServerList) {
            groups = ServerGroups(list)
            let servers = groups.servers
            sequences = groups.groupLists.map { members in
                SmoothSequence.period(weights: members.map { servers[$0].weight }).map { Int32(members[Int($0)]) }
            }
            rotors = GroupCounters(count: sequences.count)
        }
    }

    private let table = SnapshotCell(Table(ServerList(servers: [])))

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {}

    public func serversChanged(_ list: ServerList) { table.replace(with: Table(list)) }

    public func pick(_ flow: Flow) -> IPv4Address? {
        table.read { table in
            guard let group = table.groups.groupIndex(for: flow) else { return nil }
            let sequence = table.sequences[group]
            guard !sequence.isEmpty else { return nil }
            let turn = Int(table.rotors.next(group) % UInt(sequence.count))
            return table.groups.servers[Int(sequence[turn])].address
        }
    }
}
