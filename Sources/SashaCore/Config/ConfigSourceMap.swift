/// Where every key of a configuration file was, so a problem found after loading (a plugin
/// rejecting one of its options) is reported at its line and column.
///
/// A path names a key from the top: `["dispatch", "policy_options", "rules", "0", "host"]`; list
/// items are named by their index, from 0. Keys are recorded as written, whether or not the
/// checker knows them.
public struct ConfigSourceMap: Sendable, Hashable {
    /// The file the locations are in.
    public let file: String
    private var keys: [[String]: SourceLocation] = [:]
    private var values: [[String]: SourceLocation] = [:]

    public init(file: String) { self.file = file }

    /// Where the key (or list item) at `path` is; for a path not in the file, where its nearest
    /// ancestor that is. Nil only when not even the top of the document was recorded.
    public func location(of path: [String]) -> SourceLocation? {
        lookUp(path, in: keys)
    }

    /// Where the value at `path` starts (for a list item, the same as `location(of:)`); falls back
    /// like `location(of:)`.
    public func valueLocation(of path: [String]) -> SourceLocation? {
        lookUp(path, in: values)
    }

    /// Whether `path` itself is in the file (no fallback).
    public func contains(_ path: [String]) -> Bool { keys[path] != nil }

    /// Records a key's and its value's place; the first record of a path wins, as the first of
    /// duplicated keys is the one reported as "first".
    mutating func record(_ path: [String], key: SourceLocation, value: SourceLocation) {
        if keys[path] == nil { keys[path] = key }
        if values[path] == nil { values[path] = value }
    }

    private func lookUp(_ path: [String], in table: [[String]: SourceLocation]) -> SourceLocation? {
        var path = path
        while true {
            if let found = table[path] { return found }
            if path.isEmpty { return nil }
            path.removeLast()
        }
    }
}
