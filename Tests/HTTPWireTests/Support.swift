import HTTPWire
import NIOCore
import Testing

/// A message scanned whole, with its bytes kept so that ranges can be read back as text.
struct Scanned {
    let head: ParsedHead
    let length: Int
    let bytes: [UInt8]

    func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
    func text(_ range: Range<Int>?) -> String? { range.map { text($0) } }

    /// `name: value` for every field, as parsed (value trimmed).
    var fields: [String] { head.fields.map { "\(text($0.name)): \(text($0.value))" } }
}

/// A message as a test argument, shown escaped on one line in the test log.
struct Message: CustomTestStringConvertible, Sendable, ExpressibleByStringLiteral {
    let text: String
    init(stringLiteral text: String) { self.text = text }
    init(_ text: String) { self.text = text }
    var testDescription: String { text.debugDescription }
}

enum Wire {
    static func scan(_ message: String, _ kind: ParsedHead.Kind = .request, limits: WireLimits = WireLimits()) -> HeadScanner.Result {
        var scanner = HeadScanner(kind: kind, limits: limits)
        return Array(message.utf8).withUnsafeBytes { scanner.scan($0) }
    }

    /// The head of a message that must scan; nil (and the test fails on it) otherwise.
    static func parse(_ message: String, _ kind: ParsedHead.Kind = .request) -> Scanned? {
        guard case .complete(let head, let length) = scan(message, kind) else { return nil }
        return Scanned(head: head, length: length, bytes: Array(message.utf8))
    }

    /// The refusal of a message that must be refused; nil otherwise.
    static func refusal(_ message: String, _ kind: ParsedHead.Kind = .request, limits: WireLimits = WireLimits()) -> HeadError? {
        guard case .invalid(let error) = scan(message, kind, limits: limits) else { return nil }
        return error
    }

    static func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}

extension HeadScanner.Result {
    /// A comparable summary: "incomplete", "invalid 400 …", or "complete LENGTH".
    var summary: String {
        switch self {
        case .incomplete: "incomplete"
        case .invalid(let error): "invalid \(error)"
        case .complete(_, let length): "complete \(length)"
        }
    }
}
