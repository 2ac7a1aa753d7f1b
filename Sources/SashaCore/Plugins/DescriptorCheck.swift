import SashaABI
import SashaSDK

/// Checks what a plugin's entry returned before the host trusts any field beyond the first two.
enum DescriptorCheck {
    /// The smallest descriptor this host can read: every field of ABI version 1.
    static let minimumSize = UInt32(MemoryLayout<sasha_plugin_descriptor>.size)

    static func verify(_ descriptor: UnsafePointer<sasha_plugin_descriptor>, path: String) -> Result<PluginKind, PluginRefusal> {
        // Read the two leading words alone: the rest may not exist if the plugin is older.
        let size = UnsafeRawPointer(descriptor).load(as: UInt32.self)
        let abi = UnsafeRawPointer(descriptor).load(fromByteOffset: 4, as: UInt32.self)
        guard abi == SASHA_ABI_VERSION else {
            return .failure(PluginRefusal(
                path: path, reason: "built for plugin ABI version \(abi), this host speaks version \(SASHA_ABI_VERSION)",
                fix: "rebuild the plugin against this Sasha's SashaSDK"))
        }
        guard size >= minimumSize else {
            return .failure(PluginRefusal(
                path: path, reason: "its descriptor is \(size) bytes, ABI version \(SASHA_ABI_VERSION) needs \(minimumSize)",
                fix: "rebuild the plugin against this Sasha's SashaSDK"))
        }
        let d = descriptor.pointee
        let toolchain = d.toolchain.map { String(cString: $0) } ?? "(none)"
        guard toolchain == swiftToolchain || toolchain == "c" else {
            return .failure(PluginRefusal(
                path: path, reason: "built with \(toolchain), this host with \(swiftToolchain) (Linux has no stable Swift ABI)",
                fix: "rebuild the plugin with the same Swift toolchain as sasha"))
        }
        guard let name = d.name.map({ String(cString: $0) }), PluginName.isValid(name) else {
            return .failure(PluginRefusal(
                path: path, reason: "its name is missing or not of the form [a-z0-9][a-z0-9._-]*",
                fix: "give the plugin a lower-case name such as 'my-policy'"))
        }
        switch PluginKind(d.kind) {
        case .policy:
            guard let table = d.policy, UnsafeRawPointer(table).load(as: UInt32.self) >= UInt32(MemoryLayout<sasha_policy_vtable>.size),
                  table.pointee.create != nil, table.pointee.destroy != nil, table.pointee.pick != nil,
                  table.pointee.servers_changed != nil
            else { return .failure(incomplete(path, "policy")) }
            return .success(.policy)
        case .strategy:
            guard let table = d.strategy, UnsafeRawPointer(table).load(as: UInt32.self) >= UInt32(MemoryLayout<sasha_strategy_vtable>.size),
                  table.pointee.create != nil, table.pointee.destroy != nil, table.pointee.start != nil,
                  table.pointee.stop != nil
            else { return .failure(incomplete(path, "strategy")) }
            return .success(.strategy)
        case nil:
            return .failure(PluginRefusal(path: path, reason: "unknown plugin kind \(d.kind.rawValue)",
                                          fix: "rebuild the plugin against this Sasha's SashaSDK"))
        }
    }

    private static func incomplete(_ path: String, _ kind: String) -> PluginRefusal {
        PluginRefusal(path: path, reason: "its \(kind) function table is missing or incomplete",
                      fix: "rebuild the plugin against this Sasha's SashaSDK")
    }
}
