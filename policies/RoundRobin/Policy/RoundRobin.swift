import SashaSDK

/// The spec's policy: each new flow goes to the next eligible server in address order. With
/// content routing, each group of servers (a tag) has its own rotation.
public final class RoundRobin: Policy {
    public static let name = "round-robin"
    public static let summary = "each new flow to the next eligible server in address order, in turn"

    /// Replaced as a whole when the servers change, so a pick never sees half of an old list.
    private let table = SnapshotCell(RoundRobin.rotation(ServerList(servers: [])))

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {}

    /// The order of turns is the group's servers themselves, in address order.
    static func rotation(_ list: ServerList) -> RotationTable {
        RotationTable(list) { members, _ in members.map { Int32($0) } }
    }

    public func serversChanged(_ list: ServerList) { table.replace(with: Self.rotation(list)) }

    public func pick(_ flow: Flow) -> IPv4Address? { table.read { $0.next(for: flow) } }
}
