import NIOHTTP1

/// A stored response brought up to date by the server's 304 to a revalidation (RFC 9111 §3.2 and
/// §4.3.4): every field the 304 carries replaces the stored lines of that name, except
/// `Content-Length` (the 304 describes no body) and the hop-by-hop fields; the body stays. The
/// entry's freshness is then decided again from the updated head, as for a new response, and its
/// age counts from now.
enum Freshening {
    /// Fields a 304 never updates: the body they describe is the stored one.
    private static let kept = ["content-length"]
    /// A merged head beyond these is not stored again: a server answering each revalidation
    /// with new field names must not grow an entry without bound.
    static let maximumFields = 100
    static let maximumHeadBytes = 65_536

    /// The updated entry, and whether it may be stored (an updated `no-store` or `private` still
    /// answers this request, but is not kept).
    static func update(
        _ stored: StoredResponse, with notModified: HTTPResponseHead, for policy: RequestPolicy,
        flight: ResponseCache.FlightKey, cache: ResponseCache, now: UInt64
    ) -> (entry: StoredResponse, store: Bool) {
        var merged = stored.head
        merged.headers = mergedFields(stored.head.headers, notModified.headers)
        let decision = StoragePolicy.decide(merged, for: policy, defaultTTL: cache.defaultTTL, wallClock: cache.wallClock)
        let head = StoredResponse.storableHead(merged, bodyLength: stored.isBodyless ? nil : stored.body.readableBytes)
        var entry = stored
        entry.head = head
        entry.storedAt = now
        entry.cost = StoredResponse.cost(head: head, body: stored.body, vary: stored.vary, key: flight.key)
        guard case .store(let storable) = decision else {
            entry.initialAge = 0
            entry.lifetime = 0
            entry.staleUse = .none
            return (entry, false)
        }
        // A 304 that changes what the entry varies on, or makes its head too large, answers this
        // request but is not stored: the stored variant selection no longer describes it.
        let headBytes = head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        guard storable.vary.map({ $0.lowercased() }) == stored.vary.names.map({ $0.lowercased() }),
              head.headers.count <= maximumFields, headBytes <= maximumHeadBytes else {
            entry.initialAge = 0
            entry.lifetime = 0
            entry.staleUse = .none
            return (entry, false)
        }
        entry.initialAge = storable.initialAge
        entry.lifetime = storable.lifetime
        entry.answersAuthorized = storable.answersAuthorized
        entry.staleUse = storable.staleUse
        return (entry, true)
    }

    /// The stored fields with each name the 304 carries replaced by its lines.
    static func mergedFields(_ stored: HTTPHeaders, _ update: HTTPHeaders) -> HTTPHeaders {
        var merged = stored
        var replaced: Set<String> = []
        for (name, _) in update {
            let lowered = name.lowercased()
            guard !kept.contains(lowered), replaced.insert(lowered).inserted else { continue }
            merged.remove(name: name)
        }
        for (name, value) in update where replaced.contains(name.lowercased()) {
            merged.add(name: name, value: value)
        }
        return merged
    }
}
