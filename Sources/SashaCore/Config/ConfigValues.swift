import SashaSDK
import Yams

/// Typed readers for single values. Each takes the node and the name used in messages
/// ("ring.port", "cluster.ports[0]"), reports a problem at the node and returns nil when the
/// value is not what the key needs.
extension ConfigReader {
    /// Any scalar, as written (`name: 2024` is the text "2024").
    func text(_ node: Node, _ name: String, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            report("\(name) must be text, got \(describe(node))", at: node)
            return nil
        }
        guard allowEmpty || !scalar.string.isEmpty else {
            report("\(name) must not be empty", at: node)
            return nil
        }
        return scalar.string
    }

    func bool(_ node: Node, _ name: String) -> Bool? {
        guard case .scalar = node, node.tagName == .bool, let value = node.bool else {
            report("\(name) must be true or false, got \(describe(node))", at: node)
            return nil
        }
        return value
    }

    /// A whole number in `range`; `noun` and `unit` word the range message
    /// ("must be a port number from 1 to 65535", "must be from 1 to 3600000 milliseconds").
    func integer(_ node: Node, _ name: String, in range: ClosedRange<Int>, noun: String? = nil, unit: String? = nil) -> Int? {
        let wanted = [noun, rangeText(range, unit: unit)].compactMap { $0 }.joined(separator: " ")
        guard case .scalar(let scalar) = node else {
            report("\(name) must be a number, got \(describe(node))", at: node)
            return nil
        }
        let value: Int?
        switch node.tagName {
        case .int:
            guard let int = node.int else {
                report("\(name) must be \(wanted), got \(scalar.string)", at: node)
                return nil
            }
            value = int
        case .float:
            value = node.float.flatMap { $0.isFinite ? Int(exactly: $0) : nil }
            if value == nil {
                report("\(name) must be a whole number \(rangeText(range, unit: unit)), got \(scalar.string)", at: node)
                return nil
            }
        default:
            var message = "\(name) must be a number, got \(describe(node))"
            if let unit, scalar.string.first?.isNumber == true {
                message += "; write the number of \(unit) alone, without a unit"
            }
            report(message, at: node)
            return nil
        }
        guard let value, range.contains(value) else {
            report("\(name) must be \(wanted), got \(scalar.string)", at: node)
            return nil
        }
        return value
    }

    func port(_ node: Node, _ name: String) -> UInt16? {
        integer(node, name, in: 1...65535, noun: "a port number").map { UInt16($0) }
    }

    func address(_ node: Node, _ name: String) -> IPv4Address? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            report("\(name) must be an IPv4 address, got \(describe(node))", at: node)
            return nil
        }
        guard let address = IPv4Address(scalar.string) else {
            report("\(name): '\(scalar.string)' is not an IPv4 address; write four numbers from 0 to 255 "
                   + "joined by dots, without leading zeros, such as 10.0.0.1", at: node)
            return nil
        }
        return address
    }

    /// The items of a list; `example` shows the right form ("ports: [80, 443]").
    func list(_ node: Node, _ name: String, of items: String, example: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report("\(name) must be a list of \(items), got \(describe(node)); write \(example)", at: node)
            return nil
        }
        return Array(sequence)
    }

    /// A plugin name as the loader looks it up (`lib<name>.so`).
    func pluginName(_ node: Node, _ name: String) -> String? {
        guard let text = text(node, name) else { return nil }
        guard PluginName.isValid(text) else {
            report("\(name): '\(text)' is not a plugin name; a name is lower-case letters, digits, '-', '_' "
                   + "and '.', starting with a letter or digit, such as round-robin", at: node)
            return nil
        }
        return text
    }

    private func rangeText(_ range: ClosedRange<Int>, unit: String?) -> String {
        let unit = unit.map { " \($0)" } ?? ""
        return range.upperBound == Int.max
            ? "at least \(range.lowerBound)\(unit)"
            : "from \(range.lowerBound) to \(range.upperBound)\(unit)"
    }
}
