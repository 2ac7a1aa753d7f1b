/// Counts a member keeps of its ring traffic; the daemon exports them through swift-metrics.
public struct RingCounters: Equatable, Sendable {
    public var packetsIn: UInt64 = 0
    public var packetsOut: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    /// Dropped datagrams, by cause.
    public var droppedBadTag: UInt64 = 0
    public var droppedReplay: UInt64 = 0
    public var droppedStaleRing: UInt64 = 0
    public var droppedMalformed: UInt64 = 0
    /// The datagram's source address is not the sender the packet names.
    public var droppedSpoofed: UInt64 = 0
    /// From a sender epoch not verified yet: a process that just started (it is challenged and
    /// counts once it answers), or a recording of one that is gone.
    public var droppedUnverified: UInt64 = 0
    /// A join refused because the ring already holds `RingView.maximumMembers`.
    public var droppedRingFull: UInt64 = 0
    /// Heartbeats that came back to the master: complete rotations.
    public var rotations: UInt64 = 0
    /// Times this member saw a new dispatcher named.
    public var elections: UInt64 = 0
    public var purges: UInt64 = 0
    public var viewChanges: UInt64 = 0
    /// Messages removed because they went round more than once.
    public var expiredMessages: UInt64 = 0

    public init() {}

    /// All drops together, without building `drops`: cheap enough to ask after every event.
    public var dropped: UInt64 {
        droppedBadTag &+ droppedReplay &+ droppedStaleRing &+ droppedMalformed &+ droppedSpoofed &+ droppedRingFull
            &+ droppedUnverified
    }

    /// Every drop counter by a stable name (metrics label, status JSON).
    public var drops: [(cause: String, count: UInt64)] {
        [("bad_tag", droppedBadTag), ("replay", droppedReplay), ("stale_ring", droppedStaleRing),
         ("malformed", droppedMalformed), ("spoofed", droppedSpoofed), ("ring_full", droppedRingFull),
         ("unverified", droppedUnverified)]
    }
}
