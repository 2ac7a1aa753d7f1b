#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import NIOCore
import NIOPosix
import Prometheus
import SashaRing
import SashaSDK
import ServiceLifecycle
import Synchronization

/// One running member: the ring's UDP socket, the control socket and (when configured) the
/// metrics endpoint, all on one event loop with the `RingNode`. `start` binds everything before
/// the ring is joined, so a member that cannot bind refuses to start instead of half-joining.
public final class Daemon: Sendable {
    public let node: RingNode
    let settings: DaemonSettings
    let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let ringChannel: any Channel
    private let controlChannel: any Channel
    private let metricsChannel: (any Channel)?
    private let runner: StrategyRunner?
    private let service: MemberService?
    /// Set once `run` has released everything: a later `shutdown` has nothing left to stop.
    private let finished = Atomic<Bool>(false)

    public struct StartFailure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    private init(node: RingNode, settings: DaemonSettings, logger: Logger, group: MultiThreadedEventLoopGroup,
                 ringChannel: any Channel, controlChannel: any Channel, metricsChannel: (any Channel)?,
                 runner: StrategyRunner?, service: MemberService?) {
        self.node = node
        self.settings = settings
        self.logger = logger
        self.group = group
        self.ringChannel = ringChannel
        self.controlChannel = controlChannel
        self.metricsChannel = metricsChannel
        self.runner = runner
        self.service = service
    }

    /// Binds the sockets and starts looking for the ring. Blocks until bound (call it before the
    /// service group runs, not on an event loop).
    public static func start(_ settings: DaemonSettings, logger: Logger, registry: PrometheusCollectorRegistry?,
                             runner: StrategyRunner? = nil, service: MemberService? = nil) throws(StartFailure) -> Daemon {
        do throws(ControlSocketPath.Problem) {
            try settings.controlSocket.claim()
        } catch {
            throw StartFailure(description: error.description)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let node = RingNode(configuration: settings.machine, port: settings.config.ring.port, link: settings.link, eventLoop: loop,
                            logger: logger, metrics: RingMetrics())
        var opened: [any Channel] = []
        func fail(_ message: String) -> StartFailure {
            for channel in opened { try? channel.close().wait() }
            try? group.syncShutdownGracefully()
            return StartFailure(description: message)
        }
        let ringAddress = "\(settings.node):\(settings.config.ring.port)"
        let ringChannel: any Channel
        let sender: RingSender
        do {
            let socket = try RingSocket.bound(to: settings.node, port: settings.config.ring.port, broadcast: settings.link != nil)
            do {
                sender = try RingSender(duplicating: socket)
            } catch {
                close(socket)
                throw error
            }
            ringChannel = try bindRing(socket, node: node, loop: loop)
            opened.append(ringChannel)
        } catch {
            throw fail("cannot bind the ring's UDP socket to \(ringAddress): \(describe(error, address: settings.node.description))")
        }
        if let link = settings.link {
            // A socket bound to the unicast address does not receive broadcasts: a second one,
            // bound to the broadcast address, takes them to the same node.
            do {
                let socket = try RingSocket.bound(to: link.broadcast, port: settings.config.ring.port, broadcast: true)
                opened.append(try bindRing(socket, node: node, loop: loop))
            } catch {
                throw fail("cannot bind \(link.broadcast):\(settings.config.ring.port) to receive ring broadcasts on \(link.interface): \(error)")
            }
        }
        let configured = StatusReport.Policy(name: settings.config.dispatch.policy, epoch: 0)
        var responder = ControlResponder(node: node, strategy: settings.config.dispatch.strategy, policy: { configured })
        if let runner {
            responder.policy = {
                let record = runner.policyStatus
                return StatusReport.Policy(name: record.name, epoch: record.epoch.number)
            }
            responder.setPolicy = { name, options, reply in runner.setPolicy(name: name, options: options, reply: reply) }
            responder.strategyStats = { [unowned node] in
                // Only the dispatcher's strategy has a data path to report on.
                let role = node.snapshot().role
                guard role == .dispatcher || role == .standalone else { return nil }
                return try? JSONValue(json: runner.strategyStats())
            }
            // Three broadcast timeouts: a member whose link came back hears a beacon and merges first.
            runner.cutOff = CutOffGuard(lastCutOff: { [weak node] in node?.cutOffAt.load(ordering: .relaxed) ?? 0 },
                                        grace: 3 * settings.machine.timing.broadcastTimeout)
            runner.readiness = { [weak node] ready in node?.setDispatchReady(ready) }
            runner.messenger = { [weak node] channel, payload, destination in
                node?.submit(channel: channel, payload: payload, to: destination)
            }
            node.addRoleObserver(runner)
        }
        if let service {
            responder.service = { service.status }
            service.onHealthChange = { [weak node] healthy in node?.setHealthy(healthy) }
            // A verdict that came before the ring was listening.
            if !service.status.healthy { node.setHealthy(false) }
        }
        let controlChannel: any Channel
        do {
            controlChannel = try ControlServer.bind(settings.controlSocket, group: loop, responder: responder).wait()
            opened.append(controlChannel)
        } catch {
            throw fail("cannot listen on the control socket \(settings.controlSocket): \(error)")
        }
        var metricsChannel: (any Channel)?
        if let endpoint = settings.config.control.metricsEndpoint, let registry {
            do {
                metricsChannel = try MetricsServer.bind(host: endpoint.address.description, port: Int(endpoint.port),
                                                        group: loop, registry: registry).wait()
            } catch {
                unlink(settings.controlSocket.path)
                throw fail("cannot serve metrics on \(endpoint.address):\(endpoint.port) (control.metrics): "
                    + describe(error, address: endpoint.address.description))
            }
        }
        let daemon = Daemon(node: node, settings: settings, logger: logger, group: group, ringChannel: ringChannel,
                            controlChannel: controlChannel, metricsChannel: metricsChannel, runner: runner, service: service)
        daemon.logStart()
        do {
            try loop.submit { node.start(sender: sender) }.wait()
        } catch {
            throw fail("cannot start the ring: \(error)")
        }
        return daemon
    }

    /// NIO reads the bound `socket` (and closes it); the node sends on its own descriptor.
    private static func bindRing(_ socket: CInt, node: RingNode, loop: any EventLoop) throws -> any Channel {
        try DatagramBootstrap(group: loop)
            // One datagram is at most one packet; a larger one arrives cut and is dropped as malformed.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: RingPacket.maximumSize + 1))
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RingDatagramHandler(node: node))
                }
            }
            .withBoundSocket(socket)
            .wait()
    }

    private static func describe(_ error: any Error, address: String) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE: return "address in use: another process (another member for \(address)?) holds it"
            case EADDRNOTAVAIL: return "\(address) is not an address of this host"
            case EACCES: return "permission denied"
            default: break
            }
        }
        return "\(error)"
    }

    private func logStart() {
        let ring = settings.config.ring
        let key = ring.keyFile.map { "key \($0)" } ?? "no key"
        let broadcast = settings.link.map { "broadcasts to \($0.broadcast) on \($0.interface)" } ?? "broadcasts by fan-out"
        logger.notice("""
            starting: ring \(settings.node):\(ring.port)/udp, \(ring.members.count) configured members, \(broadcast), \
            heartbeat \(ring.heartbeatMs) ms, token timeout \(ring.tokenTimeoutMs) ms, broadcast timeout \
            \(ring.broadcastTimeoutMs) ms, \(settings.machine.canDispatch ? "may dispatch" : "never dispatches"), \(key); \
            control socket \(settings.controlSocket)
            """)
        if settings.insecure {
            logger.warning("""
                ring.insecure is true: ring packets are not authenticated, and anyone who can send UDP to port \
                \(ring.port) can join or disrupt the ring; make a key with `sasha keygen` and set ring.key_file
                """)
        }
        if let endpoint = settings.config.control.metricsEndpoint {
            logger.notice("metrics at http://\(endpoint.address):\(endpoint.port)/metrics")
        }
    }

    // MARK: Stopping

    /// Leaves the ring (the last datagrams reach the kernel first), then closes every socket; the
    /// ring socket closing ends `run`. Safe to call more than once, from any thread.
    public func shutdown() {
        guard !finished.load(ordering: .acquiring) else { return }
        // Give the VIP back while the ring hears the leave, so that the next dispatcher binds it
        // as soon as it can (it retries until the address is free).
        if let runner { DispatchQueue.global().async { runner.shutdown() } }
        node.eventLoop.execute { [self] in
            guard ringChannel.isActive else { return }
            logger.notice("shutting down: leaving the ring")
            node.leave()
            controlChannel.close(promise: nil)
            metricsChannel?.close(promise: nil)
            ringChannel.close(promise: nil)
        }
    }

    /// Stops at once without a word to the ring, as `kill -9` would (`MemberRuntime.crash`):
    /// the node sends nothing more, and closing the ring socket makes `run` release the rest.
    func crash() {
        node.eventLoop.execute { [self] in
            logger.notice("crashing on purpose: the ring hears nothing more from this member")
            node.halt()
            ringChannel.close(promise: nil)
        }
    }

    struct RingSocketClosed: Error, CustomStringConvertible {
        var description: String { "the ring's UDP socket closed unexpectedly" }
    }

    /// Runs until `shutdown` (or an error that closed the ring socket), then releases everything.
    /// `sasha run` calls it from a service group, whose SIGTERM/SIGINT calls `shutdown`.
    public func run() async throws {
        var unexpected = false
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await ringChannel.closeFuture.get()
        } onCancelOrGracefulShutdown: { [self] in
            shutdown()
        }
        if controlChannel.isActive {
            unexpected = true
            controlChannel.close(promise: nil)
            metricsChannel?.close(promise: nil)
        }
        try? await controlChannel.closeFuture.get()
        try? await metricsChannel?.closeFuture.get()
        if let runner { await withCheckedContinuation { done in DispatchQueue.global().async { runner.shutdown(); done.resume() } } }
        await service?.stop()
        unlink(settings.controlSocket.path)
        finished.store(true, ordering: .releasing)
        try? await group.shutdownGracefully()
        logger.notice(unexpected ? "stopped: the ring socket closed" : "stopped")
        if unexpected { throw RingSocketClosed() }
    }
}
