/// The fields a proxy acts on, recognised once per field line so that later passes switch on a
/// tag instead of comparing names again. Recognition is ASCII case-insensitive and allocates
/// nothing: a switch on the name's length, then one comparison.
public enum KnownField: UInt8, Sendable, CaseIterable {
    case host, contentLength, transferEncoding, connection, keepAlive, proxyConnection, te, trailer, upgrade
    case expect, via, xForwardedFor, xForwardedProto, forwarded, cookie
    case other

    /// The field a name (in `range` of `bytes`, a valid token) stands for.
    init(name range: Range<Int>, in bytes: UnsafeRawBufferPointer) {
        func named(_ literal: StaticString, _ field: KnownField) -> KnownField? {
            bytes.equalsIgnoringCase(range, literal) ? field : nil
        }
        let field: KnownField? = switch range.count {
        case 2: named("te", .te)
        case 3: named("via", .via)
        case 4: named("host", .host)
        case 6: named("expect", .expect) ?? named("cookie", .cookie)
        case 7: named("upgrade", .upgrade) ?? named("trailer", .trailer)
        case 9: named("forwarded", .forwarded)
        case 10: named("connection", .connection) ?? named("keep-alive", .keepAlive)
        case 14: named("content-length", .contentLength)
        case 15: named("x-forwarded-for", .xForwardedFor)
        case 16: named("proxy-connection", .proxyConnection)
        case 17: named("transfer-encoding", .transferEncoding) ?? named("x-forwarded-proto", .xForwardedProto)
        default: nil
        }
        self = field ?? .other
    }

    /// Framing and routing: never removed because the Connection header names them. A client that
    /// could strip `Content-Length` or `Transfer-Encoding` from the server's view of its request
    /// would decide where the server thinks the next request starts (request smuggling).
    public var isProtectedFromConnection: Bool {
        self == .contentLength || self == .transferEncoding || self == .host
    }
}

/// A set of `KnownField`s as one word.
public struct KnownFields: OptionSet, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ field: KnownField) { rawValue = 1 << UInt32(field.rawValue) }
    public init(_ fields: KnownField...) {
        rawValue = fields.reduce(0) { $0 | 1 << UInt32($1.rawValue) }
    }

    public func contains(_ field: KnownField) -> Bool { contains(KnownFields(field)) }
    public mutating func insert(_ field: KnownField) { formUnion(KnownFields(field)) }
    public mutating func remove(_ field: KnownField) { subtract(KnownFields(field)) }
}
