import HTTPWire
import L7Machine
import NIOCore
import NIOHTTP1

/// The few places the byte path meets NIOHTTP1's types: the cache keys, stores and answers with
/// `HTTPRequestHead` / `HTTPResponseHead`, and header-matching routing rules read `HTTPHeaders`.
/// Only requests that consult the cache (and responses that fill it) pay for these conversions.
enum HeadBridge {
    /// The request as it goes upstream, for the cache's key and `Vary`: the client's fields
    /// without the hop-by-hop ones and those its Connection header names (a `Vary` on a field the
    /// proxy did not forward must see it absent, as the server did).
    static func forwardedRequest(_ head: ParsedHead, _ bytes: ByteBuffer) -> HTTPRequestHead {
        bytes.withUnsafeReadableBytes { raw in
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self) }
            var headers = HTTPHeaders()
            headers.reserveCapacity(head.fields.count)
            for field in head.fields where !isHopByHop(field, head, raw) {
                headers.add(name: text(field.name), value: text(field.value))
            }
            let version: HTTPVersion = head.version == .http1_1 ? .http1_1 : .http1_0
            return HTTPRequestHead(version: version, method: HTTPMethod(rawValue: text(head.methodBytes)), uri: text(head.target),
                                   headers: headers)
        }
    }

    /// All fields of a header section, for header-matching routing rules.
    static func headers(_ head: ParsedHead, _ bytes: ByteBuffer) -> HTTPHeaders {
        bytes.withUnsafeReadableBytes { raw in
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self) }
            var headers = HTTPHeaders()
            for field in head.fields { headers.add(name: text(field.name), value: text(field.value)) }
            return headers
        }
    }

    /// A server's response head as the cache stores it (its fields as received).
    static func response(_ head: ParsedHead, _ bytes: ByteBuffer) -> HTTPResponseHead {
        let version: HTTPVersion = head.version == .http1_1 ? .http1_1 : .http1_0
        return HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: head.status), headers: headers(head, bytes))
    }

    /// Writes a response head the cache made (`CachedResponse.responseHead`, rewritten for the
    /// client) as bytes.
    static func write(_ head: HTTPResponseHead, into out: inout ByteBuffer) {
        out.writeString(head.version == .http1_0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        out.writeString(String(head.status.code))
        out.writeStaticString(" ")
        out.writeString(head.status.reasonPhrase)
        out.writeStaticString("\r\n")
        for (name, value) in head.headers {
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
    }

    private static let hopByHop: [KnownField] = [.connection, .keepAlive, .proxyConnection, .te, .upgrade, .expect]

    private static func isHopByHop(_ field: ParsedHead.Field, _ head: ParsedHead, _ raw: UnsafeRawBufferPointer) -> Bool {
        if hopByHop.contains(field.known) { return true }
        if field.known.isProtectedFromConnection { return false }
        return head.connection.names(field, in: raw)
    }
}
