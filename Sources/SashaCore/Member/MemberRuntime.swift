import Dispatch
import Logging
import Prometheus
import SashaSDK

/// One member of the cluster, whole: what its plugins reach (`HostServices`), the strategy
/// runner, its own service, and the daemon with the ring node. `sasha run` makes one; a test can
/// make several in one process, since nothing here is process-wide.
///
/// The parts are made in the order they depend on each other: the plugins first (a refused
/// plugin stops the start before anything is bound), then the service (the strategy's
/// `serve_also` reaches it from then on), then the sockets and the ring.
public final class MemberRuntime: Sendable {
    public let settings: DaemonSettings
    public let services: HostServices
    public let runner: StrategyRunner
    public let service: MemberService
    public let daemon: Daemon
    public var node: RingNode { daemon.node }

    /// Why the member did not start: lines for standard error, configuration problems in
    /// `sasha check`'s FILE:LINE:COLUMN form.
    public struct StartFailure: Error, Sendable, CustomStringConvertible {
        public let lines: [String]
        public var description: String { lines.joined(separator: "\n") }
    }

    private init(settings: DaemonSettings, services: HostServices, runner: StrategyRunner, service: MemberService, daemon: Daemon) {
        self.settings = settings
        self.services = services
        self.runner = runner
        self.service = service
        self.daemon = daemon
    }

    /// Loads the plugins, starts the service, binds the sockets and starts looking for the ring.
    /// Blocks until bound (not on an event loop). On failure, what was started is stopped.
    public static func start(_ settings: DaemonSettings, logger: Logger,
                             registry: PrometheusCollectorRegistry?) throws(StartFailure) -> MemberRuntime {
        let services = HostServices(node: settings.node)
        let runner: StrategyRunner
        do throws(StrategyRunner.LoadFailure) {
            runner = try StrategyRunner.load(config: settings.config, node: settings.node, services: services, logger: logger)
        } catch {
            throw StartFailure(lines: error.diagnostics.map(\.description))
        }
        let service: MemberService
        do throws(MemberService.StartFailure) {
            service = try MemberService.start(settings.config, node: settings.node, logger: logger)
        } catch {
            throw StartFailure(lines: ["sasha run: \(error.description)"])
        }
        services.serviceAddresses.attach(service)
        do throws(Daemon.StartFailure) {
            let daemon = try Daemon.start(settings, logger: logger, registry: registry, runner: runner, service: service)
            return MemberRuntime(settings: settings, services: services, runner: runner, service: service, daemon: daemon)
        } catch {
            services.serviceAddresses.detach()
            let stopped = DispatchSemaphore(value: 0)
            Task {
                await service.stop()
                stopped.signal()
            }
            stopped.wait()
            throw StartFailure(lines: ["sasha run: \(error.description)"])
        }
    }

    /// Runs until `shutdown` (or the ring socket closed), then releases everything.
    public func run() async throws {
        defer { services.serviceAddresses.detach() }
        try await daemon.run()
    }

    /// Leaves the ring gracefully and stops; any thread, more than once.
    public func shutdown() { daemon.shutdown() }

    /// What `kill -9` of this member leaves behind, for failover tests with several members in
    /// one process: the ring hears nothing more from it (no leave), and `run` then releases the
    /// rest (the strategy's sockets, the service) as after any unexpected close of the ring socket.
    func crash() { daemon.crash() }
}
