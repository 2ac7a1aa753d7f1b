import Logging
import NIOCore
import SashaBase
import Synchronization

/// Watches the member's own service (the embedded server, or an external one such as nginx) by
/// sending `GET <healthPath>` every `interval`, and reports when its health changes.
///
/// A 2xx answer is a success; any other status, a refusal, or no answer within `timeout` is a
/// failure. `HealthHysteresis` turns results into a state; `onChange` is called once with the
/// first result, then only on a change. Probes are sequential, one connection each, and start
/// on a fixed cadence (a slow probe delays the next one, never stacks up).
public final class ServiceHealthMonitor: Sendable {
    public struct Options: Sendable, Equatable {
        public var address: IPv4Address
        public var port: UInt16
        public var healthPath: String
        public var interval: Duration
        public var timeout: Duration
        /// Consecutive failures before a healthy service is reported unhealthy.
        public var failures: Int
        /// Consecutive successes before an unhealthy service is reported healthy.
        public var successes: Int

        public init(
            address: IPv4Address, port: UInt16, healthPath: String = "/health",
            interval: Duration = .seconds(1), timeout: Duration = .seconds(1), failures: Int = 2, successes: Int = 1
        ) {
            self.address = address
            self.port = port
            self.healthPath = healthPath
            self.interval = interval
            self.timeout = timeout
            self.failures = failures
            self.successes = successes
        }
    }

    private struct State {
        var hysteresis: HealthHysteresis
        var task: Task<Void, Never>?
    }

    public let options: Options
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onChange: @Sendable (Bool) -> Void
    private let state: Protected<State>

    public init(
        options: Options, group: any EventLoopGroup, logger: Logger, onChange: @escaping @Sendable (Bool) -> Void
    ) {
        self.options = options
        self.group = group
        self.logger = logger
        self.onChange = onChange
        let hysteresis = HealthHysteresis(failuresToFall: options.failures, successesToRise: options.successes)
        self.state = Protected(State(hysteresis: hysteresis))
    }

    /// The current verdict; nil before the first probe has finished.
    public var isHealthy: Bool? { state.withLock { $0.hysteresis.isHealthy } }

    /// Starts probing (the first probe at once). Calling it while running does nothing.
    public func start() async {
        state.withLock { state in
            guard state.task == nil else { return }
            state.task = Task { await self.run() }
        }
    }

    /// Stops probing and returns once no probe is running; `onChange` is not called afterwards.
    public func stop() async {
        let task = state.withLock { state in
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
        await task?.value
    }

    private func run() async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            let success = await probe()
            guard !Task.isCancelled else { return }
            if let healthy = state.withLock({ $0.hysteresis.record(success: success) }) {
                logger.log(
                    level: healthy ? .info : .warning, "service health changed",
                    metadata: ["healthy": "\(healthy)", "service": "\(options.address):\(options.port)"]
                )
                onChange(healthy)
            }
            try? await Task.sleep(until: started + options.interval, clock: clock)
        }
    }

    private func probe() async -> Bool {
        do {
            let status = try await HealthProbe.status(
                group: group, address: options.address, port: options.port, path: options.healthPath,
                timeout: TimeAmount(options.timeout)
            )
            if (200..<300).contains(status.code) { return true }
            logger.debug("health probe failed", metadata: ["status": "\(status.code)"])
        } catch {
            logger.debug("health probe failed", metadata: ["error": "\(error)"])
        }
        return false
    }
}
