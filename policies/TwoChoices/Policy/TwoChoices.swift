import SashaSDK
import Synchronization

/// The power of two random choices (Mitzenmacher): look at two random servers and take the less
/// loaded. Nearly as even as least-connections, but reads two counters instead of all of them, and
/// avoids the herd that least-connections sends to one newly idle server.
public final class TwoChoices: Policy {
    public static let name = "two-choices"
    public static let summary = "the less loaded of two servers chosen at random"

    private let registry = ConnectionCountRegistry()
    private let table: SnapshotCell<LoadTable>
    /// Feeds the random choice: a counter mixed with the flow. Not cryptographic, and need not be;
    /// `SystemRandomNumberGenerator` would cost a system call per pick.
    private let entropy = Atomic<UInt64>(0)

    public init(options: PluginOptions, host: PluginHost?) throws(OptionError) {
        table = SnapshotCell(LoadTable(ServerList(servers: []), registry: registry))
    }

    public func serversChanged(_ list: ServerList) { table.replace(with: LoadTable(list, registry: registry)) }

    public func pick(_ flow: Flow) -> IPv4Address? {
        let random = FlowHash.mix(entropy.wrappingAdd(1, ordering: .relaxed).oldValue ^ flow.affinityKey)
        return table.read { table in
            guard let group = table.groups.groupIndex(for: flow) else { return nil }
            let candidates = table.lists[group]
            let count = candidates.count
            guard count > 1 else { return count == 1 ? table.groups.servers[Int(candidates[0])].address : nil }
            // Two distinct positions: the second is drawn from the other count - 1.
            let first = Int(random % UInt64(count))
            var second = Int((random >> 32) % UInt64(count - 1))
            if second >= first { second += 1 }
            let (a, b) = (Int(candidates[first]), Int(candidates[second]))
            return table.groups.servers[table.isLessLoaded(b, than: a) ? b : a].address
        }
    }

    public func connectionOpened(on server: IPv4Address) { table.read { $0.adjust(server, by: 1) } }
    public func connectionClosed(on server: IPv4Address) { table.read { $0.adjust(server, by: -1) } }
}
