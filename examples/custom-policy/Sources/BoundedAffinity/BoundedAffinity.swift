import SashaABI
import SashaSDK
import Synchronization

/// Client affinity with bounded load: a client's address always hashes to the same server, so its
/// sessions and caches stay warm there, unless that server already carries more than
/// `load_factor` times the average number of connections; then the flow walks on to the next
/// server that is under the bound ("consistent hashing with bounded loads", Mirrokni et al. 2018).
public final class BoundedAffinity: Policy {
    public static let name = "bounded-affinity"
    public static let summary = "client-address affinity, spilling over when a server passes load_factor × the average"

    /// The servers as of the last change, with their connection counters.
    final class Table: Sendable {
        let groups: ServerGroups
        let counts: [ConnectionCount]
        init(groups: ServerGroups, counts: [ConnectionCount]) {
            self.groups = groups
            self.counts = counts
        }
    }

    private let loadFactor: Double
    private let registry = ConnectionCountRegistry()
    private let table: SnapshotCell<Table>
    /// Open connections across all servers, for the average.
    private let total = Atomic<Int>(0)

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {
        loadFactor = try options.double("load_factor", default: 1.25, in: 1.0...10.0)
        table = SnapshotCell(Table(groups: ServerGroups(ServerList(servers: [])), counts: []))
    }

    public func serversChanged(_ list: ServerList) {
        let groups = ServerGroups(list)
        table.replace(with: Table(groups: groups, counts: registry.counts(for: groups.servers)))
    }

    public func pick(_ flow: Flow) -> IPv4Address? {
        table.read { table in
            let candidates = table.groups.candidates(for: flow)
            guard !candidates.isEmpty else { return nil }
            // The bound: ceil(load_factor × (connections + 1) / servers), at least 1.
            let average = Double(max(0, total.load(ordering: .relaxed)) + 1) / Double(candidates.count)
            let bound = max(1, Int((loadFactor * average).rounded(.up)))
            let start = Int(FlowHash.mix(UInt64(flow.client.value)) % UInt64(candidates.count))
            for step in 0..<candidates.count {
                let index = candidates[(start + step) % candidates.count]
                if table.counts[index].value < bound { return table.groups.servers[index].address }
            }
            return table.groups.servers[candidates[start]].address
        }
    }

    public func connectionOpened(on server: IPv4Address) {
        table.read { table in
            guard let index = table.groups.indexOfAddress[server] else { return }
            table.counts[index].opened()
            total.wrappingAdd(1, ordering: .relaxed)
        }
    }

    public func connectionClosed(on server: IPv4Address) {
        table.read { table in
            guard let index = table.groups.indexOfAddress[server], table.counts[index].value > 0 else { return }
            table.counts[index].closed()
            total.wrappingSubtract(1, ordering: .relaxed)
        }
    }
}

/// The plugin's one exported function: what the loader looks up after dlopen.
@_cdecl("sasha_plugin_entry")
public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    exportPolicy(BoundedAffinity.self, host: host)
}
