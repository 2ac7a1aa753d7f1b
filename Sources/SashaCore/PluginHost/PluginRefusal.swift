/// Why the loader would not take a plugin file: one line that names the file, what is wrong and
/// what to do about it. A refusal never stops the daemon; it is reported and the file is skipped.
public struct PluginRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var fix: String

    public init(path: String, reason: String, fix: String) {
        self.path = path
        self.reason = reason
        self.fix = fix
    }

    public var description: String { "\(path): \(reason); \(fix)" }
}
