import SashaSDK
import Yams

/// A plugin's options subtree (`dispatch.strategy_options`, `dispatch.policy_options`) turned
/// into the JSON the plugin receives. Scalars follow the YAML types Yams resolved: int and float
/// are numbers, bool is a bool, null is null, everything else (text, timestamps) is a string.
extension ConfigReader {
    /// The options under a key: an object, empty when the key is absent or empty.
    func options(_ node: Node?, _ name: String, key: String) -> JSONValue {
        guard let node, !node.isNull else { return .object([:]) }
        guard case .mapping = node else {
            report("\(name) must be a mapping of option names to values, got \(describe(node)); "
                   + "write \(key): {} for no options", at: node)
            return .object([:])
        }
        return json(node, name)
    }

    /// Any node as JSON; `name` is its dotted path for messages ("dispatch.policy_options.rules[0]").
    func json(_ node: Node, _ name: String) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch node.tagName {
            case .null:
                return .null
            case .bool:
                return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int, .float:
                if let int = node.int { return .number(Double(int)) }
                if let double = node.float, double.isFinite { return .number(double) }
                report("\(name): \(scalar.string) is not a number JSON can carry; quote it to pass it as text", at: node)
                return .null
            default:
                return .string(scalar.string)
            }
        case .sequence(let sequence):
            return .array(sequence.enumerated().map { json($1, "\(name)[\($0)]") })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            var firstKeys: [String: Node] = [:]
            for (keyNode, value, merged) in entries(of: mapping) {
                guard let key = keyName(keyNode) else {
                    report("keys in \(name) must be names, got \(describe(keyNode))", at: keyNode)
                    continue
                }
                if let first = firstKeys[key] {
                    if merged { continue }
                    let earlier = location(of: first)
                    report("duplicate key '\(key)' in \(name) (first at line \(earlier.line), column \(earlier.column)); "
                           + "keep only one of them", at: keyNode)
                    continue
                }
                firstKeys[key] = keyNode
                object[key] = json(value, "\(name).\(key)")
            }
            return .object(object)
        case .alias:
            return .null
        }
    }
}
