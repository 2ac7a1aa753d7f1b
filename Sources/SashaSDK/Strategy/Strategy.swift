import SashaBase

/// What a strategy learns about the cluster and this member when it is created.
public struct StrategyContext: Sendable, Equatable {
    /// This member's own address.
    public var node: IPv4Address
    /// The cluster's virtual address and ports.
    public var vip: IPv4Address
    public var ports: [UInt16]
    /// The ring's network interface (`ring.interface`), when configured.
    public var interface: String?

    public init(node: IPv4Address, vip: IPv4Address, ports: [UInt16], interface: String? = nil) {
        self.node = node
        self.vip = vip
        self.ports = ports
        self.interface = interface
    }
}

/// One connection: who the client is and which server holds it.
public struct Connection: Sendable, Hashable {
    public var client: IPv4Address
    public var clientPort: UInt16
    public var clusterPort: UInt16
    public var server: IPv4Address
    public var startedNanoseconds: UInt64

    public init(client: IPv4Address, clientPort: UInt16, clusterPort: UInt16, server: IPv4Address, startedNanoseconds: UInt64 = 0) {
        self.client = client
        self.clientPort = clientPort
        self.clusterPort = clusterPort
        self.server = server
        self.startedNanoseconds = startedNanoseconds
    }
}

/// A dispatch strategy: how the dispatcher moves client traffic to servers (l4-2, l4-3, l7, ...),
/// and what a server does on its side of that mode.
///
/// Strategies never choose servers themselves: they ask `host.pick(_:)`, which calls whichever
/// policy is current, so a live policy swap reaches them without their knowing. Every method is
/// called from one control thread, except `stats()`, which may run at any time.
public protocol Strategy: AnyObject, Sendable {
    static var name: String { get }
    static var summary: String { get }

    /// Reads the options; `host` is nil when only validating (`sasha check`).
    init(options: PluginOptions, context: StrategyContext, host: PluginHost?) throws(OptionError)

    /// Become the dispatcher: take the VIP and start the data path.
    func start() throws(OptionError)
    /// Stop dispatching: give the VIP back and drain; return once the VIP is released.
    func stop()
    /// Prepare this member's server side (VIP on lo, routes, ...).
    func prepareServer() throws(OptionError)
    func unprepareServer()

    func serversChanged(_ list: ServerList)
    /// As a server: the connections this member holds on the cluster ports.
    func connections() -> [Connection]
    /// As a dispatcher: add these connections to the map.
    func importConnections(_ connections: [Connection])
    /// A JSON object of counters and state.
    func stats() -> String
}

extension Strategy {
    public func prepareServer() throws(OptionError) {}
    public func unprepareServer() {}
    public func connections() -> [Connection] { [] }
    public func importConnections(_ connections: [Connection]) {}
    public func stats() -> String { "{}" }
}
