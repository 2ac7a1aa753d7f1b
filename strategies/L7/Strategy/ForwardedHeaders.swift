import HTTPDate
import HTTPCache
import NIOHTTP1

/// The head of an answer from the cache, rewritten for its client (RFC 9110 §7.6.1): hop-by-hop
/// fields removed along with any field the Connection header names (never a framing field), the
/// client's version, the connection's fate stated, Via appended. Heads from servers are rewritten
/// as bytes instead (`HeadWriter.writeClientResponse`); this one works on the `HTTPResponseHead`
/// the cache keeps.
///
/// It reads the fields once and removes only what is there.
enum ForwardedHeaders {
    /// Fields that describe one connection, never the message.
    static let hopByHop: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// What one pass over the fields found.
    struct Scan {
        /// Hop-by-hop fields present, by index in `hopByHop`.
        var hopByHop: UInt8 = 0
        var hasVia = false

        init(_ headers: HTTPHeaders) {
            for (name, _) in headers {
                switch name.utf8.count {
                case 2, 7, 10, 16, 17:
                    if let index = ForwardedHeaders.hopByHop.firstIndex(where: { name.equalsASCIICaseInsensitive($0) }) {
                        hopByHop |= 1 << index
                    }
                case 3: hasVia = hasVia || name.equalsASCIICaseInsensitive("via")
                default: break
                }
            }
        }

        func has(_ field: String) -> Bool {
            guard let index = ForwardedHeaders.hopByHop.firstIndex(of: field) else { return false }
            return hopByHop & (1 << index) != 0
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
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
