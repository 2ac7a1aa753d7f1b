/// The one rule for plugin names, shared by the configuration check, the control socket, the
/// descriptor check and the loader: lower-case letters, digits, '-', '_' and '.', starting with a
/// letter or digit. Names become file names (`lib<name>.so`), so nothing that could form a path
/// is allowed.
///
/// Names also arrive from other members (a policy swap's `propose`, `commit` and `state`), so the
/// loader applies the rule itself before it touches the file system (`PluginLoader.load(name:kind:)`):
/// no caller, present or future, can hand it a name that climbs out of a plugin folder.
enum PluginName {
    static func isValid(_ text: String) -> Bool {
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): !first
            default: false
            }
        }
        let bytes = Array(text.utf8)
        return !bytes.isEmpty && bytes.count <= maximumLength && bytes.enumerated().allSatisfy { allowed($1, first: $0 == 0) }
    }

    /// Longer names are noise: a file name has room for 255 bytes, less "lib" and ".so".
    static let maximumLength = 128

    /// The loader's answer to a name that breaks the rule. The name is quoted as Swift would
    /// write it, so that control characters from the network cannot forge log lines.
    static func refusal(for text: String, kind: PluginKind) -> PluginRefusal {
        let shown = text.utf8.count > maximumLength ? String(text.prefix(maximumLength)) + "…" : text
        return PluginRefusal(
            path: shown.debugDescription,
            reason: "not a valid \(kind) plugin name: lower-case letters, digits, '-', '_' and '.', starting with a letter or digit, at most \(maximumLength) bytes",
            fix: "name the plugin as 'sasha plugins' lists it (for example round-robin); nothing was loaded")
    }
}
