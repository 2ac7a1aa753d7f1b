/// A message head as offsets into the received bytes, plus the facts a proxy decides on.
///
/// Every `Range<Int>` counts from the first byte the scanner was given (the start of the message),
/// so it stays valid as long as the caller keeps those bytes where they were. Nothing is copied
/// out of the message: the writers copy the same ranges into the next hop's head.
///
/// The scanner reuses one `ParsedHead`'s storage from message to message (`fields`,
/// `connection.otherNames`); a caller that lets go of the head before scanning the next message
/// keeps that reuse free of allocations.
public struct ParsedHead: Sendable {
    public enum Kind: Sendable { case request, response }

    /// HTTP/1.0 and HTTP/1.1; every other version is refused (505) before a head is made.
    public enum Version: Sendable {
        case http1_0, http1_1
    }

    /// Methods are case-sensitive (RFC 9110 §9.1): `get` is an `.other`.
    public enum Method: Sendable, Equatable {
        case get, head, post, put, delete, options, trace, patch, connect
        /// Any other token; the range of its bytes.
        case other(Range<Int>)
    }

    /// One field line. `value` is trimmed of leading and trailing whitespace; `line` runs from the
    /// name to just after the CRLF, so a writer can copy the line as it came.
    public struct Field: Sendable, Equatable {
        public var name: Range<Int>
        public var value: Range<Int>
        public var line: Range<Int>
        public var known: KnownField
    }

    public internal(set) var kind: Kind
    /// The request's method; for a response, `.other(0..<0)`.
    public internal(set) var method: Method = .other(0..<0)
    /// The method's bytes (empty for a response).
    public internal(set) var methodBytes: Range<Int> = 0..<0
    /// The request-target's bytes (empty for a response).
    public internal(set) var target: Range<Int> = 0..<0
    public internal(set) var version: Version = .http1_1
    /// The response's status code (100...999); 0 for a request.
    public internal(set) var status = 0
    /// The reason phrase's bytes, possibly empty (a response only).
    public internal(set) var reason: Range<Int> = 0..<0
    /// Every field line, in order.
    public internal(set) var fields: [Field] = []

    /// The Host field's value (a request only; nil when absent, which only HTTP/1.0 may do).
    public internal(set) var host: Range<Int>?
    /// The Content-Length, when present (every line and list member agreed on it).
    public internal(set) var contentLength: Int?
    /// True when Transfer-Encoding is present (then its last coding is `chunked`, and there is no
    /// Content-Length: anything else was refused).
    public internal(set) var isChunked = false
    public internal(set) var connection = ConnectionOptions()
    /// `Expect: 100-continue`: the proxy answers it itself and never forwards it.
    public internal(set) var expectsContinue = false
    /// An Upgrade field is present (its protocols are tokens, optionally with `/version`).
    public internal(set) var hasUpgrade = false
    /// `websocket` is among the Upgrade field's protocols.
    public internal(set) var upgradesToWebSocket = false

    init(kind: Kind) { self.kind = kind }

    /// Whether the connection stays open after this message, as the message alone says (RFC 9112
    /// §9.3): HTTP/1.1 persists unless `close`; HTTP/1.0 only with `keep-alive` and no `close`.
    /// A response read until the server closes cannot keep alive, whatever it says: that is the
    /// framing's decision, not the head's.
    public var keepAlive: Bool {
        switch version {
        case .http1_1: !connection.close
        case .http1_0: connection.keepAlive && !connection.close
        }
    }

    /// Forgets the previous message, keeping the storage.
    mutating func reset(kind: Kind) {
        self.kind = kind
        method = .other(0..<0)
        methodBytes = 0..<0
        target = 0..<0
        version = .http1_1
        status = 0
        reason = 0..<0
        fields.removeAll(keepingCapacity: true)
        host = nil
        contentLength = nil
        isChunked = false
        connection.reset()
        expectsContinue = false
        hasUpgrade = false
        upgradesToWebSocket = false
    }
}
