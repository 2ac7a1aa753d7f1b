import Foundation
import SashaABI
import SashaBase

/// What the C thunks need to know about the exported strategy type (see `PolicyFactory`).
struct StrategyFactory: Sendable {
    let make: @Sendable (PluginOptions, StrategyContext, PluginHost?) throws(OptionError) -> any Strategy
}

final class StrategyBox {
    let strategy: any Strategy
    init(_ strategy: any Strategy) { self.strategy = strategy }
}

nonisolated(unsafe) var exportedStrategy: StrategyFactory?

/// Builds the C descriptor for a `Strategy` type; call it from your plugin's one exported function
/// exactly as `exportPolicy` is called.
public func exportStrategy<S: Strategy>(_ type: S.Type, host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    // The host calls the entry once per process; a second call keeps what the first set up.
    if exportedStrategy == nil {
        exportedHost = host.map(PluginHost.init)
        exportedStrategy = StrategyFactory { options, context, host throws(OptionError) in
            try S(options: options, context: context, host: host)
        }
    }
    return DescriptorStorage.make(kind: SASHA_PLUGIN_STRATEGY, name: S.name, summary: S.summary, policy: nil, strategy: strategyVTable)
}

extension StrategyContext {
    /// Reads the context JSON the host passes to `create`.
    init(json: String) throws(OptionError) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
              let node = (object["node"] as? String).flatMap(IPv4Address.init),
              let vip = (object["vip"] as? String).flatMap(IPv4Address.init)
        else { throw OptionError("the host passed a malformed strategy context: \(json)") }
        let ports = (object["ports"] as? [Any] ?? []).compactMap { ($0 as? NSNumber).map { UInt16(truncating: $0) } }
        self.init(node: node, vip: vip, ports: ports, interface: object["interface"] as? String)
    }

    /// The JSON the host passes to `create`.
    public var json: String {
        var object: [String: Any] = ["node": node.description, "vip": vip.description, "ports": ports.map(Int.init)]
        if let interface { object["interface"] = interface }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Placeholder context for validating options without a cluster (`sasha check` of options).
    static let validation = StrategyContext(node: IPv4Address(0x7F00_0001), vip: IPv4Address(0x7F00_0001), ports: [])
}

private func makeStrategy(
    json: UnsafePointer<CChar>?, context: StrategyContext, host: PluginHost?, error out: UnsafeMutablePointer<sasha_error>?
) -> (any Strategy)? {
    guard let factory = exportedStrategy else {
        OptionError("plugin entry was not called before create").write(to: out)
        return nil
    }
    return build(fromJSON: json, error: out) { options throws(OptionError) in try factory.make(options, context, host) }
}

@inline(__always)
private func withStrategy<R>(_ instance: UnsafeMutableRawPointer?, _ body: (any Strategy) -> R) -> R {
    Unmanaged<StrategyBox>.fromOpaque(instance!)._withUnsafeGuaranteedRef { body($0.strategy) }
}

private func status(_ body: () throws(OptionError) -> Void, _ out: UnsafeMutablePointer<sasha_error>?) -> sasha_status {
    do throws(OptionError) {
        try body()
        return SASHA_OK
    } catch {
        error.write(to: out)
        return SASHA_ERR
    }
}

nonisolated(unsafe) private let strategyVTable: UnsafePointer<sasha_strategy_vtable> = permanent(sasha_strategy_vtable(
    struct_size: UInt32(MemoryLayout<sasha_strategy_vtable>.size),
    reserved: 0,
    validate: { json, error in
        makeStrategy(json: json, context: .validation, host: nil, error: error) == nil ? SASHA_ERR : SASHA_OK
    },
    create: { json, contextJSON, host, out in
        let context: StrategyContext
        do throws(OptionError) {
            context = try StrategyContext(json: contextJSON.map { String(cString: $0) } ?? "")
        } catch {
            error.write(to: out)
            return nil
        }
        guard let strategy = makeStrategy(json: json, context: context, host: host.map(PluginHost.init), error: out) else { return nil }
        return Unmanaged.passRetained(StrategyBox(strategy)).toOpaque()
    },
    destroy: { instance in
        guard let instance else { return }
        Unmanaged<StrategyBox>.fromOpaque(instance).release()
    },
    start: { instance, error in
        withStrategy(instance) { strategy in status({ () throws(OptionError) in try strategy.start() }, error) }
    },
    stop: { instance in withStrategy(instance) { $0.stop() } },
    prepare_server: { instance, error in
        withStrategy(instance) { strategy in status({ () throws(OptionError) in try strategy.prepareServer() }, error) }
    },
    unprepare_server: { instance in withStrategy(instance) { $0.unprepareServer() } },
    servers_changed: { instance, servers, count, tagNames, tagCount in
        withStrategy(instance) { $0.serversChanged(ServerList(servers, count: count, tagNames: tagNames, tagCount: tagCount)) }
    },
    list_connections: { instance, sink, sinkContext in
        let list = withStrategy(instance) { $0.connections() }.map(\.raw)
        list.withUnsafeBufferPointer { sink?(sinkContext, $0.baseAddress, $0.count) }
    },
    import_connections: { instance, list, count in
        let buffer = UnsafeBufferPointer(start: list, count: list == nil ? 0 : count)
        withStrategy(instance) { $0.importConnections(buffer.map(Connection.init)) }
    },
    stats: { instance, emit, emitContext in
        var json = withStrategy(instance) { $0.stats() }
        json.withUTF8 { emit?(emitContext, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count) }
    }
))

extension Connection {
    public init(_ raw: sasha_connection) {
        self.init(
            client: IPv4Address(raw.client_address), clientPort: raw.client_port, clusterPort: raw.cluster_port,
            server: IPv4Address(raw.server), startedNanoseconds: raw.started_ns)
    }

    public var raw: sasha_connection {
        sasha_connection(
            client_address: client.value, client_port: clientPort, cluster_port: clusterPort,
            server: server.value, reserved: 0, started_ns: startedNanoseconds)
    }
}
