import SashaABI

/// Compares a plugin's ABI stamp (a plain data symbol) with the host's own, before any of the
/// plugin's code runs: code built for another Swift runtime may crash the host as soon as it runs,
/// so the descriptor check, which needs the plugin's entry to run, comes too late for that.
enum StampCheck {
    static func refusal(for stamp: UnsafePointer<sasha_plugin_stamp>, path: String) -> PluginRefusal? {
        // Read the two leading words alone until the size says the rest is there.
        let raw = UnsafeRawPointer(stamp)
        let size = raw.load(as: UInt32.self)
        let abi = raw.load(fromByteOffset: 4, as: UInt32.self)
        guard abi == SASHA_ABI_VERSION else {
            return PluginRefusal(
                path: path, reason: "built for plugin ABI version \(abi), this host speaks version \(SASHA_ABI_VERSION)",
                fix: "rebuild the plugin against this Sasha's SashaSDK")
        }
        guard size >= UInt32(MemoryLayout<sasha_plugin_stamp>.size) else {
            return PluginRefusal(path: path, reason: "its ABI stamp is \(size) bytes, version \(abi) needs \(MemoryLayout<sasha_plugin_stamp>.size)",
                                 fix: "rebuild the plugin against this Sasha's SashaSDK")
        }
        let theirs = toolchain(of: stamp.pointee)
        let ours = hostToolchain
        guard theirs == ours else {
            return PluginRefusal(
                path: path, reason: "built by another toolchain (\(theirs)), this host by \(ours); Linux has no stable Swift ABI",
                fix: "rebuild the plugin with the same Swift toolchain as sasha")
        }
        return nil
    }

    /// The toolchain that built this host, from its own copy of the stamp.
    static var hostToolchain: String { toolchain(of: sasha_plugin_abi_stamp) }

    private static func toolchain(of stamp: sasha_plugin_stamp) -> String {
        var stamp = stamp
        return withUnsafeBytes(of: &stamp.toolchain) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
