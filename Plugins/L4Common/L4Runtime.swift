import SashaCapture
import SashaPacket
import SashaSDK
import Synchronization

/// What both L4 strategy classes do around their data path: start it once, stop it, keep the
/// server list and ask for the servers' MACs, hand imported connections to the map, and report
/// stats. A strategy supplies only how to launch its path.
public final class L4Runtime: Sendable {
    /// What a running dispatcher holds; nil while stopped.
    public struct Running: Sendable {
        public let connections: ConnectionMap
        /// The input port first; the output port last (the same one with one NIC).
        public let ports: [LinkPort]

        public init(connections: ConnectionMap, ports: [LinkPort]) {
            self.connections = connections
            self.ports = ports
        }
    }

    public let name: String
    public let counters = L4Counters()
    public let neighbours = Neighbours()
    private let running = Mutex<Running?>(nil)
    private let serverList = Mutex<[IPv4Address]>([])

    public init(name: String) { self.name = name }

    /// Launches the data path unless it runs already; `launch` opens the ports and starts the
    /// captures. Then asks for every server's MAC that is not known yet.
    public func start(host: PluginHost?, launch: (PluginHost) throws(OptionError) -> Running) throws(OptionError) {
        guard let host else { throw OptionError("\(name) was created without a host (validation only) and cannot start") }
        let started: Result<Running?, OptionError> = running.withLock { running in
            guard running == nil else { return .success(nil) }
            do throws(OptionError) {
                running = try launch(host)
                return .success(running)
            } catch {
                return .failure(error)
            }
        }
        if let output = try started.get()?.ports.last { requestMissingMACs(from: output) }
    }

    public func stop(host: PluginHost?) {
        guard let stopping = running.withLock({ running -> Running? in
            defer { running = nil }
            return running
        }) else { return }
        for port in stopping.ports { for capture in port.captures { capture.stop() } }
        counters.flows.store(0, ordering: .relaxed)
        host?.log(.info, "\(name) stopped dispatching")
    }

    public func serversChanged(_ list: ServerList) {
        serverList.withLock { $0 = list.servers.map(\.address) }
        if let output = running.withLock({ $0?.ports.last }) { requestMissingMACs(from: output) }
    }

    private func requestMissingMACs(from port: LinkPort) {
        for server in serverList.withLock({ $0 }) where neighbours.mac(of: server) == nil { port.requestMAC(of: server) }
    }

    public func importConnections(_ connections: [Connection]) {
        running.withLock { $0?.connections }?.importConnections(connections)
    }

    /// The counters, what the neighbour table holds and the captures' own counts (summed over
    /// the input and output links: a drop on either is a lost frame).
    public func stats() -> String {
        let ports = running.withLock { $0?.ports } ?? []
        var seen = Set<ObjectIdentifier>()
        let captures = ports.filter { seen.insert(ObjectIdentifier($0)).inserted }.flatMap(\.captures).map(\.counters)
        let captureFields = captures.isEmpty ? "" : """
            ,"capture":{"received":\(captures.map(\.received).reduce(0, +)),\
            "dropped_by_kernel":\(captures.map(\.droppedByKernel).reduce(0, +)),"truncated":\(captures.map(\.truncated).reduce(0, +))}
            """
        return "{\(counters.jsonFields),\"neighbours\":\(neighbours.count)\(captureFields),\"running\":\(!captures.isEmpty)}"
    }

    /// Starts the captures with their handlers, each of the output port's captures with a handler
    /// of its own from `outputHandler` (they run on threads of their own); if one cannot start,
    /// none runs.
    public static func startCaptures(
        input: LinkPort, _ inputHandler: @escaping CaptureSession.Handler,
        output: LinkPort, _ outputHandler: (() -> CaptureSession.Handler)?
    ) throws(OptionError) {
        do {
            try input.capture.start(inputHandler)
            if output !== input, let outputHandler {
                for capture in output.captures { try capture.start(outputHandler()) }
            }
        } catch {
            for capture in input.captures + output.captures { capture.stop() }
            throw OptionError(key: "interface", error.description)
        }
    }
}
