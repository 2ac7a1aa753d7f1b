import L4Common
import SashaLink
import SashaPacket
import SashaSDK
import Synchronization

/// The `l4-3` strategy: L4 switching with L3 address translation (NAT), in application space.
/// The dispatcher holds the VIP toward the clients and a gateway address toward the servers, both
/// only in the application (it answers ARP for them); it rewrites client frames to the chosen
/// server and the servers' replies back to the VIP. See `NATPath` and docs/l4.md.
public final class L43: Strategy {
    public static let name = "l4-3"
    public static let summary = "L4 switching by address translation (libpcap, libnet); replies return through the dispatcher"

    let settings: L43Settings
    let context: StrategyContext
    private let host: PluginHost?
    private let runtime: L4Runtime
    private let serverSide = Protected(NATServerSide())

    public init(options: PluginOptions, context: StrategyContext, host: PluginHost?) throws(OptionError) {
        settings = try L43Settings(options: options, context: context, validating: host == nil)
        try options.rejectUnknownKeys()
        self.context = context
        self.host = host
        runtime = L4Runtime(name: Self.name, node: context.node, vip: context.vip, ports: settings.common.ports)
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
        let common = settings.common
        let oneNIC = common.outputInterface == common.interface
        // The output NIC's MAC goes into the filters, so read it before opening the captures.
        let outputMAC = try LinkPort.mac(of: common.outputInterface)
        let filters = NATPath.filters(vip: context.vip, settings: common, outputMAC: outputMAC, oneNIC: oneNIC)
        let input = try LinkPort(interface: common.interface, filter: filters.input, bufferBytes: common.captureBufferBytes)
        let output = oneNIC ? input : try LinkPort(interface: common.outputInterface, filter: filters.output,
                                                   bufferBytes: common.captureBufferBytes, threads: settings.replyThreads)
        if let forwarding = Sysctl.read("/proc/sys/net/ipv4/ip_forward"), forwarding != "0" {
            host.log(.warning, "l4-3: this host forwards IP (net.ipv4.ip_forward=1): its kernel will also forward the frames sent to the gateway address; set it to 0 on dispatch-capable members")
        }
        let path = NATPath(vip: context.vip, node: context.node, gateway: settings.gateway, settings: common, input: input, output: output,
                           host: host, neighbours: runtime.neighbours, counters: runtime.counters)
        try L4Runtime.startCaptures(input: input, { frame in path.handleInput(frame) }, idle: { path.idle() }, output: output) {
            path.makeReplyHandler()
        }
        host.log(.info, "l4-3 dispatching \(context.vip) ports \(common.ports.map(String.init).joined(separator: ",")) from \(input.name); servers on \(output.name) through gateway \(settings.gateway), replies on \(output.captures.count) thread(s)")
        return L4Runtime.Running(connections: path.connections, ports: oneNIC ? [input] : [input, output],
                                 claims: [(input, context.vip), (output, settings.gateway)])
    }

    public func stop() { runtime.stop(host: host) }

    // MARK: Server side

    public func prepareServer() throws(OptionError) {
        try serverSide.withLock { side throws(OptionError) in
            try side.apply(settings: settings, node: context.node, host: host)
        }
    }

    public func unprepareServer() {
        serverSide.withLock { $0.undo(settings: settings, node: context.node, host: host) }
    }

    // MARK: Servers and state

    public func serversChanged(_ list: ServerList) { runtime.serversChanged(list) }
    public func importConnections(_ connections: [Connection]) { runtime.importConnections(connections) }
    /// As a server: the kernel's connections accepted on this member's own address at the
    /// cluster ports (the dispatcher rewrote the VIP to it).
    public func connections() -> [Connection] {
        KernelConnections.read(local: context.node, ports: Set(settings.common.ports), server: context.node)
    }
    public func stats() -> String { runtime.stats() }
}
