import HTTPDate
import NIOHTTP1

/// What the cache may do for one request, decided from its head alone (RFC 9111 §4 and §5.2.1,
/// as a shared cache in front of the servers).
struct RequestPolicy: Sendable, Equatable {
    enum Decision: Sendable, Equatable {
        /// Not the cache's business: go upstream, store nothing.
        case bypass(BypassReason)
        /// Look in the cache; on a miss fetch (and store when allowed).
        case lookup(RequestPolicy)
    }

    enum BypassReason: Sendable, Equatable {
        case method, range, unsafeMethod
    }

    /// A HEAD: answered from a GET entry without body, or from a HEAD entry.
    var isHead: Bool
    /// May a stored response answer it? False for `no-cache`, `Pragma: no-cache`, `max-age=0`.
    var mayUseStored: Bool
    /// May the response to it be stored? False for request `no-store` and conditional requests.
    var mayStore: Bool
    /// `Authorization`: only entries (and responses) marked `public` or `s-maxage` may be shared.
    var isAuthorized: Bool
    /// `Cookie`: the answer may be personal though it does not say so, so only explicit
    /// freshness (never the heuristic one) lets it be stored.
    var hasCookie = false
    /// `If-None-Match` or `If-Modified-Since`: a fresh hit may be answered with 304.
    var isConditional = false
    /// `Range` (one line) and `If-Range`: a hit may be a 206 slice of the entry.
    var range: String?
    var ifRange: String?
    /// `only-if-cached` (RFC 9111 §5.2.1.7): a miss is answered 504, never fetched.
    var onlyIfCached = false
    /// Request `max-age` (seconds): an older entry does not answer it.
    var maxAge: Int64?
    /// Request `min-fresh` (seconds): the entry must stay fresh at least that much longer.
    var minFresh: Int64?

    /// May it wait for another request's fill? Only when it would accept what that fill stores.
    var mayCoalesce: Bool { mayUseStored && mayStore && !isAuthorized && maxAge == nil && minFresh == nil }

    static func decide(_ request: HTTPRequestHead) -> Decision {
        let isHead: Bool
        switch request.method {
        case .GET: isHead = false
        case .HEAD: isHead = true
        // OPTIONS and TRACE are safe; any other method is unsafe or of unknown safety, and either
        // way makes what was stored for the URL suspect (RFC 9111 §4.4).
        case .OPTIONS, .TRACE: return .bypass(.method)
        default: return .bypass(.unsafeMethod)
        }
        var policy = RequestPolicy(
            isHead: isHead, mayUseStored: true, mayStore: true, isAuthorized: false, maxAge: nil, minFresh: nil
        )
        var cacheControl: CacheControl?
        var ranges = 0
        for (name, value) in request.headers {
            switch name.utf8.count {
            case 5 where name.equalsASCIICaseInsensitive("range"):
                ranges += 1
                policy.range = value
            case 8 where name.equalsASCIICaseInsensitive("if-range"):
                policy.ifRange = value
                policy.mayStore = false
            case 6 where name.equalsASCIICaseInsensitive("pragma"):
                if CacheControl(parsing: value).noCache { policy.mayUseStored = false }
            case 6 where name.equalsASCIICaseInsensitive("cookie"):
                policy.hasCookie = true
            case 13 where name.equalsASCIICaseInsensitive("authorization"):
                policy.isAuthorized = true
            case 13 where name.equalsASCIICaseInsensitive("if-none-match"),
                17 where name.equalsASCIICaseInsensitive("if-modified-since"):
                policy.isConditional = true
                policy.mayStore = false
            case 8 where name.equalsASCIICaseInsensitive("if-match"),
                19 where name.equalsASCIICaseInsensitive("if-unmodified-since"):
                // Its answer is often a 304, not a response to store: a stored entry may answer
                // it (a full 200 is a valid answer), but on a miss it neither fills nor waits.
                policy.mayStore = false
            case 13 where name.equalsASCIICaseInsensitive("cache-control"):
                if cacheControl == nil { cacheControl = CacheControl() }
                cacheControl!.merge(value)
            default:
                continue
            }
        }
        if let cacheControl {
            if cacheControl.noCache || cacheControl.maxAge == 0 { policy.mayUseStored = false }
            if cacheControl.noStore { policy.mayStore = false }
            policy.maxAge = cacheControl.maxAge
            policy.minFresh = cacheControl.minFresh
            policy.onlyIfCached = cacheControl.onlyIfCached
        }
        if ranges > 0 {
            // A fresh complete entry answers one range with a slice of it; a miss goes upstream
            // without filling (the answer is a part). Two Range lines are not worth reading.
            guard ranges == 1 else {
                guard policy.onlyIfCached else { return .bypass(.range) }
                policy.mayUseStored = false
                policy.mayStore = false
                return .lookup(policy)
            }
            policy.mayStore = false
        }
        return .lookup(policy)
    }

    /// Whether `entry` may be used for this request at all, fresh or not (`Authorization`).
    func mayShare(_ entry: StoredResponse) -> Bool { !isAuthorized || entry.answersAuthorized }

    /// Whether `entry` (fresh at `now`) answers this request as far as age and sharing go; the
    /// variant and the body are checked by the store.
    func accepts(_ entry: StoredResponse, now: UInt64) -> Bool {
        guard mayUseStored else { return false }
        guard mayShare(entry) else { return false }
        let age = entry.age(at: now)
        if let maxAge, age > nanoseconds(seconds: maxAge) { return false }
        if let minFresh, entry.lifetime &- age < nanoseconds(seconds: minFresh) { return false }
        return true
    }
}
