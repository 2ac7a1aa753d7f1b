#if canImport(Glibc)
import Glibc
#endif

import SashaABI
import SashaSDK

/// One live instance of a policy plugin, driven through its C function table.
/// Destroyed (through the plugin's `destroy`) when the last reference goes; the library stays.
public final class PolicyInstance: @unchecked Sendable {
    public let plugin: LoadedPlugin
    @usableFromInline let instance: UnsafeMutableRawPointer
    @usableFromInline let vtable: UnsafePointer<sasha_policy_vtable>
    /// The descriptor says SASHA_PLUGIN_CONSISTENT: it may be asked about mid-stream flows.
    @usableFromInline let isConsistent: Bool

    init(plugin: LoadedPlugin, instance: UnsafeMutableRawPointer, vtable: UnsafePointer<sasha_policy_vtable>) {
        self.plugin = plugin
        self.instance = instance
        self.vtable = vtable
        isConsistent = plugin.isConsistent
    }

    deinit { vtable.pointee.destroy?(instance) }

    /// Replaces the policy's view of the servers. One caller at a time.
    public func serversChanged(_ list: ServerList) {
        let raw = list.servers.map(\.raw)
        withCStrings(list.tagNames) { names in
            raw.withUnsafeBufferPointer { servers in
                vtable.pointee.servers_changed?(instance, servers.baseAddress, servers.count, names.baseAddress, names.count)
            }
        }
    }

    /// Picks a server for a flow: its address, or 0 when none can take it. A flow the
    /// dispatcher lost mid-stream is put only to a consistent policy: any other would send it
    /// somewhere new, where the server resets it. Thread-safe.
    @inlinable
    public func pick(_ flow: UnsafePointer<sasha_flow>) -> UInt32 {
        if !isConsistent, flow.pointee.flags & SASHA_FLOW_MID_STREAM != 0 { return 0 }
        return vtable.pointee.pick?(instance, flow) ?? 0
    }

    public func pick(_ flow: Flow) -> IPv4Address? {
        var raw = flow.raw
        let address = pick(&raw)
        return address == 0 ? nil : IPv4Address(address)
    }

    @inlinable public func connectionOpened(on server: UInt32) { vtable.pointee.connection_opened?(instance, server) }
    @inlinable public func connectionClosed(on server: UInt32) { vtable.pointee.connection_closed?(instance, server) }
}

/// Calls `body` with a C array of C strings that live for the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { UnsafePointer(strdup($0)) }
    defer { copies.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
    return copies.withUnsafeBufferPointer(body)
}
