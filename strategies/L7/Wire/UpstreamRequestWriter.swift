import NIOCore

/// The heads the proxy writes, straight into the outgoing `ByteBuffer` from the received bytes:
/// no `HTTPHeaders`, no strings.
public enum HeadWriter {}

extension HeadWriter {
    /// The request head sent to the server: `METHOD SP target SP HTTP/1.1` copied from the
    /// received bytes, then every field line byte for byte, except:
    ///
    /// - Connection, Keep-Alive, Proxy-Connection, TE and Upgrade are this hop's (RFC 9110
    ///   §7.6.1), and so is every field the Connection header names, but Content-Length,
    ///   Transfer-Encoding and Host, which stay whatever it names. With `keepingUpgrade` (the
    ///   proxy will tunnel a WebSocket), the Upgrade lines stay and `Connection: upgrade` is added.
    /// - Expect is removed: the proxy answers `100-continue` itself (RFC 9110 §10.1.1).
    /// - X-Forwarded-For and Forwarded gain this client, merged into one line at the first one's
    ///   place (or added at the end); X-Forwarded-Proto is replaced; Via gains `1.1 sasha` (`1.0
    ///   sasha` for an HTTP/1.0 client).
    ///
    /// An HTTP/1.0 request without Host gains `Host: <the proxy's address>`, the authority it was
    /// sent to: HTTP/1.1 requires a Host.
    ///
    /// Content-Length and Transfer-Encoding are written anew after the other fields, as one
    /// canonical line (`Content-Length: N` or `Transfer-Encoding: chunked`): the body follows
    /// with exactly the framing it came with, so the server finds its end where the proxy did,
    /// and no server reads the client's spelling of it (`chunked,`, `5, 5`, a padded length).
    ///
    /// - Parameter source: the bytes `head` was scanned from, from the same reader index.
    public static func writeUpstreamRequest(head: ParsedHead, from source: ByteBuffer, into out: inout ByteBuffer,
                                            forwarding: Forwarding, keepingUpgrade: Bool = false) {
        source.withUnsafeReadableBytes { bytes in
            var removing = FieldCopy.hopByHop
            // Framing is written once, in one form, below: a server never sees the client's
            // spelling of it (`chunked,`, a repeated or zero-padded length), which some servers
            // read differently from the scanner.
            removing.formUnion(KnownFields(.expect, .contentLength, .transferEncoding))
            if keepingUpgrade { removing.remove(.upgrade) }
            let copy = FieldCopy(head: head, bytes: bytes, removing: removing)
            copy.write(head.methodBytes, into: &out)
            out.writeStaticString(" ")
            copy.write(head.target, into: &out)
            out.writeStaticString(" HTTP/1.1\r\n")
            if head.host == nil {
                out.writeStaticString("Host: ")
                out.writeBytes(forwarding.proxyHost)
                out.writeStaticString("\r\n")
            }
            var written = KnownFields()
            for field in head.fields where !copy.removes(field) {
                switch field.known {
                case .xForwardedFor, .xForwardedProto, .forwarded, .via:
                    if !written.contains(field.known) { writeForwarding(field.known, copy, forwarding, into: &out) }
                    written.insert(field.known)
                default:
                    copy.write(field.line, into: &out)
                }
            }
            for known in forwardingFields where !written.contains(known) {
                writeForwarding(known, copy, forwarding, into: &out)
            }
            if keepingUpgrade, head.hasUpgrade { out.writeStaticString("Connection: upgrade\r\n") }
            if head.isChunked {
                out.writeStaticString("Transfer-Encoding: chunked\r\n")
            } else if let length = head.contentLength {
                out.writeStaticString("Content-Length: ")
                out.writeString(String(length))
                out.writeStaticString("\r\n")
            }
            out.writeStaticString("\r\n")
        }
    }

    /// The fields the proxy adds when the request has none, in this order.
    private static let forwardingFields: [KnownField] = [.xForwardedFor, .xForwardedProto, .forwarded, .via]

    private static func writeForwarding(_ known: KnownField, _ copy: FieldCopy, _ forwarding: Forwarding, into out: inout ByteBuffer) {
        switch known {
        case .xForwardedFor: copy.writeList("X-Forwarded-For", known, appending: forwarding.client, into: &out)
        case .xForwardedProto: copy.writeList("X-Forwarded-Proto", known, appending: forwarding.proto, merging: false, into: &out)
        case .forwarded: copy.writeList("Forwarded", known, appending: forwarding.forwarded, into: &out)
        default: copy.writeVia(into: &out)
        }
    }
}
