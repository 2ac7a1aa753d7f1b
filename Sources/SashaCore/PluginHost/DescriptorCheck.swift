import SashaABI
import SashaSDK

/// Checks what a plugin's entry returned before the host trusts any field beyond the first two.
enum DescriptorCheck {
    /// The smallest descriptor this host can read: every field of ABI version 1.
    static let minimumSize = UInt32(MemoryLayout<sasha_plugin_descriptor>.size)

    /// `stamped`: the library carries an ABI stamp, which `StampCheck` has found to be this
    /// host's toolchain: the one toolchain check. The descriptor's `toolchain` is then only shown
    /// (`sasha plugins`); without a stamp it must say "c", a plugin in plain C.
    static func verify(_ descriptor: UnsafePointer<sasha_plugin_descriptor>, path: String, stamped: Bool) -> Result<PluginKind, PluginRefusal> {
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
        guard stamped || toolchain == "c" else {
            return .failure(PluginRefusal(
                path: path, reason: "it says it was built with \(toolchain) but carries no ABI stamp (\(SASHA_PLUGIN_STAMP_SYMBOL)), which every plugin built with SashaSDK has",
                fix: "build the plugin with SashaSDK, or, for a plugin in plain C, set its descriptor's toolchain to \"c\""))
        }
        guard let name = d.name.map({ String(cString: $0) }), PluginName.isValid(name) else {
            return .failure(PluginRefusal(
                path: path, reason: "its name is missing or not of the form [a-z0-9][a-z0-9._-]*",
                fix: "give the plugin a lower-case name such as 'my-policy'"))
        }
        let known = PluginKind(d.kind) == .policy ? SASHA_PLUGIN_CONSISTENT : 0
        guard d.flags & ~known == 0 else {
            return .failure(PluginRefusal(
                path: path, reason: "its descriptor has flags this host does not know (0x\(String(d.flags & ~known, radix: 16)))",
                fix: "rebuild the plugin against this Sasha's SashaSDK"))
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
