import SashaSDK

/// Everything Maglev's `pick` reads: the servers and one lookup table per group, replaced as a
/// whole when the servers change.
final class MaglevTables: Sendable {
    let groups: ServerGroups
    /// Indexed like `ServerGroups.groupLists`: group 0 is every eligible server, then one per tag.
    let tables: [MaglevTable]

    init(_ list: ServerList, size: Int) {
        groups = ServerGroups(list)
        let servers = groups.servers
        tables = groups.groupLists.map { members in
            // Never below 100 slots per server, which the paper needs for an even spread.
            let size = max(size, MaglevTable.prime(atLeast: 100 * members.count))
            return MaglevTable(servers: members, addresses: members.map { servers[$0].address }, size: size)
        }
    }
}
