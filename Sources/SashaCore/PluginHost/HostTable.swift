import Logging
import SashaABI
import SashaSDK

#if canImport(Glibc)
import Glibc
#endif

/// What the host's C callbacks reach through `sasha_host.context`: one per loaded plugin, so logs
/// and metrics carry the plugin's name. Lives for the process, like the plugin.
final class HostContext: @unchecked Sendable {
    let logger: Logger
    let metrics: PluginMetrics
    let currentPolicy: CurrentPolicy

    init(plugin: String, currentPolicy: CurrentPolicy) {
        var logger = Logger(label: "sasha.plugin")
        logger[metadataKey: "plugin"] = "\(plugin)"
        self.logger = logger
        self.metrics = PluginMetrics(plugin: plugin)
        self.currentPolicy = currentPolicy
    }
}

/// Builds the `sasha_host` table handed to a plugin's entry. The table is never freed: the plugin
/// may keep it for the life of the process.
enum HostTable {
    static func make(plugin: String, currentPolicy: CurrentPolicy) -> UnsafePointer<sasha_host> {
        let context = Unmanaged.passRetained(HostContext(plugin: plugin, currentPolicy: currentPolicy)).toOpaque()
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
            exclude_server: { _, server, duration in
                ServerExclusions.shared.exclude(IPv4Address(server), forNanoseconds: duration)
            },
            serve_also: { _, address, port, listen, out in
                do throws(OptionError) {
                    try ServiceAddresses.shared.serve(on: IPv4Address(address), port: port, listen: listen != 0)
                    return SASHA_OK
                } catch {
                    error.write(to: out)
                    return SASHA_ERR
                }
            },
            data_path_failed: { host, reason in
                let text = reason.map { String(cString: $0) } ?? "no reason given"
                hostContext(host) { $0.logger.error("the data path failed: \(text)") }
                DataPathFailures.shared.report(text)
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
