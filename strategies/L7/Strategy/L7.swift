import HTTPCache
import NIOCore
import NIOPosix
import SashaSDK
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The `l7` strategy: an HTTP/1.1 reverse proxy on the cluster address. It terminates client
/// connections, routes each request by content to a group of servers (the current policy picks
/// within it), reuses pooled keep-alive connections to the servers, retries idempotent requests
/// a server refused or dropped, answers hostile input with 4xx, and serves from its cache when it
/// can.
public final class L7: Strategy {
    public static let name = "l7"
    public static let summary = "HTTP/1.1 reverse proxy with content routing, pooled server connections and a cache"

    /// What a running proxy holds; nil while stopped.
    private struct Running {
        let group: MultiThreadedEventLoopGroup
        let loops: [LoopState]
        let listeners: [Channel]
        var address: VirtualAddress
    }

    let settings: L7Settings
    let context: StrategyContext
    private let host: PluginHost?
    private let directory = SnapshotCell(ServerDirectory.empty)
    let counters = L7Counters()
    let cache: ResponseCache?
    /// Per-server counters, kept across server-list changes; and the last routing warnings.
    private let registry = Protected<(counters: [IPv4Address: ServerCounters], warnings: [String])>(([:], []))
    private let running = Protected<Running?>(nil)

    public init(options: PluginOptions, context: StrategyContext, host: PluginHost?) throws(OptionError) {
        settings = try L7Settings(options: options)
        self.context = context
        self.host = host
        let cacheSettings = settings.cache
        cache = host == nil || !cacheSettings.enabled ? nil : ResponseCache(options: CacheOptions(
            enabled: true, maxBytes: cacheSettings.maxBytes, maxObjectBytes: cacheSettings.maxObjectBytes,
            defaultTTL: .seconds(cacheSettings.defaultTTLSeconds)))
    }

    // MARK: Dispatching

    public func start() throws(OptionError) {
        guard let host else { throw OptionError("l7 was created without a host (validation only) and cannot start") }
        let outcome = running.withLock { running -> Result<Void, OptionError> in
            guard running == nil else { return .success(()) }
            do throws(OptionError) {
                running = try launch(host: host)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try outcome.get()
    }

    private func launch(host: PluginHost) throws(OptionError) -> Running {
        var address = VirtualAddress(vip: context.vip, interface: context.interface)
        try address.take()
        let threads = settings.threads == 0 ? System.coreCount : settings.threads
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let environment = ProxyEnvironment(
            settings: settings, host: host, node: context.node, vip: context.vip, directory: directory,
            counters: counters, cache: cache)
        let loops = group.makeIterator().map { LoopState(eventLoop: $0, environment: environment) }
        let byLoop = Dictionary(uniqueKeysWithValues: loops.map { (ObjectIdentifier($0.eventLoop), $0) })
        var listeners: [Channel] = []
        for port in context.ports {
            do {
                listeners.append(try makeBootstrap(group: group, environment: environment, loops: byLoop)
                    .bind(host: context.vip.description, port: Int(port)).wait())
            } catch {
                for listener in listeners { try? listener.close().wait() }
                try? group.syncShutdownGracefully()
                address.release()
                throw OptionError(
                    "l7 cannot listen on \(context.vip):\(port): \(error); free the port or pick another in cluster.ports, and check that \(context.vip) (cluster.vip) is an address of this host")
            }
        }
        host.log(.info, "l7 listening on \(context.ports.map { "\(context.vip):\($0)" }.joined(separator: ", ")) with \(threads) event loops")
        return Running(group: group, loops: loops, listeners: listeners, address: address)
    }

    private func makeBootstrap(group: EventLoopGroup, environment: ProxyEnvironment, loops: [ObjectIdentifier: LoopState]) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let loop = loops[ObjectIdentifier(channel.eventLoop)] else {
                        throw ChannelError.ioOnClosedChannel
                    }
                    // The bytes go straight to the proxy: it reads HTTP itself (`ProxyMachine`).
                    try channel.pipeline.syncOperations.addHandler(ProxyHandler(environment: environment, loop: loop))
                }
            }
    }

    public func stop() {
        guard var stopping = running.withLock({ running -> Running? in
            defer { running = nil }
            return running
        }) else { return }
        for listener in stopping.listeners { try? listener.close().wait() }
        // Let requests in flight finish for a moment; idle clients go at once.
        for loop in stopping.loops { loop.eventLoop.execute { loop.quiesce() } }
        let deadline = NIODeadline.now() + .milliseconds(1_500)
        while counters.activeClientConnections.load(ordering: .relaxed) > 0, NIODeadline.now() < deadline {
            usleep(10_000)
        }
        for loop in stopping.loops { try? loop.eventLoop.submit { loop.closeEverything() }.wait() }
        try? stopping.group.syncShutdownGracefully()
        if let problem = stopping.address.release() { host?.log(.warning, problem) }
        host?.log(.info, "l7 stopped")
    }

    // MARK: Servers

    public func serversChanged(_ list: ServerList) {
        let (built, warnings) = registry.withLock { registry -> (ServerDirectory, [String]) in
            let (directory, warnings) = ServerDirectory.build(
                list, rules: settings.rules, defaultTag: settings.defaultTag, counters: &registry.counters)
            // Say it once per change of the problem, not on every health flap.
            let fresh = warnings == registry.warnings ? [] : warnings
            registry.warnings = warnings
            return (directory, fresh)
        }
        directory.replace(with: built)
        for warning in warnings { host?.log(.warning, warning) }
    }

    // MARK: Stats

    public func stats() -> String {
        func load(_ counter: borrowing Atomic<Int>) -> Int { counter.load(ordering: .relaxed) }
        var fields: [String] = [
            "\"requests\":\(load(counters.requests))",
            "\"responses\":{\"1xx\":\(load(counters.responses1xx)),\"2xx\":\(load(counters.responses2xx)),\"3xx\":\(load(counters.responses3xx)),\"4xx\":\(load(counters.responses4xx)),\"5xx\":\(load(counters.responses5xx))}",
            "\"retries\":\(load(counters.retries))",
            "\"upstream_connections_opened\":\(load(counters.upstreamConnectionsOpened))",
            "\"upstream_failures\":\(load(counters.upstreamFailures))",
            "\"ejections\":\(load(counters.ejections))",
            "\"ejections_refused\":\(load(counters.ejectionsRefused))",
            "\"client_connections\":\(load(counters.clientConnections))",
            "\"active\":\(load(counters.activeClientConnections))",
            "\"max_buffered_bytes\":\(load(counters.maxBufferedBytes))",
        ]
        let servers = registry.withLock { $0.counters.values.sorted { $0.address < $1.address } }
        fields.append("\"servers\":{" + servers.map { "\"\($0.address)\":\(load($0.requests))" }.joined(separator: ",") + "}")
        if let statistics = cache?.statistics {
            fields.append("\"cache\":{\"hits\":\(statistics.hits),\"misses\":\(statistics.misses),\"waits\":\(statistics.coalescedWaits),\"bypasses\":\(statistics.bypasses),\"stores\":\(statistics.stores),\"stale_hits\":\(statistics.staleHits),\"revalidations\":\(statistics.revalidations),\"not_modified\":\(statistics.notModified),\"entries\":\(statistics.entries),\"bytes\":\(statistics.bytes)}")
        } else {
            fields.append("\"cache\":null")
        }
        fields.append("\"running\":\(running.withLock { $0 != nil })")
        return "{" + fields.joined(separator: ",") + "}"
    }
}
