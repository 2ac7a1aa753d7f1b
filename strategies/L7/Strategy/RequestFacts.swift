import NIOHTTP1
import SashaSDK

/// What routing needs to know about a request, read once from its head: the host (without port),
/// the path (without query or fragment), the method and the headers.
struct RequestFacts {
    var method: String
    /// As the client wrote it, without the port; compare case-insensitively.
    var host: Substring
    var path: Substring
    var headers: HTTPHeaders

    init(method: String, host: Substring, path: Substring, headers: HTTPHeaders = HTTPHeaders()) {
        self.method = method
        self.host = host
        self.path = path
        self.headers = headers
    }

    init(_ head: HTTPRequestHead) {
        self.init(method: head.method.rawValue, target: head.uri, hostField: head.headers.first(name: "host") ?? "",
                  headers: head.headers)
    }

    /// From a request's method, target and Host field: in absolute form ("http://host/path") the
    /// target's authority is the host (RFC 9112 §3.2.2); the path ends before the query.
    init(method: String, target: String, hostField: String, headers: HTTPHeaders) {
        var uri = Substring(target)
        var hostText = Substring(hostField)
        if uri.utf8.first != UInt8(ascii: "/"), let schemeEnd = Self.schemeEnd(uri) {
            let rest = uri[schemeEnd...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            hostText = rest[..<slash]
            uri = slash == rest.endIndex ? "/" : rest[slash...]
        }
        let pathEnd = uri.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? uri.endIndex
        self.init(method: method, host: Self.stripPort(hostText), path: uri[..<pathEnd], headers: headers)
    }

    /// Where the authority starts in an absolute-form URI ("http://host/…"), after "://" that
    /// follows a scheme of letters; nil for any other form.
    static func schemeEnd(_ uri: Substring) -> Substring.Index? {
        guard let colon = uri.firstIndex(of: ":"), colon > uri.startIndex,
              uri[..<colon].allSatisfy({ $0.isASCII && $0.isLetter }),
              uri[colon...].hasPrefix("://") else { return nil }
        return uri.index(colon, offsetBy: 3)
    }

    /// "example.com:8080" → "example.com"; "[::1]:80" → "[::1]".
    static func stripPort(_ host: Substring) -> Substring {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") { return host[...close] }
        guard let colon = host.lastIndex(of: ":") else { return host }
        return host[..<colon]
    }

    /// The last path segment's extension ("png" of "/a/b.png"), or nil.
    var pathExtension: Substring? {
        let segmentStart = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let segment = path[segmentStart...]
        guard let dot = segment.lastIndex(of: "."), dot != segment.startIndex else { return nil }
        let ext = segment[segment.index(after: dot)...]
        return ext.isEmpty ? nil : ext
    }

    /// The L7 key the policy gets: a hash of the lower-cased host and the path, so that `maglev`
    /// sends the same object to the same server (cache-friendly affinity). The query is left out.
    var contentKey: UInt64 { ContentKey.hash(host: host, path: path) }
}

/// The content key: FNV-1a over the lower-cased host, a zero byte, then the path; mixed.
enum ContentKey {
    static func hash(host: Substring, path: Substring) -> UInt64 {
        var hash = FlowHash.fnv1a(host.utf8.lazy.map(asciiLower))
        hash = FlowHash.fnv1a(CollectionOfOne(0), seed: hash)
        hash = FlowHash.fnv1a(path.utf8, seed: hash)
        return FlowHash.mix(hash)
    }
}
