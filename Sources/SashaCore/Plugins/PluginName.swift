/// The one rule for plugin names, shared by the configuration check and the loader: lower-case
/// letters, digits, '-', '_' and '.', starting with a letter or digit. Names become file names
/// (`lib<name>.so`), so nothing that could form a path is allowed.
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
        return !bytes.isEmpty && bytes.enumerated().allSatisfy { allowed($1, first: $0 == 0) }
    }
}
