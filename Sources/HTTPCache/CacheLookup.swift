/// What a lookup tells the proxy to do.
public enum CacheLookup: Sendable {
    /// Serve it; `whenFilled` will not be called.
    case hit(CachedResponse)
    /// Serve it (stale, as `stale-while-revalidate` allows), and have the fill refresh the entry
    /// in the background: a request of its own to a server, with no client waiting.
    case hitAndRefresh(CachedResponse, CacheFill)
    /// You are the one upstream request for this key: feed the response to the fill.
    case fill(CacheFill)
    /// Another request is fetching it: `whenFilled` is called once with the stored response, or
    /// nil (then go upstream yourself). It runs on the thread that ends the fill (the leader's
    /// event loop), so hop to your own event loop before touching your channel.
    case wait
    /// Not for the cache (method, Range, disabled), or a request that may not start or join a
    /// fill: a miss with request `no-store` or a conditional header, or one that wants its own
    /// upstream answer (`no-cache`, `max-age`, `Authorization`) while another fetch runs. Go
    /// upstream, do not fill.
    case bypass
    /// An unsafe method (or one of unknown safety): go upstream, and hand the response head to
    /// the invalidation, which drops the URL's entries if it is a success.
    case invalidateOnSuccess(CacheInvalidation)
    /// The request said `only-if-cached` and nothing stored answers it: reply 504 Gateway
    /// Timeout without contacting a server (RFC 9111 §5.2.1.7).
    case onlyIfCachedMiss
}
