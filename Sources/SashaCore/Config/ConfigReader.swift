import Yams

/// Walks the composed YAML of one file and collects every problem found, each at its line and
/// column. Used by one load, on one thread.
final class ConfigReader {
    let file: String
    private let renamedKeys: [TextPosition: String]
    private var found: [Diagnostic] = []

    init(file: String, renamedKeys: [TextPosition: String] = [:]) {
        self.file = file
        self.renamedKeys = renamedKeys
    }

    /// The problems in the order of the file (then in the order they were found).
    var diagnostics: [Diagnostic] {
        var seen = Set<Diagnostic>()
        return found.enumerated()
            .sorted { ($0.element.location, $0.offset) < ($1.element.location, $1.offset) }
            .map(\.element)
            .filter { seen.insert($0).inserted }
    }

    var hasProblems: Bool { !found.isEmpty }

    func location(of node: Node) -> SourceLocation {
        guard let mark = node.mark else { return .start(of: file) }
        return SourceLocation(file: file, line: max(1, mark.line), column: max(1, mark.column))
    }

    func report(_ message: String, at location: SourceLocation) {
        found.append(Diagnostic(location: location, message: message))
    }

    func report(_ message: String, at node: Node) {
        report(message, at: location(of: node))
    }

    /// A key as written (undoing the renaming done to recover from duplicated keys); nil for a
    /// key that is a list or a mapping.
    func keyName(_ key: Node) -> String? {
        guard case .scalar(let scalar) = key else { return nil }
        if let mark = scalar.mark, let original = renamedKeys[TextPosition(mark)] { return original }
        return scalar.string
    }

    /// A mapping's entries with YAML merge keys expanded (`<<: *defaults`, `<<: [*a, *b]`): the
    /// entries written in the mapping come first, then the merged ones, marked, which a key
    /// written in the mapping (or merged earlier) overrides.
    func entries(of mapping: Node.Mapping) -> [(key: Node, value: Node, merged: Bool)] {
        var written: [(key: Node, value: Node, merged: Bool)] = []
        var merged: [(key: Node, value: Node, merged: Bool)] = []
        for (key, value) in mapping {
            guard case .scalar = key, key.tagName == .merge else {
                written.append((key, value, false))
                continue
            }
            let sources: [Node]
            if case .sequence(let sequence) = value { sources = Array(sequence) } else { sources = [value] }
            for source in sources {
                guard case .mapping(let inner) = source else {
                    report("'<<' merges a mapping (<<: *name) or a list of them, got \(describe(source))", at: source)
                    continue
                }
                merged += entries(of: inner).map { ($0.key, $0.value, true) }
            }
        }
        return written + merged
    }

    /// How a message names what was found instead ("text 'abc'", "the number 5", "a list").
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            switch node.tagName {
            case .null: "nothing"
            case .bool: "the value \(scalar.string)"
            case .int, .float: "the number \(scalar.string)"
            default: "text '\(scalar.string)'"
            }
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// Every key and list item of the document, by path, for `ConfigSourceMap`.
    func sourceMap(of root: Node) -> ConfigSourceMap {
        var map = ConfigSourceMap(file: file)
        map.record([], key: location(of: root), value: location(of: root))
        record(root, at: [], into: &map)
        return map
    }

    private func record(_ node: Node, at path: [String], into map: inout ConfigSourceMap) {
        switch node {
        case .mapping(let mapping):
            for (key, value, _) in entries(of: mapping) {
                guard let name = keyName(key) else { continue }
                map.record(path + [name], key: location(of: key), value: location(of: value))
                record(value, at: path + [name], into: &map)
            }
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() {
                map.record(path + [String(index)], key: location(of: item), value: location(of: item))
                record(item, at: path + [String(index)], into: &map)
            }
        case .scalar, .alias:
            break
        }
    }
}

extension Node {
    /// The resolved YAML type (`tag:yaml.org,2002:int`, ...), compared with `Tag.Name.int` etc.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }

    /// A null scalar: `~`, `null`, or nothing at all after the colon.
    var isNull: Bool {
        if case .scalar = self { return tagName == .null }
        return false
    }
}
