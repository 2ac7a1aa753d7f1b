import SashaABI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Allocates the descriptor a plugin's entry returns. It and its strings live for the process:
/// the host keeps pointers to them and a plugin is never unloaded.
enum DescriptorStorage {
    nonisolated(unsafe) private static var descriptor: UnsafeMutablePointer<sasha_plugin_descriptor>?

    static func make(
        kind: sasha_plugin_kind, flags: UInt32 = 0, name: String, summary: String,
        policy: UnsafePointer<sasha_policy_vtable>?, strategy: UnsafePointer<sasha_strategy_vtable>?
    ) -> UnsafePointer<sasha_plugin_descriptor> {
        if let descriptor { return UnsafePointer(descriptor) }
        let made = UnsafeMutablePointer<sasha_plugin_descriptor>.allocate(capacity: 1)
        made.initialize(to: sasha_plugin_descriptor(
            struct_size: UInt32(MemoryLayout<sasha_plugin_descriptor>.size),
            abi_version: SASHA_ABI_VERSION,
            toolchain: UnsafePointer(strdup(swiftToolchain)),
            kind: kind,
            flags: flags,
            name: UnsafePointer(strdup(name)),
            description: UnsafePointer(strdup(summary)),
            policy: policy,
            strategy: strategy))
        descriptor = made
        return UnsafePointer(made)
    }
}

/// Copies a value to the heap for the life of the process (vtables the host keeps pointers to).
func permanent<T>(_ value: T) -> UnsafePointer<T> {
    let pointer = UnsafeMutablePointer<T>.allocate(capacity: 1)
    pointer.initialize(to: value)
    return UnsafePointer(pointer)
}
