import SashaSDK
import Synchronization

/// A strategy for measuring state reconstruction alone: as a server it reports `per_server`
/// made-up connections, and as dispatcher it only counts what it imports. Nothing is dispatched,
/// so the figure is the ring's: how long the servers' lists take to reach a new dispatcher.
public final class ListBench: Strategy {
    public static let name = "list-bench"
    public static let summary = "benchmark only: servers report made-up connections; the dispatcher counts the imports"

    private let connectionList: [Connection]
    private let imported = Atomic<Int>(0)

    public init(options: PluginOptions, context: StrategyContext, host: PluginHost?) throws(OptionError) {
        let count = try options.int("per_server", default: 100_000, in: 0...1_000_000)
        try options.rejectUnknownKeys()
        let node = context.node
        connectionList = (0..<count).map { n in
            Connection(client: IPv4Address(0xC612_0000 &+ UInt32(n / 50_000)), clientPort: UInt16(10_000 + n % 50_000),
                       clusterPort: 80, server: node)
        }
    }

    public func start() throws(OptionError) { imported.store(0, ordering: .relaxed) }
    public func stop() {}
    public func serversChanged(_ list: ServerList) {}
    public func connections() -> [Connection] { connectionList }
    public func importConnections(_ connections: [Connection]) { imported.add(connections.count, ordering: .relaxed) }
    public func stats() -> String { "{\"imported\":\(imported.load(ordering: .relaxed))}" }
}
