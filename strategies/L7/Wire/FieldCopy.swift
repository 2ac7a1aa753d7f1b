import NIOCore

/// What the two head writers share: which received field lines go on to the next hop, and how a
/// list field the proxy appends to (Via, X-Forwarded-For, Forwarded) is written as one line.
struct FieldCopy {
    let head: ParsedHead
    let bytes: UnsafeRawBufferPointer
    /// The hop-by-hop fields this direction always removes.
    let removing: KnownFields

    /// The fields that describe one connection, never the message (RFC 9110 §7.6.1).
    static let hopByHop = KnownFields(.connection, .keepAlive, .proxyConnection, .te, .upgrade)
    /// What an HTTP/1.0 client must not see: it cannot read chunked.
    static let chunkedOnly = KnownFields(.transferEncoding, .trailer)

    /// True if `field` stays in this hop: it is hop-by-hop, or the Connection header names it.
    /// Content-Length, Transfer-Encoding and Host go on even when named: framing and routing are
    /// not the client's to remove (`Connection: content-length` is a smuggling attempt).
    func removes(_ field: ParsedHead.Field) -> Bool {
        if removing.contains(field.known) { return true }
        if field.known.isProtectedFromConnection { return false }
        return head.connection.names(field, in: bytes)
    }

    /// `Name: v1, v2, appended` CRLF: the values of every kept `known` line (empty ones skipped),
    /// then `appended`. With no such line, `Name: appended`. With `merging` false, the received
    /// values are replaced.
    func writeList(_ name: StaticString, _ known: KnownField, appending appended: some Sequence<UInt8>, merging: Bool = true,
                   into out: inout ByteBuffer) {
        out.writeStaticString(name)
        out.writeStaticString(": ")
        if merging {
            for field in head.fields where field.known == known && !field.value.isEmpty && !removes(field) {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[field.value]))
                out.writeStaticString(", ")
            }
        }
        out.writeBytes(appended)
        out.writeStaticString("\r\n")
    }

    func write(_ range: Range<Int>, into out: inout ByteBuffer) {
        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// `Via: …, 1.1 sasha` (or `1.0 sasha`): the version the message was received with (RFC 9110
    /// §7.6.3), appended to the Via lines received.
    func writeVia(into out: inout ByteBuffer) {
        let via: StaticString = head.version == .http1_1 ? "1.1 sasha" : "1.0 sasha"
        via.withUTF8Buffer { writeList("Via", .via, appending: $0, into: &out) }
    }
}

