import SashaSDK
import Yams

/// `--option KEY=VALUE` arguments of `sasha policy set` turned into the options object a plugin
/// receives, with the same types as `dispatch.policy_options` in YAML: the value is read as YAML
/// (7 is a number, true a boolean, [a, b] a list), and a dotted key (`a.b=1`) nests.
public enum PolicyOptionArguments {
    public struct Problems: Error, Sendable {
        public var lines: [String]
    }

    public static func parse(_ arguments: [String]) -> Result<JSONValue, Problems> {
        var object: [String: JSONValue] = [:]
        var problems: [String] = []
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                problems.append("--option \(argument): write KEY=VALUE, such as --option table_size=65537")
                continue
            }
            let key = String(argument[..<equals])
            let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard path.allSatisfy({ !$0.isEmpty }) else {
                problems.append("--option \(argument): '\(key)' has an empty part; write names joined by single dots")
                continue
            }
            let text = String(argument[argument.index(after: equals)...])
            let reader = ConfigReader(file: "--option \(key)")
            let node: Node
            do {
                node = try Yams.compose(yaml: text) ?? Node("", Tag(.null))
            } catch {
                problems.append("--option \(argument): the value is not YAML (\(error)); quote it to pass text")
                continue
            }
            let value = reader.json(node, key)
            if reader.hasProblems {
                problems += reader.diagnostics.map { "--option \(argument): \($0.message)" }
                continue
            }
            if !insert(value, at: path, into: &object) {
                problems.append("--option \(argument): '\(key)' is given twice, or also as a group of options; give it once")
            }
        }
        return problems.isEmpty ? .success(.object(object)) : .failure(Problems(lines: problems))
    }

    /// Puts `value` at `path`, making objects on the way; false if something is already there.
    private static func insert(_ value: JSONValue, at path: [String], into object: inout [String: JSONValue]) -> Bool {
        let key = path[0]
        if path.count == 1 {
            guard object[key] == nil else { return false }
            object[key] = value
            return true
        }
        var inner: [String: JSONValue]
        switch object[key] {
        case nil: inner = [:]
        case .object(let existing): inner = existing
        default: return false
        }
        guard insert(value, at: Array(path.dropFirst()), into: &inner) else { return false }
        object[key] = .object(inner)
        return true
    }
}
