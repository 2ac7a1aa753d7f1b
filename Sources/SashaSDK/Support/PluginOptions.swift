/// An option a plugin rejects. `key` is the dotted path of the option inside the plugin's options
/// ("table_size", "rules.0.host"), or empty; the host turns it into FILE:LINE:COLUMN.
public struct OptionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var message: String

    public init(key: String = "", _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { key.isEmpty ? message : "\(key): \(message)" }
}

/// The plugin's options (its YAML subtree, which crossed the boundary as JSON), with typed readers
/// that name the key and say what was expected when a value is wrong.
///
/// Readers record the keys they were asked for; call `rejectUnknownKeys()` once at the end so a
/// misspelt option is an error rather than silently ignored.
public final class PluginOptions: @unchecked Sendable {
    public let values: [String: JSONValue]
    private let prefix: String
    private var asked: Set<String> = []

    public init(values: [String: JSONValue] = [:], prefix: String = "") {
        self.values = values
        self.prefix = prefix
    }

    /// Parses the JSON the host passes; an empty string or `null` means no options.
    public convenience init(json: String) throws(OptionError) {
        if json.allSatisfy(\.isWhitespace) {
            self.init()
            return
        }
        let parsed: JSONValue
        do {
            parsed = try JSONValue(json: json)
        } catch {
            throw OptionError("options are not valid JSON: \(json.prefix(80))")
        }
        switch parsed {
        case .null: self.init()
        case .object(let object): self.init(values: object)
        default: throw OptionError("options must be a mapping of option names to values, got \(parsed.kindDescription)")
        }
    }

    private func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    private func raw(_ key: String) -> JSONValue? {
        asked.insert(key)
        guard let value = values[key], value != .null else { return nil }
        return value
    }

    public func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>? = nil) throws(OptionError) -> Int {
        guard let value = raw(key) else { return fallback }
        guard case .number(let number) = value, let int = Int(exactly: number) else {
            throw OptionError(key: path(key), "expected a whole number, got \(value.kindDescription)")
        }
        if let range, !range.contains(int) {
            throw OptionError(key: path(key), "must be between \(range.lowerBound) and \(range.upperBound), got \(int)")
        }
        return int
    }

    public func double(_ key: String, default fallback: Double, in range: ClosedRange<Double>? = nil) throws(OptionError) -> Double {
        guard let value = raw(key) else { return fallback }
        guard case .number(let number) = value else {
            throw OptionError(key: path(key), "expected a number, got \(value.kindDescription)")
        }
        if let range, !range.contains(number) {
            throw OptionError(key: path(key), "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    public func bool(_ key: String, default fallback: Bool) throws(OptionError) -> Bool {
        guard let value = raw(key) else { return fallback }
        guard case .bool(let bool) = value else {
            throw OptionError(key: path(key), "expected true or false, got \(value.kindDescription)")
        }
        return bool
    }

    public func string(_ key: String, default fallback: String?) throws(OptionError) -> String? {
        guard let value = raw(key) else { return fallback }
        guard case .string(let string) = value else {
            throw OptionError(key: path(key), "expected text, got \(value.kindDescription)")
        }
        return string
    }

    public func strings(_ key: String, default fallback: [String] = []) throws(OptionError) -> [String] {
        guard let value = raw(key) else { return fallback }
        guard case .array(let list) = value else {
            throw OptionError(key: path(key), "expected a list of text, got \(value.kindDescription)")
        }
        var result: [String] = []
        for (index, item) in list.enumerated() {
            guard case .string(let string) = item else {
                throw OptionError(key: "\(path(key)).\(index)", "expected text, got \(item.kindDescription)")
            }
            result.append(string)
        }
        return result
    }

    /// A list of whole numbers, each within `range` when one is given.
    public func ints(_ key: String, default fallback: [Int] = [], in range: ClosedRange<Int>? = nil) throws(OptionError) -> [Int] {
        guard let value = raw(key) else { return fallback }
        guard case .array(let list) = value else {
            throw OptionError(key: path(key), "expected a list of whole numbers, got \(value.kindDescription)")
        }
        var result: [Int] = []
        for (index, item) in list.enumerated() {
            guard case .number(let number) = item, number.rounded() == number, let whole = Int(exactly: number),
                  range.map({ $0.contains(whole) }) ?? true
            else {
                let wanted = range.map { "a whole number from \($0.lowerBound) to \($0.upperBound)" } ?? "a whole number"
                throw OptionError(key: "\(path(key)).\(index)", "expected \(wanted), got \(item)")
            }
            result.append(whole)
        }
        return result
    }

    /// A nested mapping, read with the same rules; its errors carry the full path.
    public func section(_ key: String) throws(OptionError) -> PluginOptions? {
        guard let value = raw(key) else { return nil }
        guard case .object(let object) = value else {
            throw OptionError(key: path(key), "expected a mapping, got \(value.kindDescription)")
        }
        return PluginOptions(values: object, prefix: path(key))
    }

    /// A list of mappings (for example routing rules), each read with the same rules.
    public func sections(_ key: String) throws(OptionError) -> [PluginOptions] {
        guard let value = raw(key) else { return [] }
        guard case .array(let list) = value else {
            throw OptionError(key: path(key), "expected a list, got \(value.kindDescription)")
        }
        var result: [PluginOptions] = []
        for (index, item) in list.enumerated() {
            guard case .object(let object) = item else {
                throw OptionError(key: "\(path(key)).\(index)", "expected a mapping, got \(item.kindDescription)")
            }
            result.append(PluginOptions(values: object, prefix: "\(path(key)).\(index)"))
        }
        return result
    }

    /// Throws for the first key no reader asked for, naming the keys that exist.
    public func rejectUnknownKeys() throws(OptionError) {
        for key in values.keys.sorted() where !asked.contains(key) {
            let known = asked.sorted()
            let hint = known.isEmpty ? "this plugin takes no options" : "known options: \(known.joined(separator: ", "))"
            throw OptionError(key: path(key), "unknown option '\(key)'; \(hint)")
        }
    }
}
