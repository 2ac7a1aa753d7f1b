import NIOHTTP1

/// An unsafe request's (or one of unknown safety's) hold on the URLs it may change: once its
/// answer is known to be a success (2xx or 3xx), what is stored for its URL, and for the
/// `Location` and `Content-Location` of the answer when they name the same host, is dropped
/// (RFC 9111 §4.4). A failed write changed nothing, so the stored entries stay.
///
/// Not thread-safe: one request's, used from its event loop.
public struct CacheInvalidation: Sendable {
    private let cache: ResponseCache
    private let key: CacheKey

    init(cache: ResponseCache, key: CacheKey) {
        self.cache = cache
        self.key = key
    }

    /// The answer's head arrived: invalidates when it is a success.
    public func responded(_ head: HTTPResponseHead) {
        guard (200..<400).contains(head.status.code) else { return }
        var keys = [key]
        for (name, value) in head.headers
        where name.equalsASCIICaseInsensitive("location") || name.equalsASCIICaseInsensitive("content-location") {
            if let target = Self.sameHostTarget(value, host: key.host, base: key.target) {
                keys.append(CacheKey(host: key.host, target: target))
            }
        }
        cache.invalidate(keys)
    }

    /// The request target a URI reference names on `host`, or nil for another host (or a shape
    /// not understood): an absolute URI, an absolute path, or a path relative to `base`'s
    /// directory. The fragment goes; the scheme is not checked (the proxy speaks one).
    static func sameHostTarget(_ reference: String, host: String, base: String) -> String? {
        var reference = Substring(reference).trimmingWhitespace()
        if let hash = reference.firstIndex(of: "#") { reference = reference[..<hash] }
        guard !reference.isEmpty else { return nil }
        if let colon = reference.firstIndex(of: ":"), reference[colon...].hasPrefix("://"),
           reference[..<colon].allSatisfy({ $0.isLetter || $0 == "+" || $0 == "-" || $0 == "." }) {
            let rest = reference[reference.index(colon, offsetBy: 3)...]
            let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            guard rest[..<pathStart].lowercased() == host else { return nil }
            let path = rest[pathStart...]
            return path.first == "/" ? String(path) : "/" + path
        }
        if reference.hasPrefix("//") { return nil }
        if reference.hasPrefix("/") { return String(reference) }
        let basePath = base.prefix { $0 != "?" }
        guard let slash = basePath.lastIndex(of: "/") else { return nil }
        return String(basePath[...slash]) + reference
    }
}
