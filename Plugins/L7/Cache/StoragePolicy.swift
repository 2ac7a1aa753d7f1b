import HTTPDate
import NIOHTTP1

/// Whether a shared cache may store a response, and for how long it stays fresh (RFC 9111 §3 and
/// §4.2.1). Pure: the caller passes the clock readings.
enum StoragePolicy {
    enum Decision: Sendable, Equatable {
        case store(lifetime: UInt64, initialAge: UInt64, vary: [String], answersAuthorized: Bool)
        case refuse(RefusalReason)
    }

    enum RefusalReason: Sendable, Equatable {
        case status, noStore, noCache, isPrivate, setCookie, varyStar, authorization, noFreshness, stale, tooLarge
    }

    /// Statuses that RFC 9110 §15.1 calls heuristically cacheable: the only ones given the
    /// default TTL when the response says nothing about freshness.
    static func isCacheableByDefault(_ status: HTTPResponseStatus) -> Bool {
        switch status.code {
        case 200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501: true
        default: false
        }
    }

    /// - Parameters:
    ///   - defaultTTL: nanoseconds of freshness for default-cacheable statuses without explicit
    ///     freshness.
    ///   - wallClock: seconds since the epoch now, for `Expires` when the response has no `Date`.
    static func decide(
        _ response: HTTPResponseHead,
        requestIsAuthorized: Bool,
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
        var upstreamAge: Int64 = 0
        for (name, value) in response.headers {
            switch name.utf8.count {
            case 3 where name.equalsASCIICaseInsensitive("age"):
                if let seconds = Int64(value.trimmingWhitespaceString()), seconds > 0 {
                    upstreamAge = max(upstreamAge, seconds)
                }
            case 4 where name.equalsASCIICaseInsensitive("date"):
                date = value
            case 7 where name.equalsASCIICaseInsensitive("expires"):
                expires = value
                expiresLines += 1
            case 10 where name.equalsASCIICaseInsensitive("set-cookie"):
                return .refuse(.setCookie)
            case 13 where name.equalsASCIICaseInsensitive("cache-control"):
                cacheControl.merge(value)
            default:
                continue
            }
        }
        if cacheControl.noStore { return .refuse(.noStore) }
        if cacheControl.noCache { return .refuse(.noCache) }
        if cacheControl.isPrivate { return .refuse(.isPrivate) }
        if requestIsAuthorized, !cacheControl.allowsSharingAuthorized { return .refuse(.authorization) }
        guard let vary = VarySelection.names(of: response.headers) else { return .refuse(.varyStar) }

        let lifetime: UInt64
        if let sharedMaxAge = cacheControl.sharedMaxAge {
            lifetime = nanoseconds(seconds: sharedMaxAge)
        } else if let maxAge = cacheControl.maxAge {
            lifetime = nanoseconds(seconds: maxAge)
        } else if expiresLines > 0 {
            // Unparsable, or two lines that may disagree: already expired (RFC 9111 §5.3).
            guard expiresLines == 1, let expiresAt = expires.flatMap({ HTTPDate.parse($0, now: wallClock()) }) else {
                return .refuse(.stale)
            }
            let base = date.flatMap({ HTTPDate.parse($0, now: wallClock()) }) ?? wallClock()
            let (seconds, overflow) = expiresAt.subtractingReportingOverflow(base)
            lifetime = overflow ? 0 : nanoseconds(seconds: seconds)
        } else if isCacheableByDefault(response.status) {
            lifetime = defaultTTL
        } else {
            return .refuse(.noFreshness)
        }
        let initialAge = nanoseconds(seconds: upstreamAge)
        guard lifetime > initialAge else { return .refuse(.stale) }
        return .store(
            lifetime: lifetime, initialAge: initialAge, vary: vary,
            answersAuthorized: cacheControl.allowsSharingAuthorized
        )
    }
}

extension String {
    func trimmingWhitespaceString() -> String { String(self[...].trimmingWhitespace()) }
}
