import SashaABI
import SashaBase

/// Everything the C thunks need to know about the exported policy type. C function pointers cannot
/// capture generic parameters, so `exportPolicy` stores this per image and the thunks read it.
struct PolicyFactory: Sendable {
    let name: String
    let summary: String
    let make: @Sendable (PluginOptions, PluginHost?) throws(OptionError) -> any Policy
}

/// Keeps a policy alive behind the opaque instance pointer handed to the host.
final class PolicyBox {
    let policy: any Policy
    init(_ policy: any Policy) { self.policy = policy }
}

/// The per-image export: set once by the entry function on the host's control thread, before the
/// host can call any thunk, and never changed afterwards.
nonisolated(unsafe) var exportedPolicy: PolicyFactory?
nonisolated(unsafe) var exportedHost: PluginHost?

/// Builds the C descriptor for a `Policy` type. Call it from your plugin's one exported function:
/// ```swift
/// @_cdecl("sasha_plugin_entry")
/// public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
///     exportPolicy(RoundRobin.self, host: host)
/// }
/// ```
public func exportPolicy<P: Policy>(_ type: P.Type, host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    // The host calls the entry once per process; a second call keeps what the first set up.
    if exportedPolicy == nil {
        exportedHost = host.map(PluginHost.init)
        exportedPolicy = PolicyFactory(name: P.name, summary: P.summary) { options, host throws(OptionError) in
            try P(options: options, host: host)
        }
    }
    return DescriptorStorage.make(kind: SASHA_PLUGIN_POLICY, flags: P.isConsistent ? SASHA_PLUGIN_CONSISTENT : 0, name: P.name,
                                  summary: P.summary, policy: policyVTable, strategy: nil)
}

/// Makes a policy from JSON options, as the thunks and in-process tests do.
func makePolicy(json: UnsafePointer<CChar>?, error out: UnsafeMutablePointer<sasha_error>?) -> (any Policy)? {
    guard let factory = exportedPolicy else {
        OptionError("plugin entry was not called before create").write(to: out)
        return nil
    }
    return build(fromJSON: json, error: out) { options throws(OptionError) in try factory.make(options, exportedHost) }
}

@inline(__always)
private func withPolicy<R>(_ instance: UnsafeMutableRawPointer?, _ body: (any Policy) -> R) -> R {
    Unmanaged<PolicyBox>.fromOpaque(instance!)._withUnsafeGuaranteedRef { body($0.policy) }
}

/// The thunks, at a stable heap address for the life of the process.
nonisolated(unsafe) private let policyVTable: UnsafePointer<sasha_policy_vtable> = permanent(sasha_policy_vtable(
    struct_size: UInt32(MemoryLayout<sasha_policy_vtable>.size),
    reserved: 0,
    validate: { json, error in
        makePolicy(json: json, error: error) == nil ? SASHA_ERR : SASHA_OK
    },
    create: { json, error in
        guard let policy = makePolicy(json: json, error: error) else { return nil }
        return Unmanaged.passRetained(PolicyBox(policy)).toOpaque()
    },
    destroy: { instance in
        guard let instance else { return }
        Unmanaged<PolicyBox>.fromOpaque(instance).release()
    },
    servers_changed: { instance, servers, count, tagNames, tagCount in
        withPolicy(instance) { $0.serversChanged(ServerList(servers, count: count, tagNames: tagNames, tagCount: tagCount)) }
    },
    pick: { instance, flow in
        // A lost flow mid-stream reaches only a consistent policy: the host checks the
        // descriptor's SASHA_PLUGIN_CONSISTENT (PolicyInstance), for C plugins as for these.
        withPolicy(instance) { $0.pick(Flow(flow!.pointee))?.value ?? 0 }
    },
    connection_opened: { instance, server in withPolicy(instance) { $0.connectionOpened(on: IPv4Address(server)) } },
    connection_closed: { instance, server in withPolicy(instance) { $0.connectionClosed(on: IPv4Address(server)) } }
))
