import SashaBase

/// Turn-taking over a fixed order per server group: the table behind round-robin (the order is
/// the servers themselves) and smooth weighted round-robin (the order is one period of nginx's
/// sequence). `next(for:)` only reads raw buffers and bumps one atomic ticket: no lock, no
/// reference counting.
public final class RotationTable: Sendable {
    public let groups: ServerGroups
    /// Per group (indexed like `ServerGroups.groupLists`): the turns, as server addresses.
    @usableFromInline let orders: GroupedBuffer<UInt32>
    @usableFromInline let rotors: GroupCounters

    /// `order` turns a group's members (indices into `servers`) into the order of turns.
    public init(_ list: ServerList, order: (_ members: [Int], _ servers: [Server]) -> [Int32]) {
        groups = ServerGroups(list)
        let servers = groups.servers
        orders = GroupedBuffer(groups.groupLists.map { members in order(members, servers).map { servers[Int($0)].address.value } })
        rotors = GroupCounters(count: orders.groupCount)
    }

    /// The server whose turn it is in the flow's group, or nil when the group is empty.
    @inlinable
    public func next(for flow: Flow) -> IPv4Address? {
        guard let group = groups.groupIndex(for: flow) else { return nil }
        let order = orders[group]
        guard !order.isEmpty else { return nil }
        return IPv4Address(order[Int(rotors.next(group) % UInt(order.count))])
    }
}
