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

    private let table = SnapshotCell(WeightedRoundRobin.rotation(ServerList(servers: [])))

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {}

    /// The order of turns is one period of the smooth sequence over the group's weights.
    static func rotation(_ list: ServerList) -> RotationTable {
        RotationTable(list) { members, servers in
            SmoothSequence.period(weights: members.map { servers[$0].weight }).map { Int32(members[Int($0)]) }
        }
    }

    public func serversChanged(_ list: ServerList) { table.replace(with: Self.rotation(list)) }

    public func pick(_ flow: Flow) -> IPv4Address? { table.read { $0.next(for: flow) } }
}
