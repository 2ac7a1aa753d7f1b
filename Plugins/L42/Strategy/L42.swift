import L4Common
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

    /// What a running dispatcher holds; nil while stopped.
    private struct Running {
        let path: DirectReturnPath
        let ports: [LinkPort]
    }

    let settings: L4Settings
    let context: StrategyContext
    private let host: PluginHost?
    private let counters = L4Counters()
    private let neighbours = Neighbours()
    private let running = Mutex<Running?>(nil)
    private let serverSide = Mutex(DirectReturnServerSide())
    private let servers = Mutex<[IPv4Address]>([])

    public init(options: PluginOptions, context: StrategyContext, host: PluginHost?) throws(OptionError) {
        settings = try L4Settings(options: options, context: context, validating: host == nil)
        try options.rejectUnknownKeys()
        self.context = context
        self.host = host
    }

    // MARK: Dispatching

    public func start() throws(OptionError) {
        guard let host else { throw OptionError("l4-2 was created without a host (validation only) and cannot start") }
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
        let input = try LinkPort(interface: settings.interface, filter: settings.clientFilter(vip: context.vip),
                                 bufferBytes: settings.captureBufferBytes)
        let output = settings.outputInterface == settings.interface ? input
            : try LinkPort(interface: settings.outputInterface, filter: "arp", bufferBytes: 1 << 20)
        let path = DirectReturnPath(vip: context.vip, settings: settings, input: input, output: output, host: host,
                                    neighbours: neighbours, counters: counters)
        do {
            try input.capture.start { frame in path.handle(frame) }
            if output !== input {
                let neighbours = self.neighbours
                try output.capture.start { frame in
                    if case .arp(let arp) = classify(frame) { neighbours.learn(arp.senderIP, at: arp.senderMAC) }
                }
            }
        } catch {
            input.capture.stop()
            output.capture.stop()
            throw OptionError(key: "interface", error.description)
        }
        // Tell the link the VIP is here now (a takeover moves it), and learn the servers' MACs.
        input.announce(context.vip)
        for server in servers.withLock({ $0 }) where neighbours.mac(of: server) == nil { output.requestMAC(of: server) }
        host.log(.info, "l4-2 dispatching \(context.vip) ports \(settings.ports.map(String.init).joined(separator: ",")) from \(input.name) to servers on \(output.name)")
        return Running(path: path, ports: output === input ? [input] : [input, output])
    }

    public func stop() {
        guard let stopping = running.withLock({ running -> Running? in
            defer { running = nil }
            return running
        }) else { return }
        for port in stopping.ports { port.capture.stop() }
        counters.flows.store(0, ordering: .relaxed)
        host?.log(.info, "l4-2 stopped dispatching \(context.vip)")
    }

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
        return "{\(counters.jsonFields),\"server_macs\":\(neighbours.count)\(captureFields),\"running\":\(capture != nil)}"
    }
}
