import NIOCore
import NIOHTTP1
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
    private let state: Locked<State>
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
        state = Locked(State(store: LRUStore(capacity: options.maxBytes)))
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
            if reason == .unsafeMethod {
                // RFC 9111 §4.4: a write to a URL makes what was stored for it suspect.
                let key = CacheKey(request)
                state.withLock { $0.store.invalidate(key) }
            }
            bypasses.add(1, ordering: .relaxed)
            return .bypass
        case .lookup(let decided):
            policy = decided
        }

        let key = CacheKey(request)
        enum Outcome {
            case hit(StoredResponse)
            case fill(FlightKey, UInt64)
            case wait
            case bypass
            case onlyIfCachedMiss
        }
        let outcome: Outcome = state.withLock { state in
            if policy.mayUseStored,
               let entry = state.store.find(key, request: request.headers, isHead: policy.isHead, now: now),
               policy.accepts(entry, now: now) {
                state.hits += 1
                return .hit(entry)
            }
            // Not even a running fill may answer it: its waiters go upstream when it stores nothing.
            if policy.onlyIfCached { return .onlyIfCachedMiss }
            guard policy.mayStore else {
                state.missBypasses += 1
                return .bypass
            }
            let getFlight = FlightKey(key: key, isHead: false)
            let ownFlight = FlightKey(key: key, isHead: policy.isHead)
            if policy.mayCoalesce {
                // A HEAD can take its answer from a GET fill; a GET cannot from a HEAD fill.
                let running = state.flights[getFlight] != nil ? getFlight : state.flights[ownFlight] != nil ? ownFlight : nil
                if let running {
                    state.flights[running]!.waiters.append(
                        Waiter(request: request.headers, isHead: policy.isHead, whenFilled: whenFilled)
                    )
                    state.coalescedWaits += 1
                    return .wait
                }
            } else if state.flights[ownFlight] != nil {
                // It wants its own upstream answer and someone else holds the fill.
                state.missBypasses += 1
                return .bypass
            }
            state.nextFlightID += 1
            state.flights[ownFlight] = Flight(id: state.nextFlightID)
            state.misses += 1
            return .fill(ownFlight, state.nextFlightID)
        }
        switch outcome {
        case .hit(let entry):
            return .hit(CachedResponse(entry, forHead: policy.isHead))
        case .fill(let flightKey, let id):
            return .fill(
                CacheFill(cache: self, flight: flightKey, id: id, request: request.headers, policy: policy)
            )
        case .wait:
            return .wait
        case .bypass:
            return .bypass
        case .onlyIfCachedMiss:
            return .onlyIfCachedMiss
        }
    }

    /// Ends a flight: stores `entry` when given, then calls the waiters (outside the lock) with
    /// the entry when it is their variant, nil otherwise.
    func complete(_ flight: FlightKey, id: UInt64, storing entry: StoredResponse?, leader request: HTTPHeaders) {
        let (waiters, stored): ([Waiter], StoredResponse?) = state.withLock { state in
            var stored: StoredResponse?
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
