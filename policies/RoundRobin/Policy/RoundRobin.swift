import SashaSDK

/// The spec's policy: each new flow goes to the next eligible server in address order. With
/// content routing, each group of servers (a tag) has its own rotation.
public final class RoundRobin: Policy {
    public static let name = "round-robin"
    public static let summary = "each new flow to the next eligible server in address order, in turn"

    /// Everything `pick` reads, replaced as a whole when the servers change, so a pick never sees
    /// half of an old list and half of a new one.
    final class Table: Sendable {
        let groups: ServerGroups
        /// `groups.groupLists`, computed once rather than on every pick.
        let lists: [[Int]]
        /// One turn counter per group: rotations in different groups do not disturb each other.
        let rotors: GroupCounters

        init(_ list: ServerList) {
            groups = ServerGroups(list)
            lists = groups.groupLists
            rotors = GroupCounters(count: lists.count)
        }
    }

    private let table = SnapshotCell(Table(ServerList(servers: [])))

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {}

    public func serversChanged(_ list: ServerList) { table.replace(with: Table(list)) }

    public func pick(_ flow: Flow) -> IPv4Address? {
        table.read { table in
            guard let group = table.groups.groupIndex(for: flow) else { return nil }
            let candidates = table.lists[group]
            guard !candidates.isEmpty else { return nil }
            let turn = Int(table.rotors.next(group) % UInt(candidates.count))
            return table.groups.servers[candidates[turn]].address
        }
    }
}
