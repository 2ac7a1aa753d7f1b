import Dispatch
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import SashaSDK
import Synchronization

/// `sasha run`: checks everything, binds, then runs the member in the foreground under a
/// swift-service-lifecycle `ServiceGroup` until SIGTERM or SIGINT, either of which leaves the
/// ring gracefully (the dispatcher role is handed over at once) and exits 0.
public enum DaemonMain {
    /// Blocks until the daemon stops; returns the process's exit status. Refusals are printed
    /// through `printError`, one problem a line.
    public static func run(configPath: String, node: IPv4Address, logLevel: Logger.Level,
                           printError: (String) -> Void) -> Int32 {
        let settings: DaemonSettings
        do throws(DaemonSettings.Refusal) {
            settings = try DaemonSettings.prepare(configPath: configPath, node: node)
        } catch {
            error.lines.forEach(printError)
            return 1
        }
        DaemonLogging.bootstrap(level: logLevel)
        let logger = DaemonLogging.logger(node: node)
        var registry: PrometheusCollectorRegistry?
        if settings.config.control.metricsEndpoint != nil {
            let made = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: made))
            registry = made
        }
        let member: MemberRuntime
        do throws(MemberRuntime.StartFailure) {
            member = try MemberRuntime.start(settings, logger: logger, registry: registry)
        } catch {
            error.lines.forEach(printError)
            return 1
        }
        var configuration = ServiceGroupConfiguration(
            services: [MemberLifecycleService(member: member)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A leave is a few datagrams; past this, stop anyway.
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        let failure = Protected<(any Error)?>(nil)
        let finished = DispatchSemaphore(value: 0)
        // The command line is synchronous (the root command is a ParsableCommand); the service
        // group runs in a task while this thread waits.
        Task {
            do { try await group.run() } catch { failure.withLock { $0 = error } }
            finished.signal()
        }
        finished.wait()
        if let error = failure.withLock({ $0 }) {
            logger.error("stopped with an error: \(error)")
            return 1
        }
        return 0
    }
}

/// The member as a swift-service-lifecycle service.
struct MemberLifecycleService: Service, CustomStringConvertible {
    let member: MemberRuntime
    var description: String { "sasha ring member \(member.node.address)" }

    func run() async throws {
        try await member.run()
    }
}
