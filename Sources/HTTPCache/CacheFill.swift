import NIOCore
import NIOHTTP1

/// The leader's handle on a miss: the proxy feeds it the upstream response as it streams to the
/// client, and the fill stores it (when it may) and wakes the requests waiting for it.
///
/// Not thread-safe: the proxy uses it from one event loop. Waiters are never left hanging: a fill
/// that cannot store wakes them with nil as soon as it knows (at `begin`, or when the body grows
/// past `maxObjectBytes`), and one dropped without `finish` or `abandon` does so in `deinit`.
public final class CacheFill: @unchecked Sendable {
    private let cache: ResponseCache
    private let flight: ResponseCache.FlightKey
    private let id: UInt64
    private let request: HTTPHeaders
    /// What the leading request allows (sharing with `Authorization`, heuristics with `Cookie`).
    private let policy: RequestPolicy
    /// The response being collected, between a storable `begin` and `finish`.
    private var pending: Pending?
    /// The flight is over (stored, refused or abandoned): every later call is a no-op.
    private var isComplete = false
    /// The entry this fetch replaces: stale, or too old for the request. It is revalidated (the
    /// request goes with `conditionalFields`) and answers instead of a server that fails, when
    /// `stale-if-error` allows.
    private let stale: StoredResponse?

    private struct Pending {
        var head: HTTPResponseHead
        var body: ByteBuffer
        var storedAt: UInt64
        var initialAge: UInt64
        var lifetime: UInt64
        var varyNames: [String]
        var answersAuthorized: Bool
        var staleUse: StaleUse
    }

    init(
        cache: ResponseCache, flight: ResponseCache.FlightKey, id: UInt64, request: HTTPHeaders, policy: RequestPolicy,
        stale: StoredResponse? = nil
    ) {
        self.cache = cache
        self.flight = flight
        self.id = id
        self.request = request
        self.policy = policy
        self.stale = stale
    }

    /// Field lines (`If-None-Match: "v1"\r\n`) to add to the request sent upstream: it revalidates
    /// a stored entry, and a 304 answer goes to `notModified` instead of the client. Nil for a
    /// plain fetch.
    public var conditionalFields: String? {
        guard let validators = stale?.staleUse.validators, validators.exist else { return nil }
        return validators.conditionalFields
    }

    /// Whether a 5xx from the server (or no answer at all) should be replaced by the stored
    /// entry, as its `stale-if-error` allows now.
    public func servesStaleOnError(now: UInt64) -> Bool { stale?.servesOnError(at: now) == true }

    deinit {
        if !isComplete {
            cache.complete(flight, id: id, storing: nil, leader: request)
        }
    }

    /// Whether the fill is still collecting a response it means to store.
    public var isStoring: Bool { pending != nil }

    /// Decides from the head whether the response may be stored; when not, the waiters are woken
    /// with nil now and later calls do nothing. `now` becomes the entry's stored time.
    public func begin(_ head: HTTPResponseHead, now: UInt64) {
        guard !isComplete, pending == nil else { return }
        let decision = StoragePolicy.decide(
            head, for: policy, defaultTTL: cache.defaultTTL, wallClock: cache.wallClock
        )
        guard case .store(let storable) = decision else {
            return complete(storing: nil)
        }
        var expectedLength = 0
        if !flight.isHead, let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }), declared >= 0 {
            guard declared <= cache.options.maxObjectBytes else { return complete(storing: nil) }
            expectedLength = declared
        }
        pending = Pending(
            head: head,
            body: ByteBufferAllocator().buffer(capacity: expectedLength),
            storedAt: now,
            initialAge: storable.initialAge,
            lifetime: storable.lifetime,
            varyNames: storable.vary,
            answersAuthorized: storable.answersAuthorized,
            staleUse: storable.staleUse
        )
    }

    /// Copies the chunk when still storing; past `maxObjectBytes` the fill is abandoned (the
    /// proxy keeps streaming to its client regardless).
    public func append(_ chunk: ByteBuffer) {
        guard pending != nil, !flight.isHead else { return }
        guard pending!.body.readableBytes + chunk.readableBytes <= cache.options.maxObjectBytes else {
            return complete(storing: nil)
        }
        pending!.body.writeImmutableBuffer(chunk)
    }

    /// The response ended: stores it when storable, wakes the waiters with it (or nil).
    public func finish(now: UInt64) {
        guard !isComplete else { return }
        guard let pending else { return complete(storing: nil) }
        var body = pending.body
        if body.capacity > 2 * body.readableBytes + 1024 {
            // Do not keep a mostly empty allocation for the entry's lifetime.
            var compact = ByteBufferAllocator().buffer(capacity: body.readableBytes)
            compact.writeImmutableBuffer(body)
            body = compact
        }
        let head = StoredResponse.storableHead(pending.head, bodyLength: flight.isHead ? nil : body.readableBytes)
        let vary = VarySelection(names: pending.varyNames, request: request)
        let entry = StoredResponse(
            head: head,
            body: body,
            isBodyless: flight.isHead,
            storedAt: pending.storedAt,
            initialAge: pending.initialAge,
            lifetime: pending.lifetime,
            vary: vary,
            answersAuthorized: pending.answersAuthorized,
            staleUse: pending.staleUse,
            cost: StoredResponse.cost(head: head, body: body, vary: vary, key: flight.key)
        )
        // A body that took longer than the lifetime to arrive is stale already.
        complete(storing: entry.isFresh(at: now) || entry.staleUse.isUseful ? entry : nil)
    }

    /// The server answered the revalidation with 304: the stored entry, its fields updated from
    /// `head` (RFC 9111 §4.3.4), is stored again and answers the request (and its waiters). Nil
    /// when this fill revalidated nothing (the proxy then fails the request as malformed).
    public func notModified(_ head: HTTPResponseHead, now: UInt64) -> CachedResponse? {
        guard !isComplete, let stale else { return nil }
        let updated = Freshening.update(stale, with: head, for: policy, flight: flight, cache: cache, now: now)
        // An entry the store refuses (the 304 made it private, or set a cookie) answers the
        // request that revalidated it only: its waiters are other users, and go upstream.
        complete(storing: updated.store ? updated.entry : nil, answering: updated.store ? updated.entry : nil)
        cache.countNotModified()
        var cached = CachedResponse(updated.entry, forHead: policy.isHead)
        if policy.isConditional { cached.answer(conditional: request, wallClock: cache.wallClock) }
        return cached
    }

    /// The server failed or answered 5xx and `stale-if-error` allows the stored entry instead:
    /// the request and its waiters get it, and the fill ends storing nothing.
    public func staleOnError(now: UInt64) -> CachedResponse? {
        guard !isComplete, let stale, stale.servesOnError(at: now) else { return nil }
        complete(storing: nil, answering: stale)
        cache.countStaleHit()
        return CachedResponse(stale, forHead: policy.isHead)
    }

    /// Upstream failed: wakes the waiters with nil. A no-op after `finish`.
    public func abandon() {
        guard !isComplete else { return }
        complete(storing: nil)
    }

    private func complete(storing entry: StoredResponse?, answering answer: StoredResponse? = nil) {
        isComplete = true
        pending = nil
        cache.complete(flight, id: id, storing: entry, answering: answer, leader: request)
    }
}
