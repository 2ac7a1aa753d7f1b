import HTTPDate
import NIOHTTP1

/// Whether a shared cache may store a response, and for how long it stays fresh (RFC 9111 §3,
/// §4.2.1 and §4.2.2). Pure: the caller passes the clock readings.
enum StoragePolicy {
    enum Decision: Sendable, Equatable {
        case store(Storable)
        case refuse(RefusalReason)
    }

    /// What a storable response's head says about keeping and reusing it.
    struct Storable: Sendable, Equatable {
        /// Freshness lifetime, nanoseconds; 0 for `no-cache` (revalidated before every use).
        let lifetime: UInt64
        var initialAge: UInt64
        var vary: [String]
        var answersAuthorized: Bool
        var staleUse: StaleUse
    }

    enum RefusalReason: Sendable, Equatable {
        case status, noStore, noCache, isPrivate, setCookie, varyStar, authorization, noFreshness, stale, tooLarge
    }

    /// Statuses that RFC 9110 §15.1 calls heuristically cacheable: without explicit freshness
    /// only these (or a `public` response) may be given a heuristic lifetime (RFC 9111 §4.2.2).
    static func isHeuristicallyCacheable(_ status: HTTPResponseStatus) -> Bool {
        switch status.code {
        case 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501: true
        default: false
        }
    }

    /// - Parameters:
    ///   - request: what the leading request allows (`Authorization`, `Cookie`).
    ///   - defaultTTL: nanoseconds; the most heuristic freshness a response without explicit
    ///     freshness may get. 0 means none.
    ///   - wallClock: seconds since the epoch now, for `Expires` and `Last-Modified` when the
    ///     response has no `Date`, and for the century of an RFC 850 date.
    static func decide(
        _ response: HTTPResponseHead,
        for request: RequestPolicy,
        defaultTTL: UInt64,
        wallClock: () -> Int64
    ) -> Decision {
        let status = response.status.code
        // Informational heads are not responses; 206 is a part; 304 only updates an entry.
        guard status >= 200, status != 206, status != 304 else { return .refuse(.status) }

        var cacheControl = CacheControl()
        var expires: String?
        var expiresLines = 0
        var date: String?
        var lastModified: String?
        var upstreamAge: Int64?
        var targeted = false
        var validators = Validators()
        for (name, value) in response.headers {
            switch name.utf8.count {
            case 3 where name.equalsASCIICaseInsensitive("age"):
                // The first line counts; one that is not a number is ignored.
                if upstreamAge == nil { upstreamAge = DeltaSeconds.age(value) ?? 0 }
            case 4 where name.equalsASCIICaseInsensitive("date"):
                date = value
            case 7 where name.equalsASCIICaseInsensitive("expires"):
                expires = value
                expiresLines += 1
            case 10 where name.equalsASCIICaseInsensitive("set-cookie"):
                return .refuse(.setCookie)
            case 13 where name.equalsASCIICaseInsensitive("cache-control"):
                cacheControl.merge(value)
            case 13 where name.equalsASCIICaseInsensitive("last-modified"):
                lastModified = value
                validators.lastModified = value
            case 4 where name.equalsASCIICaseInsensitive("etag"):
                if validators.etag == nil { validators.etag = value }
            case 17 where name.equalsASCIICaseInsensitive("cdn-cache-control"):
                targeted = true
            default:
                continue
            }
        }
        if targeted, let cdn = CDNCacheControl.directives(response.headers) {
            // RFC 9213 §2.1: the targeted field replaces Cache-Control and Expires for this cache.
            cacheControl = cdn
            expiresLines = 0
        }
        // `must-understand` with a status whose rules the cache knows overrides `no-store`.
        if cacheControl.noStore, !(cacheControl.mustUnderstand && isHeuristicallyCacheable(response.status) && status != 206) {
            return .refuse(.noStore)
        }
        // `no-cache` may be stored when it can be revalidated cheaply (RFC 9111 §5.2.2.4).
        if cacheControl.noCache, !validators.exist { return .refuse(.noCache) }
        if cacheControl.isPrivate { return .refuse(.isPrivate) }
        if request.isAuthorized, !cacheControl.allowsSharingAuthorized { return .refuse(.authorization) }
        guard let vary = VarySelection.names(of: response.headers) else { return .refuse(.varyStar) }

        func parse(_ text: String?) -> Int64? { text.flatMap { HTTPDate.parse($0, now: wallClock()) } }
        let lifetime: UInt64
        if cacheControl.noCache {
            lifetime = 0
        } else if let sharedMaxAge = cacheControl.sharedMaxAge {
            lifetime = nanoseconds(seconds: sharedMaxAge)
        } else if let maxAge = cacheControl.maxAge {
            lifetime = nanoseconds(seconds: maxAge)
        } else if expiresLines > 0 {
            // Unparsable, or two lines that may disagree: already expired (RFC 9111 §5.3).
            let expiresAt = expiresLines == 1 ? parse(expires) : nil
            lifetime = expiresAt.map { nanoseconds(seconds: secondsFrom(parse(date) ?? wallClock(), to: $0)) } ?? 0
        } else {
            // Heuristic freshness (RFC 9111 §4.2.2), only as far as the operator allows and the
            // origin's own history suggests: a tenth of the time since it last changed.
            guard defaultTTL > 0, !request.hasCookie,
                  isHeuristicallyCacheable(response.status) || cacheControl.isPublic,
                  let modifiedAt = parse(lastModified)
            else { return .refuse(.noFreshness) }
            let unchanged = secondsFrom(modifiedAt, to: parse(date) ?? wallClock())
            lifetime = min(defaultTTL, nanoseconds(seconds: unchanged / 10))
            // Changed just now: no heuristic lifetime at all, and nothing to revalidate against.
            guard lifetime > 0 else { return .refuse(.noFreshness) }
        }
        let initialAge = nanoseconds(seconds: upstreamAge ?? 0)
        let staleUse = StaleUse(cacheControl, validators: validators)
        // Stale on arrival: worth keeping only to revalidate it or to serve it stale.
        guard lifetime > initialAge || staleUse.isUseful else { return .refuse(.stale) }
        return .store(Storable(
            lifetime: lifetime, initialAge: initialAge, vary: vary,
            answersAuthorized: cacheControl.allowsSharingAuthorized, staleUse: staleUse
        ))
    }

    /// `end - start` in seconds, 0 when negative or beyond `Int64`.
    private static func secondsFrom(_ start: Int64, to end: Int64) -> Int64 {
        let (seconds, overflow) = end.subtractingReportingOverflow(start)
        return overflow ? 0 : max(0, seconds)
    }
}
