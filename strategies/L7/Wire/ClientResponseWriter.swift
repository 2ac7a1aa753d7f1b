import NIOCore

extension HeadWriter {
    /// The response head sent to the client: the status line with the client's version (an
    /// HTTP/1.0 client is answered HTTP/1.0), then every field line byte for byte, except the
    /// hop-by-hop ones (Connection, Keep-Alive, Proxy-Connection, TE, Upgrade) and those the
    /// server's Connection header names (never Content-Length or Transfer-Encoding). Then:
    ///
    /// - `Connection: close` when the proxy will close after this response, `Connection:
    ///   keep-alive` to an HTTP/1.0 client it keeps, `Connection: upgrade` with `keepingUpgrade`
    ///   (a 101 whose Upgrade lines are kept);
    /// - Via with `1.1 sasha` (or `1.0 sasha`, the server's version) appended;
    /// - `extraFields`, already encoded, each line with its CRLF (`X-Cache: MISS\r\n`).
    ///
    /// An HTTP/1.0 client never sees Transfer-Encoding or Trailer: it cannot read chunked, and a
    /// 1.0 message with Transfer-Encoding is faulty (RFC 9112 §6.1), even when no body follows
    /// (an answer to HEAD, a 304). `dechunking`: a chunked body to such a client. The caller sends
    /// the chunk data alone (`BodyTracker.consume(_:dataSpans:)`) and closes the connection to end
    /// the body; the head says `Connection: close` whatever `keepAlive` is.
    ///
    /// - Parameter source: the bytes `head` was scanned from, from the same reader index.
    public static func writeClientResponse(head: ParsedHead, from source: ByteBuffer, into out: inout ByteBuffer,
                                           clientVersion: ParsedHead.Version, keepAlive: Bool, dechunking: Bool = false,
                                           keepingUpgrade: Bool = false, extraFields: [UInt8] = []) {
        source.withUnsafeReadableBytes { bytes in
            var removing = FieldCopy.hopByHop
            if keepingUpgrade { removing.remove(.upgrade) }
            if dechunking || clientVersion == .http1_0 { removing.formUnion(FieldCopy.chunkedOnly) }
            let copy = FieldCopy(head: head, bytes: bytes, removing: removing)
            out.writeStaticString(clientVersion == .http1_1 ? "HTTP/1.1 " : "HTTP/1.0 ")
            writeStatus(head.status, into: &out)
            out.writeStaticString(" ")
            copy.write(head.reason, into: &out)
            out.writeStaticString("\r\n")
            var wroteVia = false
            for field in head.fields where !copy.removes(field) {
                if field.known == .via {
                    if !wroteVia { copy.writeVia(into: &out) }
                    wroteVia = true
                } else {
                    copy.write(field.line, into: &out)
                }
            }
            if keepingUpgrade {
                out.writeStaticString("Connection: upgrade\r\n")
            } else if !keepAlive || dechunking {
                out.writeStaticString("Connection: close\r\n")
            } else if clientVersion == .http1_0 {
                out.writeStaticString("Connection: keep-alive\r\n")
            }
            if !wroteVia { copy.writeVia(into: &out) }
            out.writeBytes(extraFields)
            out.writeStaticString("\r\n")
        }
    }

    /// Three digits: statuses are 100...999.
    static func writeStatus(_ status: Int, into out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "0") + UInt8(status / 100 % 10))
        out.writeInteger(UInt8(ascii: "0") + UInt8(status / 10 % 10))
        out.writeInteger(UInt8(ascii: "0") + UInt8(status % 10))
    }
}
