/// The validators a stored response can be revalidated with (RFC 9110 §8.8): its `ETag` and
/// `Last-Modified`, as the origin sent them.
struct Validators: Sendable, Equatable {
    var etag: String?
    var lastModified: String?

    var exist: Bool { etag != nil || lastModified != nil }

    /// The fields that make a revalidation request conditional (RFC 9111 §4.3.1): both, when the
    /// entry has both, so an origin that only checks one of them still answers 304. Field values
    /// came through the strict head scanner, so they hold no CR, LF or NUL.
    var conditionalFields: String {
        var fields = ""
        if let etag { fields += "If-None-Match: \(etag)\r\n" }
        if let lastModified { fields += "If-Modified-Since: \(lastModified)\r\n" }
        return fields
    }
}

/// What a stored response allows once it is stale: revalidation, and serving it stale for a
/// while (RFC 5861) unless the origin forbids that.
struct StaleUse: Sendable, Equatable {
    var validators: Validators
    /// `must-revalidate`, `proxy-revalidate`, `s-maxage` or `no-cache` (RFC 9111 §5.2.2): never
    /// served stale, whatever `stale-while-revalidate` or `stale-if-error` say.
    var mustRevalidate: Bool
    /// Nanoseconds past its lifetime it may answer while one request refreshes it.
    var whileRevalidating: UInt64
    /// Nanoseconds past its lifetime it may answer when the server fails (error, 5xx).
    var ifError: UInt64

    static let none = StaleUse(validators: Validators(), mustRevalidate: true, whileRevalidating: 0, ifError: 0)

    init(validators: Validators, mustRevalidate: Bool, whileRevalidating: UInt64, ifError: UInt64) {
        self.validators = validators
        self.mustRevalidate = mustRevalidate
        self.whileRevalidating = mustRevalidate ? 0 : whileRevalidating
        self.ifError = mustRevalidate ? 0 : ifError
    }

    init(_ cacheControl: CacheControl, validators: Validators) {
        self.init(
            validators: validators,
            mustRevalidate: cacheControl.mustRevalidate || cacheControl.proxyRevalidate || cacheControl.noCache
                || cacheControl.sharedMaxAge != nil,
            whileRevalidating: nanoseconds(seconds: cacheControl.staleWhileRevalidate ?? 0),
            ifError: nanoseconds(seconds: cacheControl.staleIfError ?? 0)
        )
    }

    /// Whether keeping the response past its lifetime is worth anything.
    var isUseful: Bool { validators.exist || whileRevalidating > 0 || ifError > 0 }

    /// Whether an entry `staleness` nanoseconds past its lifetime is still worth keeping.
    func keeps(staleness: UInt64) -> Bool {
        validators.exist || staleness < whileRevalidating || staleness < ifError
    }
}
