import SashaABI
import SashaSDK

/// Consistent hashing with Maglev tables: a flow (by its L7 key when it has one, else client
/// address, port and cluster port) always lands on the same server while the servers stay, and
/// when one of N leaves only about 1/N of flows move. Every member builds the same table from the
/// same servers, so a new dispatcher sends a flow it never saw to the server that holds it.
public final class Maglev: Policy {
    public static let name = "maglev"
    public static let summary = "Maglev consistent hashing of the flow or its L7 key"

    final class Table: Sendable {
        let groups: ServerGroups
        /// Per group (as `ServerGroups.groupLists`).
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

    /// The lookup table size: a prime, and fixed, because a table of another size maps almost
    /// every flow elsewhere. The default, 65537 (the paper's), is over 100 slots per server for up
    /// to 655 servers, more than a ring holds (254), so it never has to grow.
    static let defaultTableSize = 65_537
    let tableSize: Int
    private let host: PluginHost?
    private let table: SnapshotCell<Table>

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {
        tableSize = try options.int("table_size", default: Self.defaultTableSize, in: 101...16_777_213)
        guard MaglevTable.isPrime(tableSize) else {
            throw OptionError(key: "table_size", "must be a prime number (Maglev's permutations need it), got \(tableSize); try \(MaglevTable.prime(atLeast: tableSize))")
        }
        self.host = host
        table = SnapshotCell(Table(ServerList(servers: []), size: tableSize))
    }

    public func serversChanged(_ list: ServerList) {
        let eligible = list.servers.filter(\.isEligible).count
        if tableSize < 100 * eligible {
            host?.log(.warning, "table_size \(tableSize) is under 100 slots per server for \(eligible) servers; using \(MaglevTable.prime(atLeast: 100 * eligible)), so flows will move whenever the server count changes")
        }
        table.replace(with: Table(list, size: tableSize))
    }

    public func pick(_ flow: Flow) -> IPv4Address? {
        let key = flow.affinityKey
        return table.read { table in
            guard let group = table.groups.groupIndex(for: flow) else { return nil }
            guard let index = table.tables[group].lookup(key) else { return nil }
            return table.groups.servers[index].address
        }
    }
}

@_cdecl("sasha_plugin_entry")
public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    exportPolicy(Maglev.self, host: host)
}
