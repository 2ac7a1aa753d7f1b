import NIOCore
import NIOHTTP1
import SashaBase
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The l7 strategy's HTTP cache: a shared cache (RFC 9111) in memory, bounded in bytes, with one
/// upstream request per key at a time.
///
/// Thread-safe: one lock, held only to look up, insert or hand over waiters; callbacks and
/// copying run outside it. The proxy calls it from every event loop.
public final class ResponseCache: Sendable {
    public let options: CacheOptions
    let defaultTTL: UInt64
    let wallClock: @Sendable () -> Int64
    private let state: Protected<State>
    private let bypasses = Atomic<Int>(0)

    struct FlightKey: Hashable {
        var key: CacheKey
        /// A HEAD fill (its response has no body, so only HEAD requests may wait for it).
        var isHead: Bool
    }

    private struct Waiter {
        var request: HTTPHeaders
        var isHead: Bool
        var whenFilled: @Sendable (CachedResponse?) -> Void
    }

    private struct Flight {
        var id: UInt64
        var waiters: [Waiter] = []
    }

    private struct State {
        var store: LRUStore
        var flights: [FlightKey: Flight] = [:]
        var nextFlightID: UInt64 = 0
        var hits = 0
        var misses = 0
        var coalescedWaits = 0
        var staleHits = 0
        var revalidations = 0
        var notModified = 0
        var stores = 0
        /// Lookups that may not fill or wait on a miss (see `CacheLookup.bypass`).
        var missBypasses = 0
    }

    /// - Parameter wallClock: seconds since the epoch, for `Expires` on responses without `Date`
    ///   (tests pass a fixed one).
    public init(options: CacheOptions, wallClock: @escaping @Sendable () -> Int64 = ResponseCache.systemWallClock) {
        self.options = options
        defaultTTL = options.defaultTTL.clampedNanoseconds
        self.wallClock = wallClock
        state = Protected(State(store: LRUStore(capacity: options.maxBytes)))
    }

    @Sendable
    public static func systemWallClock() -> Int64 { Int64(time(nil)) }

    /// Adds `X-Cache: MISS` to a response that did not come from the cache.
    public static func markMiss(_ head: inout HTTPResponseHead) {
        head.headers.replaceOrAdd(name: "X-Cache", value: "MISS")
    }

    public var statistics: CacheStatistics {
        var statistics = state.withLock { state in
            var statistics = CacheStatistics()
            statistics.hits = state.hits
            statistics.misses = state.misses
            statistics.coalescedWaits = state.coalescedWaits
            statistics.staleHits = state.staleHits
            statistics.revalidations = state.revalidations
            statistics.notModified = state.notModified
            statistics.bypasses = state.missBypasses
            statistics.stores = state.stores
            statistics.evictions = state.store.removals.evictions
            statistics.expirations = state.store.removals.expirations
            statistics.invalidations = state.store.removals.invalidations
            statistics.bytes = state.store.bytes
            statistics.entries = state.store.count
            return statistics
        }
        statistics.bypasses += bypasses.load(ordering: .relaxed)
        return statistics
    }

    /// Decides how `request` is served. `now` is monotonic nanoseconds (the proxy's clock).
    public func lookup(
        _ request: HTTPRequestHead,
        now: UInt64,
        whenFilled: @escaping @Sendable (CachedResponse?) -> Void
    ) -> CacheLookup {
        guard options.enabled else { return .bypass }
        let policy: RequestPolicy
        switch RequestPolicy.decide(request) {
        case .bypass(let reason):
            bypasses.add(1, ordering: .relaxed)
            // RFC 9111 §4.4: a successful write to a URL makes what was stored for it suspect.
            return reason == .unsafeMethod ? .invalidateOnSuccess(CacheInvalidation(cache: self, key: CacheKey(request))) : .bypass
        case .lookup(let decided):
            policy = decided
        }

        let key = CacheKey(request)
        enum Outcome {
            case hit(StoredResponse)
            case hitAndRefresh(StoredResponse, FlightKey, UInt64)
            case fill(FlightKey, UInt64, stale: StoredResponse?)
            case wait
            case bypass
            case onlyIfCachedMiss
        }
        let outcome: Outcome = state.withLock { state in
            var stale: StoredResponse?
            if policy.mayUseStored, let entry = state.store.find(key, request: request.headers, isHead: policy.isHead, now: now) {
                if entry.isFresh(at: now), policy.accepts(entry, now: now) {
                    state.hits += 1
                    return .hit(entry)
                }
                // Too old for it: revalidated by its fetch, or served if the server fails.
                if policy.mayShare(entry) { stale = entry }
            }
            // Not even a running fill may answer it: its waiters go upstream when it stores nothing.
            if policy.onlyIfCached { return .onlyIfCachedMiss }
            guard policy.mayStore else {
                state.missBypasses += 1
                return .bypass
            }
            let getFlight = FlightKey(key: key, isHead: false)
            let ownFlight = FlightKey(key: key, isHead: policy.isHead)
            // A HEAD can take its answer from a GET fill; a GET cannot from a HEAD fill.
            let running = state.flights[getFlight] != nil ? getFlight : state.flights[ownFlight] != nil ? ownFlight : nil
            if let running, policy.mayCoalesce {
                if let stale, stale.servesWhileRevalidating(at: now) {
                    // RFC 5861 §3: one request refreshes it; the others take it stale meanwhile.
                    state.hits += 1
                    state.staleHits += 1
                    return .hit(stale)
                }
                state.flights[running]!.waiters.append(
                    Waiter(request: request.headers, isHead: policy.isHead, whenFilled: whenFilled)
                )
                state.coalescedWaits += 1
                return .wait
            } else if !policy.mayCoalesce, state.flights[ownFlight] != nil {
                // It wants its own upstream answer and someone else holds the fill.
                state.missBypasses += 1
                return .bypass
            }
            state.nextFlightID += 1
            state.flights[ownFlight] = Flight(id: state.nextFlightID)
            if let stale, !policy.isHead, policy.mayCoalesce, stale.servesWhileRevalidating(at: now) {
                // RFC 5861 §3: served stale now, refreshed in the background.
                state.hits += 1
                state.staleHits += 1
                if stale.staleUse.validators.exist { state.revalidations += 1 }
                return .hitAndRefresh(stale, ownFlight, state.nextFlightID)
            }
            state.misses += 1
            if stale?.staleUse.validators.exist == true { state.revalidations += 1 }
            return .fill(ownFlight, state.nextFlightID, stale: stale)
        }
        switch outcome {
        case .hit(let entry):
            var cached = CachedResponse(entry, forHead: policy.isHead)
            // If-None-Match and If-Modified-Since come before Range (RFC 9110 §13.2.2).
            if policy.isConditional { cached.answer(conditional: request.headers, wallClock: wallClock) }
            if let range = policy.range { cached.answer(range: range, ifRange: policy.ifRange) }
            return .hit(cached)
        case .hitAndRefresh(let entry, let flightKey, let id):
            let cached = CachedResponse(entry, forHead: false)
            let refresh = CacheFill(cache: self, flight: flightKey, id: id, request: request.headers, policy: policy, stale: entry)
            return .hitAndRefresh(cached, refresh)
        case .fill(let flightKey, let id, let stale):
            return .fill(
                CacheFill(cache: self, flight: flightKey, id: id, request: request.headers, policy: policy, stale: stale)
            )
        case .wait:
            return .wait
        case .bypass:
            return .bypass
        case .onlyIfCachedMiss:
            return .onlyIfCachedMiss
        }
    }

    /// Drops every variant stored for each key.
    func invalidate(_ keys: [CacheKey]) {
        state.withLock { state in
            for key in keys { state.store.invalidate(key) }
        }
    }

    func countNotModified() { state.withLock { $0.notModified += 1 } }

    func countStaleHit() {
        state.withLock {
            $0.hits += 1
            $0.staleHits += 1
        }
    }

    /// Ends a flight: stores `entry` when given, then calls the waiters (outside the lock) with
    /// the entry when it is their variant, nil otherwise.
    /// `answer`: what the waiters get when nothing is stored (a stale entry served because the
    /// server failed, or a refreshed one the store refused).
    func complete(_ flight: FlightKey, id: UInt64, storing entry: StoredResponse?, answering answer: StoredResponse? = nil,
                  leader request: HTTPHeaders) {
        let (waiters, stored): ([Waiter], StoredResponse?) = state.withLock { state in
            var stored = answer
            if let entry, state.store.insert(entry, for: flight.key, request: request) {
                state.stores += 1
                stored = entry
            }
            guard state.flights[flight]?.id == id else { return ([], stored) }
            return (state.flights.removeValue(forKey: flight)!.waiters, stored)
        }
        for waiter in waiters {
            if let stored, stored.answers(waiter.request, isHead: waiter.isHead) {
                waiter.whenFilled(CachedResponse(stored, forHead: waiter.isHead))
            } else {
                waiter.whenFilled(nil)
            }
        }
    }
}
