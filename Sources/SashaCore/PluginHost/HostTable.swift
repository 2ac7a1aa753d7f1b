import Logging
import SashaABI
import SashaSDK

#if canImport(Glibc)
import Glibc
#endif

/// What the host's C callbacks reach through `sasha_host.context`: one per plugin and member, so
/// logs and metrics carry the plugin's name, and every call reaches that member's services.
/// Lives for the process, like the plugin.
final class HostContext: @unchecked Sendable {
    let logger: Logger
    let metrics: PluginMetrics
    let services: HostServices
    /// The member's current policy, kept apart from `services` so `pick` reads one reference.
    let currentPolicy: CurrentPolicy

    init(plugin: String, services: HostServices) {
        var logger = Logger(label: "sasha.plugin")
        logger[metadataKey: "plugin"] = "\(plugin)"
        if let node = services.node { logger[metadataKey: "node"] = "\(node)" }
        self.logger = logger
        self.metrics = PluginMetrics(plugin: plugin)
        self.services = services
        self.currentPolicy = services.currentPolicy
    }
}

/// Builds a `sasha_host` table for one plugin and member (`HostServices.table(for:)`). The table
/// is never freed: the plugin may keep it for the life of the process.
enum HostTable {
    static func make(plugin: String, services: HostServices) -> UnsafePointer<sasha_host> {
        let context = Unmanaged.passRetained(HostContext(plugin: plugin, services: services)).toOpaque()
        let table = UnsafeMutablePointer<sasha_host>.allocate(capacity: 1)
        table.initialize(to: sasha_host(
            struct_size: UInt32(MemoryLayout<sasha_host>.size),
            abi_version: SASHA_ABI_VERSION,
            context: context,
            log: { host, level, message in
                guard let message else { return }
                hostContext(host) { $0.logger.log(level: Logger.Level(level), "\(String(cString: message))") }
            },
            register_counter: { host, name, _ in
                guard let name else { return -1 }
                return hostContext(host) { $0.metrics.registerCounter(String(cString: name)) }
            },
            register_gauge: { host, name, _ in
                guard let name else { return -1 }
                return hostContext(host) { $0.metrics.registerGauge(String(cString: name)) }
            },
            counter_add: { host, handle, delta in hostContext(host) { $0.metrics.add(delta, to: handle) } },
            gauge_set: { host, handle, value in hostContext(host) { $0.metrics.set(value, on: handle) } },
            monotonic_ns: { _ in MonotonicClock.nanoseconds },
            pick: { host, flow in
                guard let flow else { return 0 }
                return hostContext(host) { $0.currentPolicy.pick(flow) }
            },
            connection_opened: { host, server in hostContext(host) { $0.currentPolicy.connectionOpened(on: server) } },
            connection_closed: { host, server in hostContext(host) { $0.currentPolicy.connectionClosed(on: server) } },
            exclude_server: { host, server, duration in
                hostContext(host) { $0.services.exclusions.exclude(IPv4Address(server), forNanoseconds: duration) }
            },
            serve_also: { host, address, port, listen, out in
                do throws(OptionError) {
                    let addresses = hostContext(host) { $0.services.serviceAddresses }
                    try addresses.serve(on: IPv4Address(address), port: port, listen: listen != 0)
                    return SASHA_OK
                } catch {
                    error.write(to: out)
                    return SASHA_ERR
                }
            },
            data_path_failed: { host, reason in
                let text = reason.map { String(cString: $0) } ?? "no reason given"
                hostContext(host) { context in
                    context.logger.error("the data path failed: \(text)")
                    context.services.dataPathFailures.report(text)
                }
            }
        ))
        return UnsafePointer(table)
    }
}

@inline(__always)
private func hostContext<R>(_ host: UnsafePointer<sasha_host>?, _ body: (HostContext) -> R) -> R {
    Unmanaged<HostContext>.fromOpaque(host!.pointee.context!)._withUnsafeGuaranteedRef(body)
}

extension Logger.Level {
    init(_ level: sasha_log_level) {
        switch level {
        case SASHA_LOG_TRACE: self = .trace
        case SASHA_LOG_DEBUG: self = .debug
        case SASHA_LOG_INFO: self = .info
        case SASHA_LOG_NOTICE: self = .notice
        case SASHA_LOG_WARNING: self = .warning
        case SASHA_LOG_ERROR: self = .error
        default: self = .critical
        }
    }
}
