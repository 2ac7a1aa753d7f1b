import SashaSDK

/// Consistent hashing with Maglev tables: a flow (by its L7 key when it has one, else client
/// address, port and cluster port) always lands on the same server while the servers stay, and
/// when one of N leaves only about 1/N of flows move. Every member builds the same table from the
/// same servers, so a new dispatcher sends a flow it never saw to the server that holds it.
///
/// Weights only decide eligibility (0 drains); every eligible server gets an equal share.
public final class Maglev: Policy {
    public static let name = "maglev"
    public static let summary = "Maglev consistent hashing of the flow or its L7 key"
    /// The same flow lands on the same server while the servers stay the same.
    public static let isConsistent = true

    /// The lookup table size: a prime, and fixed. It is not derived from the server count because a
    /// table of another size maps almost every flow elsewhere, which would undo the point of
    /// consistent hashing each time a server joins or leaves. The default, 65537 (the paper's), is
    /// over 100 slots per server for up to 655 servers, more than a ring holds (254).
    static let defaultTableSize = 65_537
    /// 4 MiB per server group at most: every group with members (each content-routing tag) gets a
    /// table of this size, rebuilt whenever the servers change.
    static let largestTableSize = 1_048_573
    let tableSize: Int
    private let host: PluginHost?
    private let table: SnapshotCell<MaglevTables>

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {
        tableSize = try options.int("table_size", default: Self.defaultTableSize, in: 101...Self.largestTableSize)
        guard MaglevTable.isPrime(tableSize) else {
            throw OptionError(key: "table_size", "must be a prime number (Maglev's permutations need it), got \(tableSize); try \(MaglevTable.prime(atLeast: tableSize))")
        }
        self.host = host
        table = SnapshotCell(MaglevTables(ServerList(servers: []), size: tableSize))
    }

    public func serversChanged(_ list: ServerList) {
        let eligible = list.servers.filter(\.isEligible).count
        if tableSize < 100 * eligible {
            host?.log(.warning, "table_size \(tableSize) is under 100 slots per server for \(eligible) servers; using \(MaglevTable.prime(atLeast: 100 * eligible)), so flows will move whenever the server count changes")
        }
        table.replace(with: MaglevTables(list, size: tableSize))
    }

    public func pick(_ flow: Flow) -> IPv4Address? {
        let key = flow.affinityKey
        return table.read { table in
            guard let group = table.groups.groupIndex(for: flow),
                  let index = table.tables[group].lookup(key) else { return nil }
            return table.groups.servers[index].address
        }
    }
}
