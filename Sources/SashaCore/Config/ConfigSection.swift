import Yams

/// One mapping of the file (a section such as `ring`, or a member under `nodes`) with its keys
/// checked: unknown keys (with the nearest valid key), duplicated keys and keys that are not
/// names are reported as the section is read.
struct ConfigSection {
    let reader: ConfigReader
    /// The dotted name used in messages ("ring", "nodes.127.0.0.1"); empty for the top level.
    let name: String
    /// Where a missing key is reported: the key that names this mapping (1:1 for the top level).
    let anchor: SourceLocation
    /// False when the section is absent or is not a mapping; missing keys are then not reported
    /// one by one (the section's own problem says it all).
    let isUsable: Bool
    /// The entries in file order, each key once (the first of duplicates).
    private(set) var entries: [(key: String, keyNode: Node, value: Node)] = []
    private var positions: [String: Int] = [:]

    /// - Parameters:
    ///   - known: the valid keys, or nil when any key is allowed (the caller checks them).
    ///   - contents: what the mapping holds, for the message when it is something else.
    init(reader: ConfigReader, name: String, node: Node?, anchor: SourceLocation, known: [String]?, contents: String) {
        self.reader = reader
        self.name = name
        self.anchor = anchor
        guard let node else {
            isUsable = false
            return
        }
        if node.isNull {
            isUsable = true
            return
        }
        guard case .mapping(let mapping) = node else {
            let shown = name.isEmpty ? "the top level" : name
            reader.report("\(shown) must be a mapping of \(contents), got \(reader.describe(node))", at: node)
            isUsable = false
            return
        }
        isUsable = true
        let place = name.isEmpty ? "at the top level" : "in \(name)"
        for (keyNode, value, merged) in reader.entries(of: mapping) {
            guard let key = reader.keyName(keyNode) else {
                reader.report("keys \(place) must be names, got \(reader.describe(keyNode))", at: keyNode)
                continue
            }
            if let first = positions[key] {
                if merged { continue }
                let earlier = reader.location(of: entries[first].keyNode)
                reader.report("duplicate key '\(key)' \(place) (first at line \(earlier.line), column \(earlier.column)); "
                              + "keep only one of them", at: keyNode)
                continue
            }
            if let known, !known.contains(key) {
                reader.report("unknown key '\(key)' \(place); \(KeySuggestion.hint(for: key, in: known))", at: keyNode)
                continue
            }
            positions[key] = entries.count
            entries.append((key, keyNode, value))
        }
    }

    /// The sub-mapping under `key`, checked against its own valid keys.
    func section(_ key: String, known: [String]?, contents: String) -> ConfigSection {
        ConfigSection(reader: reader, name: path(key), node: entry(key)?.value,
                      anchor: entry(key).map { reader.location(of: $0.keyNode) } ?? anchor,
                      known: known, contents: contents)
    }

    /// The dotted name of a key of this section.
    func path(_ key: String) -> String { name.isEmpty ? key : "\(name).\(key)" }

    /// The value of `key`; nil when it is absent or null (`key:` with nothing after it), which
    /// means "use the default".
    func value(_ key: String) -> Node? {
        guard let value = entry(key)?.value, !value.isNull else { return nil }
        return value
    }

    func keyNode(_ key: String) -> Node? { entry(key)?.keyNode }

    /// Where `key` is written, or where it should be when it is absent.
    func location(of key: String) -> SourceLocation {
        keyNode(key).map(reader.location(of:)) ?? anchor
    }

    /// The value of a key that must be given; reports it when absent or empty.
    /// `example` is how the key could be written ("vip: 10.0.0.100").
    func required(_ key: String, example: String) -> Node? {
        if let value = value(key) { return value }
        guard isUsable else { return nil }
        if let keyNode = keyNode(key) {
            reader.report("\(path(key)) has no value; it is required, e.g. \(example)", at: keyNode)
        } else {
            let place = name.isEmpty ? "" : " in \(name)"
            reader.report("missing required key '\(key)'\(place); add e.g. \(example)", at: anchor)
        }
        return nil
    }

    private func entry(_ key: String) -> (key: String, keyNode: Node, value: Node)? {
        positions[key].map { entries[$0] }
    }
}
