import NIOHTTP1

/// Header rewriting between the two hops (RFC 9110 §7.6.1): connection-specific fields are
/// removed in both directions, along with any field the Connection header names; the request
/// gains X-Forwarded-For/-Proto, Forwarded and Via. Framing is left to NIO's encoders, which
/// write Content-Length or chunked framing from the parts they are given.
enum ForwardedHeaders {
    /// Fields that describe one connection, never the message.
    static let hopByHop: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Removes the hop-by-hop fields and those the Connection header lists.
    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        var named: [Substring] = []
        for value in headers[canonicalForm: "connection"] {
            for token in value.split(separator: ",") {
                let name = token.trimmingSpaces
                if !name.isEmpty { named.append(name) }
            }
        }
        for name in hopByHop { headers.remove(name: name) }
        for name in named { headers.remove(name: String(name)) }
    }

    /// The head sent to the server: HTTP/1.1 with keep-alive (the pool reuses the connection),
    /// the client's framing kept (chunked stays chunked; NIO re-frames the parts), the forwarding
    /// fields added.
    static func upstreamRequest(_ head: HTTPRequestHead, client: String, proxy: String) -> HTTPRequestHead {
        var headers = head.headers
        let chunked = !headers.contains(name: "content-length") && headers.contains(name: "transfer-encoding")
        removeHopByHop(&headers)
        // The proxy answers `Expect: 100-continue` itself (RFC 9110 §10.1.1 lets it).
        headers.remove(name: "expect")
        if chunked {
            headers.add(name: "transfer-encoding", value: "chunked")
        } else if !headers.contains(name: "content-length"), head.method == .POST || head.method == .PUT || head.method == .PATCH {
            // No framing means no body (RFC 9112 §6.3); say so rather than let the encoder chunk.
            headers.add(name: "content-length", value: "0")
        }
        append(&headers, "x-forwarded-for", client)
        headers.replaceOrAdd(name: "x-forwarded-proto", value: "http")
        append(&headers, "forwarded", "for=\(forwardedNode(client));proto=http;by=\(forwardedNode(proxy))")
        append(&headers, "via", "\(head.version.major).\(head.version.minor) sasha")
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// The head sent to the client: hop-by-hop fields removed, the client's HTTP version (so that
    /// an HTTP/1.0 client is not sent chunked framing), and the connection's fate stated.
    static func clientResponse(_ head: HTTPResponseHead, clientVersion: HTTPVersion, keepAlive: Bool) -> HTTPResponseHead {
        var headers = head.headers
        removeHopByHop(&headers)
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if clientVersion.major == 1 && clientVersion.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        append(&headers, "via", "\(head.version.major).\(head.version.minor) sasha")
        return HTTPResponseHead(version: clientVersion, status: head.status, headers: headers)
    }

    /// Appends `value` to a comma-separated list field, as one line.
    private static func append(_ headers: inout HTTPHeaders, _ name: String, _ value: String) {
        let existing = headers[name]
        if existing.isEmpty {
            headers.add(name: name, value: value)
        } else {
            headers.replaceOrAdd(name: name, value: (existing + [value]).joined(separator: ", "))
        }
    }

    /// RFC 7239 node syntax: IPv6 addresses are quoted and bracketed.
    private static func forwardedNode(_ address: String) -> String {
        address.contains(":") ? "\"[\(address)]\"" : address
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
