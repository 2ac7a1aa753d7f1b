import L4Common
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

    private struct Running {
        let path: NATPath
        let ports: [LinkPort]
    }

    let settings: L43Settings
    let context: StrategyContext
    private let host: PluginHost?
    private let counters = L4Counters()
    private let neighbours = Neighbours()
    private let running = Mutex<Running?>(nil)
    private let serverSide = Mutex(NATServerSide())
    private let servers = Mutex<[IPv4Address]>([])

    public init(options: PluginOptions, context: StrategyContext, host: PluginHost?) throws(OptionError) {
        settings = try L43Settings(options: options, context: context, validating: host == nil)
        try options.rejectUnknownKeys()
        self.context = context
        self.host = host
    }

    // MARK: Dispatching

    public func start() throws(OptionError) {
        guard let host else { throw OptionError("l4-3 was created without a host (validation only) and cannot start") }
        let started: Result<Void, OptionError> = running.withLock { running in
            guard running == nil else { return .success(()) }
            do throws(OptionError) {
                running = try launch(host: host)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try started.get()
    }

    private func launch(host: PluginHost) throws(OptionError) -> Running {
        let common = settings.common
        let oneNIC = common.outputInterface == common.interface
        // The output NIC's MAC goes into the filters, so read it before opening the captures.
        let outputMAC = try LinkPort.mac(of: common.outputInterface)
        let filters = NATPath.filters(vip: context.vip, ports: common.ports, outputMAC: outputMAC, oneNIC: oneNIC)
        let input = try LinkPort(interface: common.interface, filter: filters.input, bufferBytes: common.captureBufferBytes)
        let output = oneNIC ? input : try LinkPort(interface: common.outputInterface, filter: filters.output, bufferBytes: common.captureBufferBytes)
        if let forwarding = Sysctl.read("/proc/sys/net/ipv4/ip_forward"), forwarding != "0" {
            host.log(.warning, "l4-3: this host forwards IP (net.ipv4.ip_forward=1): its kernel will also forward the frames sent to the gateway address; set it to 0 on dispatch-capable members")
        }
        let path = NATPath(vip: context.vip, gateway: settings.gateway, settings: common, input: input, output: output,
                           host: host, neighbours: neighbours, counters: counters)
        do {
            try input.capture.start { frame in path.handleInput(frame) }
            if !oneNIC { try output.capture.start { frame in path.handleOutput(frame) } }
        } catch {
            input.capture.stop()
            output.capture.stop()
            throw OptionError(key: "interface", error.description)
        }
        input.announce(context.vip)
        output.announce(settings.gateway)
        for server in servers.withLock({ $0 }) where neighbours.mac(of: server) == nil { output.requestMAC(of: server) }
        host.log(.info, "l4-3 dispatching \(context.vip) ports \(common.ports.map(String.init).joined(separator: ",")) from \(input.name); servers on \(output.name) through gateway \(settings.gateway)")
        return Running(path: path, ports: oneNIC ? [input] : [input, output])
    }

    public func stop() {
        guard let stopping = running.withLock({ running -> Running? in
            defer { running = nil }
            return running
        }) else { return }
        for port in stopping.ports { port.capture.stop() }
        counters.flows.store(0, ordering: .relaxed)
        host?.log(.info, "l4-3 stopped dispatching \(context.vip)")
    }

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

    public func serversChanged(_ list: ServerList) {
        let addresses = list.servers.map(\.address)
        servers.withLock { $0 = addresses }
        guard let output = running.withLock({ $0?.ports.last }) else { return }
        for server in addresses where neighbours.mac(of: server) == nil { output.requestMAC(of: server) }
    }

    public func importConnections(_ connections: [Connection]) {
        running.withLock { $0?.path }?.connections.importConnections(connections)
    }

    public func stats() -> String {
        let capture = running.withLock { $0?.ports.first?.capture.counters }
        let captureFields = capture.map { ",\"capture\":{\"received\":\($0.received),\"dropped_by_kernel\":\($0.droppedByKernel)}" } ?? ""
        return "{\(counters.jsonFields),\"neighbours\":\(neighbours.count)\(captureFields),\"running\":\(capture != nil)}"
    }
}
