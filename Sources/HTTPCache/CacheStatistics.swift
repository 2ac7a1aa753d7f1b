/// Counters since the cache was made, and its size now.
public struct CacheStatistics: Sendable, Equatable {
    /// Lookups answered from the store.
    public var hits = 0
    /// Lookups that became a fill (the one upstream request for their key).
    public var misses = 0
    /// Hits served stale while another request revalidated the entry (`stale-while-revalidate`)
    /// or because the server failed (`stale-if-error`); counted in `hits` too.
    public var staleHits = 0
    /// Fills that asked the server with a conditional request for a stale entry.
    public var revalidations = 0
    /// Responses to revalidations that were 304 Not Modified: the stored body was reused.
    public var notModified = 0
    /// Lookups that waited for another request's fill.
    public var coalescedWaits = 0
    /// Lookups sent upstream without a fill (disabled cache not counted).
    public var bypasses = 0
    /// Responses stored.
    public var stores = 0
    /// Entries dropped to make room (least recently used first).
    public var evictions = 0
    /// Entries dropped because a lookup found them stale.
    public var expirations = 0
    /// Entries superseded by a newer response for the same variant, or dropped because an unsafe
    /// method (POST, PUT, DELETE, PATCH) went to their URL.
    public var invalidations = 0
    /// Bytes charged for the stored entries (key, head estimate, body).
    public var bytes = 0
    /// Entries stored now.
    public var entries = 0

    public init() {}
}
