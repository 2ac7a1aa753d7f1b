import SashaABI
import SashaSDK

/// A plugin library the loader accepted: its descriptor, read once. Never unloaded.
public final class LoadedPlugin: @unchecked Sendable {
    public let path: String
    public let kind: PluginKind
    public let name: String
    public let summary: String
    public let abiVersion: UInt32
    public let toolchain: String
    /// A policy whose descriptor says SASHA_PLUGIN_CONSISTENT.
    public let isConsistent: Bool
    let descriptor: UnsafePointer<sasha_plugin_descriptor>
    /// The table the entry was given (no member's: see `PluginLoader.inspect`).
    let host: UnsafePointer<sasha_host>

    init(path: String, descriptor: UnsafePointer<sasha_plugin_descriptor>, kind: PluginKind, host: UnsafePointer<sasha_host>) {
        self.path = path
        self.descriptor = descriptor
        self.kind = kind
        self.host = host
        let d = descriptor.pointee
        name = String(cString: d.name)
        summary = d.description.map { String(cString: $0) } ?? ""
        abiVersion = d.abi_version
        toolchain = d.toolchain.map { String(cString: $0) } ?? ""
        isConsistent = kind == .policy && d.flags & SASHA_PLUGIN_CONSISTENT != 0
    }

    /// Asks the plugin whether it accepts these options (for `sasha check` and a swap's first round).
    public func validate(options: JSONValue) -> OptionError? {
        var error = sasha_error()
        let status = options.jsonText.withCString { json in
            switch kind {
            case .policy: descriptor.pointee.policy.pointee.validate?(json, &error) ?? SASHA_OK
            case .strategy: descriptor.pointee.strategy.pointee.validate?(json, &error) ?? SASHA_OK
            }
        }
        return status == SASHA_OK ? nil : OptionError(error)
    }

    /// Makes a policy instance from options; throws the plugin's own error when it refuses them.
    public func makePolicy(options: JSONValue) throws(OptionError) -> PolicyInstance {
        guard kind == .policy, let vtable = descriptor.pointee.policy else {
            throw OptionError("\(name) is a \(kind), not a policy")
        }
        var error = sasha_error()
        let instance = options.jsonText.withCString { vtable.pointee.create?($0, &error) }
        guard let instance else { throw OptionError(error) }
        return PolicyInstance(plugin: self, instance: instance, vtable: vtable)
    }
}
