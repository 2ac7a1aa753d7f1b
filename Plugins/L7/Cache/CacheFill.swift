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

    private struct Pending {
        var head: HTTPResponseHead
        var body: ByteBuffer
        var storedAt: UInt64
        var initialAge: UInt64
        var lifetime: UInt64
        var varyNames: [String]
        var answersAuthorized: Bool
    }

    init(cache: ResponseCache, flight: ResponseCache.FlightKey, id: UInt64, request: HTTPHeaders, policy: RequestPolicy) {
        self.cache = cache
        self.flight = flight
        self.id = id
        self.request = request
        self.policy = policy
    }

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
        guard case .store(let lifetime, let initialAge, let vary, let answersAuthorized) = decision else {
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
            initialAge: initialAge,
            lifetime: lifetime,
            varyNames: vary,
            answersAuthorized: answersAuthorized
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
            cost: StoredResponse.overhead + flight.key.cost + StoredResponse.headCost(head) + vary.cost
                + body.readableBytes
        )
        // A body that took longer than the lifetime to arrive is stale already.
        complete(storing: entry.isFresh(at: now) ? entry : nil)
    }

    /// Upstream failed: wakes the waiters with nil. A no-op after `finish`.
    public func abandon() {
        guard !isComplete else { return }
        complete(storing: nil)
    }

    private func complete(storing entry: StoredResponse?) {
        isComplete = true
        pending = nil
        cache.complete(flight, id: id, storing: entry, leader: request)
    }
}
