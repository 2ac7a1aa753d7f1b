import SashaSDK

/// Weighted least connections (LVS's `wlc`): the server with the fewest open connections per unit
/// of weight. Ties are broken by a rotating starting point, so equal servers share new flows
/// instead of the first in address order taking them all.
public final class LeastConnections: Policy {
    public static let name = "least-connections"
    public static let summary = "the server with the fewest open connections per unit of weight"

    /// Counts live outside the table so a server that stays in the list keeps its count.
    private let registry = ConnectionCountRegistry()
    private let table: SnapshotCell<ScanTable>

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {
        table = SnapshotCell(ScanTable(LoadTable(ServerList(servers: []), registry: registry)))
    }

    public func serversChanged(_ list: ServerList) {
        table.replace(with: ScanTable(LoadTable(list, registry: registry)))
    }

    public func pick(_ flow: Flow) -> IPv4Address? {
        table.read { table in
            guard let group = table.load.groups.groupIndex(for: flow) else { return nil }
            let members = table.members[group]
            let count = members.count
            guard count > 0 else { return nil }
            // Scan from `start` round to `start - 1`; the first least loaded wins. Two loops
            // rather than `% count` per step: a division per server would dominate the scan.
            // The start comes from the flow's hash, not a shared counter, so ties still spread
            // but threads picking at once do not fight over one cache line.
            let start = Int(flow.affinityKey % UInt64(count))
            var best = start
            var bestLoad = members[start].count.value
            var bestWeight = Int(members[start].weight)
            func consider(_ position: Int) {
                let load = members[position].count.value
                let weight = Int(members[position].weight)
                // load/weight < bestLoad/bestWeight, without dividing.
                if load &* bestWeight < bestLoad &* weight {
                    (best, bestLoad, bestWeight) = (position, load, weight)
                }
            }
            for position in (start + 1)..<count { consider(position) }
            for position in 0..<start { consider(position) }
            return IPv4Address(members[best].address)
        }
    }

    public func connectionOpened(on server: IPv4Address) { table.read { $0.load.adjust(server, by: 1) } }
    public func connectionClosed(on server: IPv4Address) { table.read { $0.load.adjust(server, by: -1) } }
}
