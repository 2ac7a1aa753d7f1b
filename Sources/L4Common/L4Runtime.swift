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
        /// The addresses this dispatcher owns only in the application (the VIP, the l4-3
        /// gateway), each with the port that announces it.
        public let claims: [(port: LinkPort, address: IPv4Address)]

        public init(connections: ConnectionMap, ports: [LinkPort], claims: [(port: LinkPort, address: IPv4Address)]) {
            self.connections = connections
            self.ports = ports
            self.claims = claims
        }

        /// Gratuitous ARP for every claim: the link moves the addresses to this member.
        func announceClaims() {
            for claim in claims { claim.port.announce(claim.address) }
        }
    }

    /// Opens the ports and starts the captures: what `start` was given, kept to reopen them.
    public typealias Launch = @Sendable (PluginHost) throws(OptionError) -> Running

    public let name: String
    public let counters = L4Counters()
    public let neighbours = Neighbours()
    let running = Protected<Running?>(nil)
    /// The launch of the current run, for `PathWatch` to reopen a failed capture with.
    let launcher = Protected<Launch?>(nil)
    /// Bumped by every start and stop: a watch or a reopen of an older run lets go.
    let generation = Atomic<UInt64>(0)
    private let serverList = Protected<[IPv4Address]>([])
    /// This member, the VIP and its ports: what the last member standing serves itself.
    private let node: IPv4Address
    private let vip: IPv4Address
    private let ports: [UInt16]
    /// The VIP on `lo` and the service on its ports while this member, dispatching, is also the
    /// only server (the last member standing); nil otherwise.
    private let servingAlone = Protected<(side: DirectReturnServerSide, host: PluginHost)?>(nil)

    public init(name: String, node: IPv4Address, vip: IPv4Address, ports: [UInt16]) {
        self.name = name
        self.node = node
        self.vip = vip
        self.ports = ports
    }

    /// Launches the data path unless it runs already; `launch` opens the ports and starts the
    /// captures. Then asks for every server's MAC that is not known yet.
    public func start(host: PluginHost?, launch: @escaping Launch) throws(OptionError) {
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
        guard let launched = try started.get() else { return }
        launcher.withLock { $0 = launch }
        watch(generation.add(1, ordering: .sequentiallyConsistent).newValue, host: host)
        serveAloneIfLast(host: host)
        goLive(launched, host: host)
    }

    /// What a path just launched (or reopened) needs before traffic: the servers' connection
    /// lists expected (the core asks for them after a start), the claims announced (a takeover
    /// moves the addresses), the guarded addresses set and the servers' MACs asked for.
    func goLive(_ launched: Running, host: PluginHost) {
        launched.connections.expectLists()
        launched.announceClaims()
        guardAddresses(claims: launched.claims.map(\.address))
        if let output = launched.ports.last { requestMissingMACs(from: output, now: host.monotonicNanoseconds) }
    }

    public func stop(host: PluginHost?) {
        generation.add(1, ordering: .sequentiallyConsistent)
        let stopping = running.withLock { running -> Running? in
            defer { running = nil }
            return running
        }
        for port in stopping?.ports ?? [] { for capture in port.captures { capture.stop() } }
        // The captures are stopped: the map is this thread's now.
        stopping?.connections.closeAll()
        // After a failed reopen nothing runs, but serving alone and the host are still to undo.
        stopServingAlone()
        runningHost.withLock { $0 = nil }
        counters.flows.store(0, ordering: .relaxed)
        if stopping != nil { host?.log(.info, "\(name) stopped dispatching") }
    }

    /// Keeps the list and asks for new servers' MACs. When servers joined, the claims are
    /// announced again: a join may be a healed partition whose other dispatcher held the VIP
    /// until it abdicated just now, and the link still sends the VIP's frames to it.
    public func serversChanged(_ list: ServerList) {
        let servers = list.servers.map(\.address)
        let joined = serverList.withLock { known in
            defer { known = servers }
            return !Set(servers).isSubset(of: known)
        }
        guard let running = running.withLock({ $0 }) else { return }
        guardAddresses(claims: running.claims.map(\.address))
        let host = runningHost.withLock { $0 }
        if let host { serveAloneIfLast(host: host) }
        if joined {
            // The core asks servers that join for their lists too (a healed partition).
            running.connections.expectLists()
            running.announceClaims()
        }
        if let output = running.ports.last { requestMissingMACs(from: output, now: host?.monotonicNanoseconds ?? 0) }
    }

    /// The servers and this member's own addresses (node, and `claims`: the VIP, the l4-3
    /// gateway) are guarded in the neighbour table: only this member's own ARP asks teach them.
    private func guardAddresses(claims: [IPv4Address]) {
        neighbours.guardAddresses(servers: serverList.withLock { $0 }.filter { $0 != node }, own: [node, vip] + claims)
    }

    /// The host the running data path was started with (for serving alone later).
    private let runningHost = Protected<PluginHost?>(nil)

    /// When this member is the only server in the list (it dispatches and serves, and every other
    /// member is gone), its own kernel serves the VIP: the VIP goes on `lo` and the service
    /// listens on its ports, as on an `l4-2` server, and the data path forwards nothing (the
    /// frames it captures are copies; the kernel already has them). Undone when servers return.
    private func serveAloneIfLast(host: PluginHost) {
        runningHost.withLock { $0 = host }
        let alone = serverList.withLock { $0 == [node] }
        if alone {
            servingAlone.withLock { state in
                guard state == nil else { return }
                var side = DirectReturnServerSide()
                do throws(OptionError) {
                    try side.apply(vip: vip, ports: ports, host: host)
                    state = (side, host)
                    host.log(.notice, "\(name): the last member standing serves \(vip) itself")
                } catch {
                    side.undo(vip: vip, host: host)
                    host.log(.error, "\(name): cannot serve \(vip) alone: \(error)")
                }
            }
        } else {
            stopServingAlone()
        }
    }

    private func stopServingAlone() {
        servingAlone.withLock { state in
            guard var serving = state else { return }
            serving.side.undo(vip: vip, host: serving.host)
            state = nil
        }
    }

    func requestMissingMACs(from port: LinkPort, now: UInt64) {
        for server in serverList.withLock({ $0 }) where neighbours.mac(of: server) == nil {
            neighbours.ask(port, for: server, now: now)
        }
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
        return "{\(counters.jsonFields),\"neighbours\":\(neighbours.count),\"neighbour_refusals\":\(neighbours.refused.load(ordering: .relaxed))\(captureFields),\"running\":\(!captures.isEmpty)}"
    }

    /// Starts the captures with their handlers, each of the output port's captures with a handler
    /// of its own from `outputHandler` (they run on threads of their own); if one cannot start,
    /// none runs.
    public static func startCaptures(
        input: LinkPort, _ inputHandler: @escaping CaptureSession.Handler, idle: @escaping () -> Void,
        output: LinkPort, _ outputHandler: (() -> CaptureSession.Handler)?
    ) throws(OptionError) {
        do {
            try input.capture.start(inputHandler, idle: idle)
            if output !== input, let outputHandler {
                for capture in output.captures { try capture.start(outputHandler()) }
            }
        } catch {
            for capture in input.captures + output.captures { capture.stop() }
            throw OptionError(key: "interface", error.description)
        }
    }
}
