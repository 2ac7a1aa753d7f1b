/// A strict reader of Structured Field Dictionaries (RFC 8941 §4.2.2), for `CDN-Cache-Control`.
/// It keeps only what cache directives need (integers and booleans; parameters are checked and
/// dropped); every other item is checked for shape and reported as `.other`, so a malformed field
/// is refused whole, as RFC 8941 §4.2 requires.
struct StructuredFieldParser {
    enum Value: Equatable {
        case integer(Int64)
        case boolean(Bool)
        /// A decimal, string, token, byte sequence or inner list: valid, not used by the cache.
        case other
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Calls `member` for each key and value; false when the whole field is invalid.
    mutating func parseDictionary(_ member: (UnsafeBufferPointer<UInt8>, Value) -> Void) -> Bool {
        skip(space: true, tab: false)
        while index < bytes.count {
            guard let key = parseKey() else { return false }
            let value: Value
            if peek == UInt8(ascii: "=") {
                index += 1
                if peek == UInt8(ascii: "(") {
                    guard parseInnerList() else { return false }
                    value = .other
                } else {
                    guard let item = parseBareItem() else { return false }
                    value = item
                }
            } else {
                value = .boolean(true)
            }
            guard parseParameters() else { return false }
            member(key, value)
            skip(space: true, tab: true)
            guard index < bytes.count else { return true }
            guard peek == UInt8(ascii: ",") else { return false }
            index += 1
            skip(space: true, tab: true)
            // A trailing comma is invalid.
            guard index < bytes.count else { return false }
        }
        // An empty field is a valid, empty dictionary.
        return true
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skip(space: Bool, tab: Bool) {
        while let byte = peek, (space && byte == .space) || (tab && byte == .tab) { index += 1 }
    }

    private static func isLowerAlpha(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isAlpha(_ byte: UInt8) -> Bool { isLowerAlpha(byte.asciiLowercased) }

    /// key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
    private mutating func parseKey() -> UnsafeBufferPointer<UInt8>? {
        guard let first = peek, Self.isLowerAlpha(first) || first == UInt8(ascii: "*") else { return nil }
        let start = index
        while let byte = peek, Self.isLowerAlpha(byte) || Self.isDigit(byte) || "_-.*".utf8.contains(byte) { index += 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<index])
    }

    private mutating func parseParameters() -> Bool {
        while peek == UInt8(ascii: ";") {
            index += 1
            skip(space: true, tab: false)
            guard parseKey() != nil else { return false }
            if peek == UInt8(ascii: "=") {
                index += 1
                guard parseBareItem() != nil else { return false }
            }
        }
        return true
    }

    private mutating func parseInnerList() -> Bool {
        index += 1  // "("
        while index < bytes.count {
            skip(space: true, tab: false)
            if peek == UInt8(ascii: ")") {
                index += 1
                return parseParameters()
            }
            guard parseBareItem() != nil, parseParameters() else { return false }
            guard let next = peek, next == .space || next == UInt8(ascii: ")") else { return false }
        }
        return false
    }

    private mutating func parseBareItem() -> Value? {
        guard let first = peek else { return nil }
        switch first {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return parseNumber()
        case .quote:
            return parseString() ? .other : nil
        case UInt8(ascii: "?"):
            index += 1
            guard let digit = peek, digit == UInt8(ascii: "0") || digit == UInt8(ascii: "1") else { return nil }
            index += 1
            return .boolean(digit == UInt8(ascii: "1"))
        case UInt8(ascii: ":"):
            index += 1
            while let byte = peek, byte != UInt8(ascii: ":") {
                guard Self.isAlpha(byte) || Self.isDigit(byte) || "+/=".utf8.contains(byte) else { return nil }
                index += 1
            }
            guard peek == UInt8(ascii: ":") else { return nil }
            index += 1
            return .other
        default:
            guard Self.isAlpha(first) || first == UInt8(ascii: "*") else { return nil }
            // token: tchar / ":" / "/"
            while let byte = peek, Self.isAlpha(byte) || Self.isDigit(byte) || "!#$%&'*+-.^_`|~:/".utf8.contains(byte) {
                index += 1
            }
            return .other
        }
    }

    /// An integer of at most 15 digits, or a decimal (at most 12 digits, a dot, 1 to 3 digits).
    private mutating func parseNumber() -> Value? {
        var negative = false
        if peek == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var value: Int64 = 0
        var digits = 0
        while let byte = peek, Self.isDigit(byte) {
            digits += 1
            guard digits <= 15 else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            index += 1
        }
        guard digits > 0 else { return nil }
        guard peek == UInt8(ascii: ".") else { return .integer(negative ? -value : value) }
        guard digits <= 12 else { return nil }
        index += 1
        var fraction = 0
        while let byte = peek, Self.isDigit(byte) {
            fraction += 1
            index += 1
        }
        return fraction >= 1 && fraction <= 3 ? .other : nil
    }

    /// A string: printable ASCII, with `\"` and `\\` the only escapes.
    private mutating func parseString() -> Bool {
        index += 1
        while let byte = peek {
            index += 1
            switch byte {
            case .quote:
                return true
            case .backslash:
                guard let escaped = peek, escaped == .quote || escaped == .backslash else { return false }
                index += 1
            case 0x20...0x7E:
                continue
            default:
                return false
            }
        }
        return false
    }
}
