import SashaABI
import SashaSDK

/// Weighted least connections (LVS's `wlc`): the server with the fewest open connections per unit
/// of weight. Ties are broken by a rotating starting point, so equal servers share new flows.
public final class LeastConnections: Policy {
    public static let name = "least-connections"
    public static let summary = "the server with the fewest open connections per unit of weight"

    private let registry = ConnectionCountRegistry()
    private let table: SnapshotCell<LoadTable>

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {
        table = SnapshotCell(LoadTable(ServerList(servers: []), registry: registry))
    }

    public func serversChanged(_ list: ServerList) { table.replace(with: LoadTable(list, registry: registry)) }

    public func pick(_ flow: Flow) -> IPv4Address? {
        table.read { table in
            guard let group = table.groups.groupIndex(for: flow) else { return nil }
            let candidates = table.lists[group]
            let count = candidates.count
            guard count > 0 else { return nil }
            let start = Int(table.rotors.next(group) % UInt(count))
            var best = candidates[start]
            for step in 1..<count {
                let index = candidates[(start + step) % count]
                if table.isLessLoaded(index, than: best) { best = index }
            }
            return table.groups.servers[best].address
        }
    }

    public func connectionOpened(on server: IPv4Address) { table.read { $0.adjust(server, by: 1) } }
    public func connectionClosed(on server: IPv4Address) { table.read { $0.adjust(server, by: -1) } }
}

@_cdecl("sasha_plugin_entry")
public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    exportPolicy(LeastConnections.self, host: host)
}
