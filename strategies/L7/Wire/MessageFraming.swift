/// How a message's body is delimited (RFC 9112 §6.3), decided once from its head. The proxy reads
/// and writes a request with the same framing: the body goes on with exactly the framing it came
/// with, so the server sees the message end where the proxy did.
public enum BodyFraming: Sendable, Equatable {
    /// No body: the next message starts right after the head.
    case none
    /// Exactly `n` bytes (possibly 0).
    case contentLength(Int)
    /// Chunked transfer coding, up to and including the last chunk's trailer section.
    case chunked
    /// Everything until the server closes (a response without Content-Length or chunked, the
    /// HTTP/1.0 way). Never for a request.
    case untilClose
    /// After this head the connection is no longer HTTP: bytes flow both ways until either side
    /// closes (a 101 Switching Protocols, or a 2xx to CONNECT).
    case tunnel
}

public enum MessageFraming {
    /// A request has a body only if it says so: chunked, or a Content-Length (§6.3 items 6 and 7).
    /// With neither, no body, whatever the method; with a Content-Length, a body, whatever the
    /// method (a GET with a body keeps it, and its Content-Length goes upstream unchanged).
    public static func request(_ head: ParsedHead) -> BodyFraming {
        if head.isChunked { return .chunked }
        if let length = head.contentLength { return .contentLength(length) }
        return .none
    }

    /// A response's body depends on the request too (§6.3 items 1 and 2): none to HEAD, none with
    /// 1xx, 204 or 304 whatever the fields say; a tunnel after 101 or a 2xx to CONNECT; otherwise
    /// chunked, Content-Length, or until the server closes.
    ///
    /// A 1xx other than 101 is an interim answer: the final response's head follows it.
    public static func response(_ head: ParsedHead, to requestMethod: ParsedHead.Method) -> BodyFraming {
        if head.status == 101 { return .tunnel }
        if requestMethod == .connect, (200..<300).contains(head.status) { return .tunnel }
        if requestMethod == .head || head.status < 200 || head.status == 204 || head.status == 304 { return .none }
        if head.isChunked { return .chunked }
        if let length = head.contentLength { return .contentLength(length) }
        return .untilClose
    }
}
