import Dispatch
import Logging
import NIOCore
import NIOPosix
import SashaSDK
import SashaWeb
import Synchronization

/// This member's own service, the spec's "network server" side: the embedded web server serving
/// `service.root`, or an external local server at `service.external_port`. Either way its health
/// is checked over HTTP like a client would (`service.health`), and every change is reported on
/// the ring, so that an unhealthy member gets no new connections until it recovers.
public final class MemberService: @unchecked Sendable {
    public enum Kind: String, Sendable {
        /// The embedded web server serves `service.root`.
        case files
        /// A local server (nginx, ...) at `service.external_port` is the service.
        case external
        /// This member serves nothing (`serve: false`, or no root and no external server).
        case none
    }

    public struct StartFailure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public let kind: Kind
    let port: UInt16
    private let group: MultiThreadedEventLoopGroup?
    private let server: StaticFileServer?
    private let monitor: ServiceHealthMonitor?
    private let health = HealthReport()
    private let logger: Logger

    /// Told every health change (the daemon sets it to report to the ring).
    var onHealthChange: (@Sendable (Bool) -> Void)? {
        get { health.listener.withLock { $0 } }
        set { health.listener.withLock { $0 = newValue } }
    }

    private init(kind: Kind, port: UInt16, group: MultiThreadedEventLoopGroup?, server: StaticFileServer?,
                 monitorOptions: ServiceHealthMonitor.Options?, logger: Logger) {
        self.kind = kind
        self.logger = logger
        self.port = port
        self.group = group
        self.server = server
        let health = self.health
        self.monitor = monitorOptions.map { options in
            ServiceHealthMonitor(options: options, group: group!, logger: logger) { isHealthy in
                health.healthy.store(isHealthy, ordering: .relaxed)
                logger.log(level: isHealthy ? .notice : .warning, """
                    service on \(options.address):\(options.port) is \(isHealthy ? "healthy" : "unhealthy") \
                    (GET \(options.healthPath)): \(isHealthy ? "taking new connections" : "the dispatcher sends it no new connections")
                    """)
                health.listener.withLock { $0 }?(isHealthy)
            }
        }
    }

    /// Starts this member's service as the configuration says. A member whose embedded server
    /// cannot bind refuses to start, with the address and the likely fix.
    static func start(_ config: SashaConfig, node: IPv4Address, logger: Logger) throws(StartFailure) -> MemberService {
        let service = config.service
        let serves = config.node(node).serve
        let kind: Kind = !serves ? .none : service.externalPort != nil ? .external : service.root != nil ? .files : .none
        guard kind != .none else {
            return MemberService(kind: .none, port: service.port, group: nil, server: nil, monitorOptions: nil, logger: logger)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: kind == .files ? System.coreCount : 1)
        var server: StaticFileServer?
        if kind == .files, let root = service.root {
            let configuration = WebServerConfiguration(root: root, address: node, port: service.port, healthPath: service.health,
                                                       maxAgeSeconds: service.maxAgeSeconds, servesDotfiles: service.dotfiles)
            do {
                server = try blocking { try await StaticFileServer.start(configuration: configuration, group: group, logger: logger) }
            } catch {
                try? group.syncShutdownGracefully()
                throw StartFailure(description: "cannot serve \(root) (service.root): \(error)")
            }
            logger.notice("serving \(root) on http://\(node):\(service.port)/ (health \(service.health))")
        } else if let external = service.externalPort {
            logger.notice("the service is the local server on \(node):\(external) (service.external_port); checking \(service.health)")
        }
        let options = ServiceHealthMonitor.Options(address: node, port: service.servingPort, healthPath: service.health)
        let member = MemberService(kind: kind, port: service.servingPort, group: group, server: server, monitorOptions: options,
                                   logger: logger)
        if let monitor = member.monitor { blocking { await monitor.start() } }
        return member
    }

    /// Serves on `address`:`port` as well, for a strategy's server side (see `sasha_host.serve_also`).
    /// Control thread only.
    func serveAlso(on address: IPv4Address, port: UInt16) throws(OptionError) {
        switch kind {
        case .files:
            guard let server else { return }
            do {
                try blocking { try await server.listen(also: address, port: port) }
            } catch {
                throw OptionError("cannot serve on \(address):\(port) for the strategy: \(error)")
            }
        case .external:
            logger.notice("the strategy needs the service to answer on \(address):\(port): set up the server at service.external_port to listen there too")
        case .none:
            break
        }
    }

    func stopServing(on address: IPv4Address, port: UInt16) {
        guard kind == .files, let server else { return }
        blocking { await server.stopListening(on: address, port: port) }
    }

    /// Stops checking and serving.
    func stop() async {
        await monitor?.stop()
        await server?.stop()
        try? await group?.shutdownGracefully()
    }

    /// What `sasha status` shows.
    var status: StatusReport.Service {
        StatusReport.Service(kind: kind.rawValue, port: Int(port), healthy: health.healthy.load(ordering: .relaxed),
                             requests: server?.requestsServed ?? 0)
    }
}

/// The latest health verdict and who hears of changes; shared with the monitor's callback.
private final class HealthReport: Sendable {
    let healthy = Atomic<Bool>(true)
    let listener = Protected<(@Sendable (Bool) -> Void)?>(nil)
}

/// Runs async work from synchronous start-up code (the daemon starts before its service group).
private func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Protected<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

private func blocking(_ work: @escaping @Sendable () async -> Void) {
    try? blocking { () async throws -> Int in await work(); return 0 }
}
