import HTTPDate
import NIOHTTP1

/// A client's conditional GET or HEAD answered by the cache itself from a fresh entry (RFC 9111
/// §4.3.2): 304 when the client's copy is the stored one, so the body is not sent again.
enum ClientConditional {
    /// Whether `request` says the client already has `stored` (a 200): `If-None-Match` by weak
    /// comparison (RFC 9110 §13.1.2), or when there is none `If-Modified-Since` against the
    /// entry's `Last-Modified`, else its `Date` (§13.1.3). Unparsable dates never match.
    static func isNotModified(_ request: HTTPHeaders, stored: HTTPResponseHead, wallClock: () -> Int64) -> Bool {
        guard stored.status == .ok else { return false }
        var noneMatch: [String] = []
        var modifiedSince: String?
        for (name, value) in request {
            if name.equalsASCIICaseInsensitive("if-none-match") {
                noneMatch.append(value)
            } else if name.equalsASCIICaseInsensitive("if-modified-since") {
                modifiedSince = value
            }
        }
        if !noneMatch.isEmpty {
            guard let etag = stored.headers.first(name: "etag") else { return noneMatch.contains { Substring($0).trimmingWhitespace() == "*" } }
            let mine = opaque(Substring(etag))
            return noneMatch.contains { line in
                line.split(separator: ",").contains { (element: Substring) in
                    let tag = element.trimmingWhitespace()
                    return tag == "*" || (mine != nil && opaque(tag) == mine)
                }
            }
        }
        guard let modifiedSince, let since = HTTPDate.parse(modifiedSince, now: wallClock()),
              let changed = stored.headers.first(name: "last-modified") ?? stored.headers.first(name: "date"),
              let changedAt = HTTPDate.parse(changed, now: wallClock())
        else { return false }
        return changedAt <= since
    }

    /// The stored head cut down to a 304 (RFC 9110 §15.4.5): the fields a cache needs to update
    /// its own copy, and no content fields.
    static func notModifiedHead(_ stored: HTTPResponseHead) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        for (name, value) in stored.headers where kept.contains(where: { name.equalsASCIICaseInsensitive($0) }) {
            headers.add(name: name, value: value)
        }
        return HTTPResponseHead(version: stored.version, status: .notModified, headers: headers)
    }

    private static let kept = ["cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified"]

    /// An entity tag's opaque part (`W/"x"` and `"x"` compare equal: weak comparison), or nil
    /// when it is not an entity tag.
    private static func opaque(_ tag: Substring) -> Substring? {
        let tag = tag.hasPrefix("W/") ? tag.dropFirst(2) : tag
        guard tag.count >= 2, tag.first == "\"", tag.last == "\"" else { return nil }
        return tag
    }
}
