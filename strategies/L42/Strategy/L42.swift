import L4Common
import SashaLink
import SashaPacket
import SashaSDK
import Synchronization

/// The `l4-2` strategy: L4 switching with L2 address translation, in application space. The
/// dispatcher captures client frames for the VIP with libpcap, picks a server per connection, and
/// re-sends each frame to that server's MAC; the servers hold the VIP on `lo` and answer clients
/// directly, so replies never pass the dispatcher. See `DirectReturnPath` and docs/l4.md.
public final class L42: Strategy {
    public static let name = "l4-2"
    public static let summary = "L4 switching by MAC rewrite (libpcap, libnet); servers answer clients directly"

    let settings: L4Settings
    let context: StrategyContext
    private let host: PluginHost?
    private let runtime: L4Runtime
    private let serverSide = Protected(DirectReturnServerSide())

    public init(options: PluginOptions, context: StrategyContext, host: PluginHost?) throws(OptionError) {
        settings = try L4Settings(options: options, context: context, validating: host == nil)
        try options.rejectUnknownKeys()
        self.context = context
        self.host = host
        runtime = L4Runtime(name: Self.name, node: context.node, vip: context.vip, ports: settings.ports)
    }

    // MARK: Dispatching

    public func start() throws(OptionError) {
        // Weak: the runtime keeps the launch to reopen a failed capture, and must not keep the strategy.
        try runtime.start(host: host) { [weak self] host throws(OptionError) in
            guard let self else { throw OptionError("the strategy was destroyed") }
            return try launch(host: host)
        }
    }

    private func launch(host: PluginHost) throws(OptionError) -> L4Runtime.Running {
        let input = try LinkPort(interface: settings.interface, filter: settings.clientFilter(vip: context.vip),
                                 bufferBytes: settings.captureBufferBytes)
        let output = settings.outputInterface == settings.interface ? input
            : try LinkPort(interface: settings.outputInterface, filter: "arp", bufferBytes: 1 << 20)
        let path = DirectReturnPath(vip: context.vip, node: context.node, settings: settings, input: input, output: output, host: host,
                                    neighbours: runtime.neighbours, counters: runtime.counters)
        let neighbours = runtime.neighbours
        try L4Runtime.startCaptures(input: input, { frame in path.handle(frame) }, idle: { path.idle() }, output: output) {
            { frame in
                // The output link only teaches the servers' MACs.
                if case .arp(let arp) = classify(frame) { neighbours.learn(from: arp, on: output, now: host.monotonicNanoseconds) }
            }
        }
        host.log(.info, "l4-2 dispatching \(context.vip) ports \(settings.ports.map(String.init).joined(separator: ",")) from \(input.name) to servers on \(output.name)")
        return L4Runtime.Running(connections: path.connections, ports: output === input ? [input] : [input, output],
                                 claims: [(input, context.vip)])
    }

    public func stop() { runtime.stop(host: host) }

    // MARK: Server side

    public func prepareServer() throws(OptionError) {
        try serverSide.withLock { side throws(OptionError) in
            try side.apply(vip: context.vip, ports: settings.ports, host: host)
        }
    }

    public func unprepareServer() {
        serverSide.withLock { $0.undo(vip: context.vip, host: host) }
    }

    // MARK: Servers and state

    public func serversChanged(_ list: ServerList) { runtime.serversChanged(list) }
    public func importConnections(_ connections: [Connection]) { runtime.importConnections(connections) }
    /// As a server: the kernel's connections accepted on the VIP (on `lo`) at the cluster ports.
    public func connections() -> [Connection] {
        KernelConnections.read(local: context.vip, ports: Set(settings.ports), server: context.node)
    }
    public func stats() -> String { runtime.stats() }
}
