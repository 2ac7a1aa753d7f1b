import HTTPCache
import HTTPWire
import L7Machine
import NIOCore
import SashaSDK
import Synchronization

/// What every client connection shares: settings, the host (the current policy), the server
/// directory and the counters. Immutable apart from the cell and the atomics.
final class ProxyEnvironment: Sendable {
    let settings: L7Settings
    let host: PluginHost
    let node: IPv4Address
    let vip: IPv4Address
    let directory: SnapshotCell<ServerDirectory>
    let counters: L7Counters
    /// nil when `cache.enabled` is false.
    let cache: ResponseCache?
    /// Every client connection's machine starts from this (its forwarding fields set per client).
    let machineConfiguration: ProxyMachine.Configuration
    /// Serialises ejection decisions (rare: only after a run of failures).
    private let ejecting = Protected<Void>(())

    init(settings: L7Settings, host: PluginHost, node: IPv4Address, vip: IPv4Address,
         directory: SnapshotCell<ServerDirectory>, counters: L7Counters, cache: ResponseCache?) {
        self.cache = cache
        self.settings = settings
        self.host = host
        self.node = node
        self.vip = vip
        self.directory = directory
        self.counters = counters
        var configuration = ProxyMachine.Configuration()
        let limits = settings.limits
        configuration.limits = WireLimits(
            maxRequestLineBytes: limits.maxRequestLineBytes, maxHeaderBytes: limits.maxHeaderBytes, maxFieldCount: limits.maxHeaderFields)
        configuration.maxBodyBytes = limits.maxBodyBytes
        configuration.responseFields = cache == nil ? [] : Array("X-Cache: MISS\r\n".utf8)
        configuration.idleTimeout = UInt64(limits.idleTimeout.nanoseconds)
        configuration.headerTimeout = UInt64(limits.headerTimeout.nanoseconds)
        configuration.bodyIdleTimeout = UInt64(limits.bodyIdleTimeout.nanoseconds)
        configuration.responseTimeout = UInt64(settings.upstream.responseTimeout.nanoseconds)
        configuration.responseIdleTimeout = UInt64(settings.upstream.responseIdleTimeout.nanoseconds)
        machineConfiguration = configuration
    }

    /// A server failed a request. Refused connections, timeouts and dropped connections count
    /// toward ejection: after `eject_after_failures` in a row the host leaves the server out of new
    /// flows for `eject_for_ms`, unless that would eject more than `max_ejection_percent` of a
    /// group's servers or its last one (one misbehaving request path must not take the site
    /// down). A malformed answer is that response's fault, not the server's: counted, never
    /// ejected for.
    func recordFailure(_ server: ServerCounters, _ failure: ServerFailure) {
        counters.bump(counters.upstreamFailures)
        guard failure != .malformed else { return }
        let failures = server.consecutiveFailures.wrappingAdd(1, ordering: .relaxed).newValue
        guard failures >= settings.upstream.ejectAfterFailures else { return }
        server.consecutiveFailures.store(0, ordering: .relaxed)
        let now = host.monotonicNanoseconds
        // One decision at a time: two loops ejecting two servers at once must not both see room.
        let ejected = ejecting.withLock { _ -> Bool in
            guard directory.value.mayEject(server.address, maxPercent: settings.upstream.maxEjectionPercent, now: now) else {
                return false
            }
            server.ejectedUntil.store(now &+ UInt64(settings.upstream.ejectFor.components.seconds) * 1_000_000_000
                &+ UInt64(settings.upstream.ejectFor.components.attoseconds / 1_000_000_000), ordering: .relaxed)
            return true
        }
        guard ejected else {
            counters.bump(counters.ejectionsRefused)
            return
        }
        counters.bump(counters.ejections)
        host.exclude(server.address, for: settings.upstream.ejectFor)
        host.log(.warning, "server \(server.address) failed \(failures) times in a row; left out of new requests for \(settings.upstream.ejectFor)")
    }

    /// A server answered: its run of failures is over.
    @inline(__always)
    func recordSuccess(_ server: ServerCounters) {
        if server.consecutiveFailures.load(ordering: .relaxed) != 0 {
            server.consecutiveFailures.store(0, ordering: .relaxed)
        }
    }
}

/// What one event loop owns: its upstream pool and its client connections (so that `stop()` can
/// quiesce them). Touched only on that loop; `@unchecked Sendable` so the listener's initializer
/// can find it, never to share it.
final class LoopState: @unchecked Sendable {
    let eventLoop: EventLoop
    let pool: UpstreamPool
    /// `stale-while-revalidate` refreshes running on this loop (`BackgroundRefresh`).
    var refreshesInFlight = 0
    /// Past this many, a stale hit is served without a refresh: refreshes are the proxy's own
    /// requests, and pipelined stale hits on many keys must not open a server connection each.
    static let maximumRefreshesInFlight = 32
    private var clients: [ObjectIdentifier: ProxyHandler] = [:]
    private(set) var quiescing = false
    private var sweep: RepeatedTask?

    init(eventLoop: EventLoop, environment: ProxyEnvironment) {
        self.eventLoop = eventLoop
        self.pool = UpstreamPool(eventLoop: eventLoop, settings: environment.settings.upstream, counters: environment.counters)
        let settings = environment.settings
        let interval = Self.sweepInterval(
            settings.limits.headerTimeout, settings.limits.idleTimeout, settings.limits.bodyIdleTimeout,
            settings.upstream.responseTimeout, settings.upstream.responseIdleTimeout)
        sweep = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
            self?.sweepDeadlines()
        }
    }

    /// Fires the timeouts that have passed. Timeouts are checked by a sweep of each loop's
    /// connections rather than a scheduled task apiece: scheduling and cancelling tasks per
    /// request cost an allocation, a promise and two heap operations every time, for timers that
    /// almost never fire.
    private func sweepDeadlines() {
        let now = NIODeadline.now().uptimeNanoseconds
        for client in Array(clients.values) { client.sweep(now: now) }
    }

    /// How often a loop sweeps its connections: a tenth of the shortest timeout, between 10 and
    /// 250 ms, so a timeout fires at most 10% (or 250 ms) late.
    static func sweepInterval(_ timeouts: TimeAmount...) -> TimeAmount {
        let shortest = timeouts.min() ?? .seconds(1)
        return min(max(.nanoseconds(shortest.nanoseconds / 10), .milliseconds(10)), .milliseconds(250))
    }

    func register(_ client: ProxyHandler) { clients[ObjectIdentifier(client)] = client }
    func unregister(_ client: ProxyHandler) { clients[ObjectIdentifier(client)] = nil }

    /// Stop taking requests: idle clients are closed now, busy ones after their response.
    func quiesce() {
        quiescing = true
        for client in Array(clients.values) { client.quiesce() }
    }

    /// Closes whatever is still open.
    func closeEverything() {
        quiescing = true
        sweep?.cancel()
        sweep = nil
        for client in Array(clients.values) { client.closeNow() }
        pool.closeAll()
    }
}
