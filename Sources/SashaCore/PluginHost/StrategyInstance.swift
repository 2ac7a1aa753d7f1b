import SashaABI
import SashaSDK

/// One live instance of a strategy plugin, driven through its C function table. Every call but
/// `stats` comes from one control thread at a time (the `StrategyRunner`'s queue), as the
/// contract says. Destroyed through the plugin's `destroy` when the last reference goes.
public final class StrategyInstance: @unchecked Sendable {
    public let plugin: LoadedPlugin
    private let instance: UnsafeMutableRawPointer
    private let vtable: UnsafePointer<sasha_strategy_vtable>

    init(plugin: LoadedPlugin, instance: UnsafeMutableRawPointer, vtable: UnsafePointer<sasha_strategy_vtable>) {
        self.plugin = plugin
        self.instance = instance
        self.vtable = vtable
    }

    deinit { vtable.pointee.destroy?(instance) }

    /// Becomes the dispatcher: takes the VIP and starts the data path.
    public func start() throws(OptionError) {
        try call(vtable.pointee.start)
    }

    /// Stops dispatching and gives the VIP back; returns once it is released.
    public func stop() { vtable.pointee.stop?(instance) }

    public func prepareServer() throws(OptionError) {
        try call(vtable.pointee.prepare_server)
    }

    public func unprepareServer() { vtable.pointee.unprepare_server?(instance) }

    public func serversChanged(_ list: ServerList) {
        let raw = list.servers.map(\.raw)
        withCStrings(list.tagNames) { names in
            raw.withUnsafeBufferPointer { servers in
                vtable.pointee.servers_changed?(instance, servers.baseAddress, servers.count, names.baseAddress, names.count)
            }
        }
    }

    /// As a server: the connections this member holds on the cluster ports.
    public func connections() -> [Connection] {
        guard let list = vtable.pointee.list_connections else { return [] }
        final class Collector { var connections: [Connection] = [] }
        let collector = Collector()
        list(instance, { context, list, count in
            guard let context, let list else { return }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            collector.connections += UnsafeBufferPointer(start: list, count: count).map(Connection.init)
        }, Unmanaged.passUnretained(collector).toOpaque())
        return collector.connections
    }

    /// As a dispatcher: adds connections another member holds to the map.
    public func importConnections(_ connections: [Connection]) {
        let raw = connections.map(\.raw)
        raw.withUnsafeBufferPointer { vtable.pointee.import_connections?(instance, $0.baseAddress, $0.count) }
    }

    /// The strategy's counters and state: a JSON object (`{}` when it has none).
    public func stats() -> String {
        guard let stats = vtable.pointee.stats else { return "{}" }
        final class Collector { var bytes: [UInt8] = [] }
        let collector = Collector()
        stats(instance, { context, data, length in
            guard let context, let data else { return }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            collector.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
        }, Unmanaged.passUnretained(collector).toOpaque())
        return collector.bytes.isEmpty ? "{}" : String(decoding: collector.bytes, as: UTF8.self)
    }

    private typealias Fallible = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<sasha_error>?) -> sasha_status

    private func call(_ function: Fallible?) throws(OptionError) {
        guard let function else { return }
        var error = sasha_error()
        if function(instance, &error) != SASHA_OK { throw OptionError(error) }
    }
}

extension LoadedPlugin {
    /// Makes a strategy instance for the member whose `services` it is to reach through the host
    /// table (its policy, exclusions and service); throws the plugin's own error when it refuses
    /// the options.
    public func makeStrategy(options: JSONValue, context: StrategyContext, services: HostServices) throws(OptionError) -> StrategyInstance {
        guard kind == .strategy, let vtable = descriptor.pointee.strategy else {
            throw OptionError("\(name) is a \(kind), not a strategy")
        }
        var error = sasha_error()
        let host = services.table(for: name)
        let instance = options.jsonText.withCString { json in
            context.json.withCString { contextJSON in vtable.pointee.create?(json, contextJSON, host, &error) }
        }
        guard let instance else { throw OptionError(error) }
        return StrategyInstance(plugin: self, instance: instance, vtable: vtable)
    }
}
