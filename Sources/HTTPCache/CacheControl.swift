import HTTPDate
import NIOHTTP1

/// The `Cache-Control` directives a shared cache acts on (RFC 9111 §5.2), parsed from every
/// `Cache-Control` line of a request or a response.
///
/// Parsing is forgiving about shape, because the header comes from clients and servers we do not
/// control: names are case-insensitive, arguments may be tokens or quoted strings (RFC 9111 §5.2
/// asks recipients to accept both, and a quoted comma does not end a directive), and junk after
/// an argument is skipped up to the next comma. It is not forgiving about ages: an age directive
/// whose argument is missing or not a delta-seconds (`max-age=-1`, `max-age='60'`, `max-age=`)
/// reads as 0, so the response is stale (RFC 9111 §4.2.1 encourages that) rather than given a
/// lifetime nobody chose. When a directive appears twice the most restrictive reading wins: any
/// flag stays set, and of two ages the smaller counts.
public struct CacheControl: Sendable, Equatable {
    public var noStore = false
    /// Set by `no-cache` with or without a field list (storing with the fields removed is not
    /// worth it: the whole response is treated as needing revalidation).
    public var noCache = false
    /// Set by `private` with or without a field list.
    public var isPrivate = false
    public var isPublic = false
    public var mustRevalidate = false
    public var proxyRevalidate = false
    public var onlyIfCached = false
    /// `must-understand` (RFC 9111 §5.2.2.3): `no-store` applies only to statuses the cache does
    /// not know the caching rules of.
    public var mustUnderstand = false
    /// Seconds; `max-age` (0 when its argument is invalid).
    public var maxAge: Int64?
    /// Seconds; `s-maxage` (shared caches only, beats `max-age`; 0 when invalid).
    public var sharedMaxAge: Int64?
    /// Seconds; request `min-fresh` (0 when invalid, which asks for nothing).
    public var minFresh: Int64?
    /// Seconds; response `stale-while-revalidate` (RFC 5861 §3; 0 when invalid: no window).
    public var staleWhileRevalidate: Int64?
    /// Seconds; response `stale-if-error` (RFC 5861 §4; 0 when invalid: no window).
    public var staleIfError: Int64?

    public init() {}

    /// The directives of one header value (`"public, max-age=60"`).
    public init(parsing value: String) {
        merge(value)
    }

    /// The directives of all `Cache-Control` lines of `headers`.
    public init(_ headers: HTTPHeaders) {
        for (name, value) in headers where name.equalsASCIICaseInsensitive("cache-control") {
            merge(value)
        }
    }

    /// Whether the response carries any of the directives that let a shared cache store a
    /// response to a request with `Authorization` (RFC 9111 §3.5): `public`, `s-maxage`, or
    /// `must-revalidate` (the origin is asked again once it is stale).
    var allowsSharingAuthorized: Bool { isPublic || sharedMaxAge != nil || mustRevalidate }

    /// Adds the directives of one more header value.
    public mutating func merge(_ value: String) {
        var value = value
        value.withUTF8 { parse($0) }
    }

    private mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        let end = bytes.count
        while index < end {
            while index < end, bytes[index] == .comma || bytes[index].isWhitespace { index += 1 }
            guard index < end else { return }
            let nameStart = index
            while index < end, bytes[index] != .comma, bytes[index] != .equals, !bytes[index].isWhitespace {
                index += 1
            }
            let name = UnsafeBufferPointer(rebasing: bytes[nameStart..<index])
            while index < end, bytes[index].isWhitespace { index += 1 }
            var argument: UnsafeBufferPointer<UInt8>?
            if index < end, bytes[index] == .equals {
                index += 1
                while index < end, bytes[index].isWhitespace { index += 1 }
                if index < end, bytes[index] == .quote {
                    index += 1
                    let argumentStart = index
                    while index < end, bytes[index] != .quote {
                        index += bytes[index] == .backslash ? 2 : 1
                    }
                    index = min(index, end)
                    argument = UnsafeBufferPointer(rebasing: bytes[argumentStart..<index])
                    if index < end { index += 1 }  // the closing quote
                } else {
                    let argumentStart = index
                    while index < end, bytes[index] != .comma, !bytes[index].isWhitespace { index += 1 }
                    argument = UnsafeBufferPointer(rebasing: bytes[argumentStart..<index])
                }
            }
            // Whatever follows a directive up to the next comma is junk.
            while index < end, bytes[index] != .comma { index += 1 }
            apply(name: name, argument: argument)
        }
    }

    private mutating func apply(name: UnsafeBufferPointer<UInt8>, argument: UnsafeBufferPointer<UInt8>?) {
        if name.equalsLowercase("no-store") {
            noStore = true
        } else if name.equalsLowercase("no-cache") {
            noCache = true
        } else if name.equalsLowercase("private") {
            isPrivate = true
        } else if name.equalsLowercase("public") {
            isPublic = true
        } else if name.equalsLowercase("must-revalidate") {
            mustRevalidate = true
        } else if name.equalsLowercase("proxy-revalidate") {
            proxyRevalidate = true
        } else if name.equalsLowercase("only-if-cached") {
            onlyIfCached = true
        } else if name.equalsLowercase("must-understand") {
            mustUnderstand = true
        } else if name.equalsLowercase("max-age") {
            maxAge = Self.smaller(maxAge, Self.seconds(argument))
        } else if name.equalsLowercase("s-maxage") {
            sharedMaxAge = Self.smaller(sharedMaxAge, Self.seconds(argument))
        } else if name.equalsLowercase("min-fresh") {
            minFresh = Self.smaller(minFresh, Self.seconds(argument))
        } else if name.equalsLowercase("stale-while-revalidate") {
            staleWhileRevalidate = Self.smaller(staleWhileRevalidate, Self.seconds(argument))
        } else if name.equalsLowercase("stale-if-error") {
            staleIfError = Self.smaller(staleIfError, Self.seconds(argument))
        }
    }

    private static func smaller(_ old: Int64?, _ new: Int64) -> Int64 {
        guard let old else { return new }
        return min(old, new)
    }

    /// An age argument; missing or invalid reads as 0 (see the type's comment).
    private static func seconds(_ argument: UnsafeBufferPointer<UInt8>?) -> Int64 {
        argument.flatMap(DeltaSeconds.parse) ?? 0
    }
}
