import HTTPDate
import HTTPCache
import NIOHTTP1

/// Header rewriting between the two hops (RFC 9110 §7.6.1): connection-specific fields are
/// removed in both directions, along with any field the Connection header names (never a framing
/// field or `Host`); the request gains X-Forwarded-For/-Proto, Forwarded and Via.
///
/// A request's framing is decided here, once (RFC 9112 §6): a body goes upstream with exactly the
/// framing it came with, whatever the method. The upstream encoder is told not to adjust it
/// (`automaticallySetFramingHeaders: false`): NIO's default drops `Content-Length` from a TRACE
/// and leaves a GET's body unframed, which let a body reach the server as a second request.
///
/// This runs twice per request, so it reads the fields once and removes only what is there: most
/// requests carry no hop-by-hop field at all, most responses only `Connection`.
enum ForwardedHeaders {
    /// Fields that describe one connection, never the message.
    static let hopByHop: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// What one pass over the fields found.
    struct Scan {
        /// Hop-by-hop fields present, by index in `hopByHop`.
        var hopByHop: UInt8 = 0
        var hasContentLength = false
        var hasVia = false
        var hasForwardedFor = false
        var hasForwarded = false

        init(_ headers: HTTPHeaders) {
            for (name, _) in headers {
                switch name.utf8.count {
                case 2, 7, 10, 16, 17:
                    if let index = ForwardedHeaders.hopByHop.firstIndex(where: { name.equalsASCIICaseInsensitive($0) }) {
                        hopByHop |= 1 << index
                    }
                case 14: hasContentLength = hasContentLength || name.equalsASCIICaseInsensitive("content-length")
                case 3: hasVia = hasVia || name.equalsASCIICaseInsensitive("via")
                case 15: hasForwardedFor = hasForwardedFor || name.equalsASCIICaseInsensitive("x-forwarded-for")
                case 9: hasForwarded = hasForwarded || name.equalsASCIICaseInsensitive("forwarded")
                default: break
                }
            }
        }

        func has(_ field: String) -> Bool {
            guard let index = ForwardedHeaders.hopByHop.firstIndex(of: field) else { return false }
            return hopByHop & (1 << index) != 0
        }
    }

    /// The forwarding fields of one client connection, built once when it opens.
    struct Forwarding {
        let client: String
        /// RFC 7239: `for=CLIENT;proto=http;by=PROXY`.
        let forwarded: String

        init(client: String, proxy: String) {
            self.client = client
            forwarded = "for=\(ForwardedHeaders.forwardedNode(client));proto=http;by=\(ForwardedHeaders.forwardedNode(proxy))"
        }
    }

    /// Fields a `Connection` option can never remove: they frame the message or route it, and a
    /// client that names them there asks the proxy to desynchronise itself from the server.
    static func isProtected(_ name: Substring) -> Bool {
        name.equalsASCIICaseInsensitive("content-length") || name.equalsASCIICaseInsensitive("transfer-encoding")
            || name.equalsASCIICaseInsensitive("host")
    }

    /// Removes the hop-by-hop fields `scan` found and those the Connection header lists.
    static func removeHopByHop(_ headers: inout HTTPHeaders, _ scan: Scan) {
        guard scan.hopByHop != 0 else { return }
        if scan.has("connection") {
            // Fields the Connection header names; "keep-alive" and "close" (nearly always all it
            // says) name nothing beyond the fixed list, so the usual case allocates nothing.
            var named: [String] = []
            for (name, value) in headers where name.equalsASCIICaseInsensitive("connection") {
                for token in value.split(separator: ",") {
                    let token = token.trimmingSpaces
                    if !token.isEmpty, !token.equalsASCIICaseInsensitive("keep-alive"), !token.equalsASCIICaseInsensitive("close"),
                       !isProtected(token) {
                        named.append(String(token))
                    }
                }
            }
            for name in named { headers.remove(name: name) }
        }
        for (index, name) in hopByHop.enumerated() where scan.hopByHop & (1 << index) != 0 {
            headers.remove(name: name)
        }
    }

    /// How a request's body is delimited, from its parsed head (RFC 9112 §6.3). `RequestCheck`
    /// has already refused a head where this would be ambiguous.
    enum RequestFraming: Equatable {
        case none
        case contentLength
        case chunked
    }

    static func framing(_ scan: Scan) -> RequestFraming {
        if scan.has("transfer-encoding") { return .chunked }
        return scan.hasContentLength ? .contentLength : .none
    }

    static func upstreamRequest(_ head: HTTPRequestHead, client: String, proxy: String) -> HTTPRequestHead {
        upstreamRequest(head, forwarding: Forwarding(client: client, proxy: proxy))
    }

    /// The head sent to the server: HTTP/1.1 with keep-alive (the pool reuses the connection),
    /// exactly the client's framing (a `Content-Length` stays, whatever the method; chunked stays
    /// chunked, and NIO writes the parts as chunks), the forwarding fields added.
    ///
    /// `keepUpgrade`: a WebSocket handshake the proxy will tunnel keeps its `Upgrade` field and
    /// says `Connection: upgrade`.
    static func upstreamRequest(_ head: HTTPRequestHead, forwarding: Forwarding, keepUpgrade: Bool = false) -> HTTPRequestHead {
        var headers = head.headers
        let scan = Scan(headers)
        let framing = framing(scan)
        let upgrade = keepUpgrade ? headers.first(name: "upgrade") : nil
        removeHopByHop(&headers, scan)
        if let upgrade {
            headers.add(name: "connection", value: "upgrade")
            headers.add(name: "upgrade", value: upgrade)
        }
        // The proxy answers `Expect: 100-continue` itself (RFC 9110 §10.1.1 lets it).
        headers.remove(name: "expect")
        switch framing {
        case .chunked:
            // Removed with the hop-by-hop fields above; the one coding `RequestCheck` allows.
            headers.add(name: "transfer-encoding", value: "chunked")
        case .contentLength:
            break
        case .none:
            // No framing means no body (RFC 9112 §6.3). Servers that expect a length on these
            // methods get one.
            if head.method == .POST || head.method == .PUT || head.method == .PATCH {
                headers.add(name: "content-length", value: "0")
            }
        }
        append(&headers, "x-forwarded-for", forwarding.client, present: scan.hasForwardedFor)
        headers.replaceOrAdd(name: "x-forwarded-proto", value: "http")
        append(&headers, "forwarded", forwarding.forwarded, present: scan.hasForwarded)
        append(&headers, "via", via(head.version), present: scan.hasVia)
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// The head sent to the client: hop-by-hop fields removed, the client's HTTP version (so that
    /// an HTTP/1.0 client is not sent chunked framing), and the connection's fate stated.
    static func clientResponse(_ head: HTTPResponseHead, clientVersion: HTTPVersion, keepAlive: Bool) -> HTTPResponseHead {
        var headers = head.headers
        let scan = Scan(headers)
        removeHopByHop(&headers, scan)
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if clientVersion.major == 1 && clientVersion.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        append(&headers, "via", via(head.version), present: scan.hasVia)
        return HTTPResponseHead(version: clientVersion, status: head.status, headers: headers)
    }

    /// "1.1 sasha": a literal for the usual versions.
    private static func via(_ version: HTTPVersion) -> String {
        switch (version.major, version.minor) {
        case (1, 1): "1.1 sasha"
        case (1, 0): "1.0 sasha"
        default: "\(version.major).\(version.minor) sasha"
        }
    }

    /// Appends `value` to a comma-separated list field, as one line.
    private static func append(_ headers: inout HTTPHeaders, _ name: String, _ value: String, present: Bool) {
        guard present else {
            headers.add(name: name, value: value)
            return
        }
        let existing = headers[name]
        headers.replaceOrAdd(name: name, value: (existing + [value]).joined(separator: ", "))
    }

    /// RFC 7239 node syntax: IPv6 addresses are quoted and bracketed.
    static func forwardedNode(_ address: String) -> String {
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
