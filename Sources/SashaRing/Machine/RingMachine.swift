import SashaBase

/// One ring member's protocol, as a value: events in (a datagram, time passing, a local request),
/// effects out (`RingEffect`). No sockets, no clock, no randomness: the daemon and the simulator
/// drive the very same code, and a simulated run replays exactly from its seed.
///
/// The life of a member (docs/ring-protocol.md has the whole protocol):
/// - **Joining**: it broadcasts `join` every third of a broadcast timeout and listens. A ring's
///   master that hears it inserts it by address and broadcasts the new view. Members that are all
///   joining (a cold start, or a rebuild after a purge) wait one broadcast timeout; then the
///   smallest address among those heard forms the ring and broadcasts its view.
/// - **In a ring**: the master (smallest address) originates a heartbeat every `heartbeat`; every
///   member forwards ring packets to its downstream neighbour. Silence from the upstream neighbour
///   for `tokenTimeout` is a fault: the member broadcasts a purge (and relays it downstream round
///   the break), and everyone rejoins.
/// - **Election**: a view keeps its dispatcher while that member is in it; otherwise the smallest
///   address that may dispatch is elected, members already in the ring before newcomers (no
///   preemption). When rings meet (a healed partition), the one with the smaller master absorbs
///   the other and the higher of the two dispatchers abdicates. A ring of one has no dispatcher:
///   its member is `standalone`.
public struct RingMachine: Sendable {
    public struct Configuration: Sendable {
        public var address: IPv4Address
        public var canDispatch: Bool
        public var timing: RingTiming
        public var codec: RingCodec
        /// `ring.members`: where to send broadcasts when the link has no broadcast address.
        public var seeds: [IPv4Address]

        public init(address: IPv4Address, canDispatch: Bool, timing: RingTiming, codec: RingCodec, seeds: [IPv4Address]) {
            self.address = address
            self.canDispatch = canDispatch
            self.timing = timing
            self.codec = codec
            self.seeds = seeds
        }
    }

    enum Phase: Equatable {
        /// Looking for a ring since `since`. `previousRing` is the ring it left (0: none).
        case joining(since: UInt64, previousRing: UInt64)
        case member
        /// Left gracefully; ignores everything.
        case stopped
    }

    public let configuration: Configuration
    var phase: Phase
    /// The current view; while rejoining after a purge, the view of the ring that was purged.
    public internal(set) var view: RingView?
    /// The member's role. It survives a purge unchanged (a dispatcher keeps dispatching while the
    /// ring rebuilds) and changes only when a new view is adopted.
    public internal(set) var role: RingRole = .joining
    public internal(set) var counters = RingCounters()
    public internal(set) var healthy = true
    /// False while this member's data path cannot carry traffic (the strategy could not start, or
    /// its capture failed and could not be reopened): it stays out of the election.
    public internal(set) var dispatchReady = true
    /// Whether this member may be elected now: its configuration allows it and its data path works.
    public var mayDispatch: Bool { configuration.canDispatch && dispatchReady }
    /// When the fault or purge that the member is recovering from started; for `elapsed`.
    var recoveryStarted: UInt64?

    var joinsHeard: [IPv4Address: (request: JoinRequest, at: UInt64)] = [:]
    /// While rebuilding after a purge: the members of the purged ring, but the suspects, that
    /// have yet to be heard rejoining. Nil on a cold start (nobody knows who will come).
    var awaitedRejoiners: Set<IPv4Address>?
    var lastFromUpstream: UInt64 = 0
    /// When the driver last called in (a datagram or a tick); a long gap means this member was
    /// not running (frozen, starved of CPU), not that its neighbour fell silent.
    var lastRun: UInt64
    var nextHeartbeat: UInt64 = 0
    var nextJoin: UInt64 = 0
    var nextBeacon: UInt64 = 0
    /// This process's packets, counted from 1 under its epoch (`freshness.ownEpoch`).
    var sequence: UInt64 = 0
    /// Which senders' packets are fresh: verified epochs, challenges out, sequences seen.
    var freshness: PeerFreshness
    /// Answers to challenges heard in the packet being handled, not sent yet (`takeAnswers`).
    var pendingAnswers: [RingMessage] = []
    /// Every member ever seen, for broadcasts by fan-out.
    var known: Set<IPv4Address> = []
    /// Cluster messages waiting for the token to pass.
    var waitingForToken: [RingMessage] = []
    /// Wall-clock microseconds minus monotonic microseconds: turns `now` into a ring creation time.
    let wallClockOffset: UInt64
    var lastRingCreated: UInt64 = 0
    /// When the member last adopted a view: joins in flight from before it are no restarts.
    var lastViewChange: UInt64 = 0

    public var address: IPv4Address { configuration.address }
    var timing: RingTiming { configuration.timing }

    /// - Parameters:
    ///   - now: monotonic nanoseconds; every later call passes the same clock.
    ///   - wallClockMicroseconds: the wall clock now. Rings are named by creation time; no
    ///     packet's freshness depends on it.
    ///   - epoch: a random number drawn afresh for every process start (0 is taken as 1). Every
    ///     packet carries it, and peers trust this process's packets only once it has answered
    ///     their challenge under it, so a recording of an earlier process is never taken for this
    ///     one. The machine holds no randomness itself: the driver draws it (the simulator from
    ///     its seed).
    public init(configuration: Configuration, now: UInt64, wallClockMicroseconds: UInt64, epoch: UInt32) {
        self.configuration = configuration
        self.phase = .joining(since: now, previousRing: 0)
        self.freshness = PeerFreshness(ownEpoch: max(epoch, 1))
        self.lastRun = now
        self.wallClockOffset = wallClockMicroseconds &- now / 1000
        self.known = Set(configuration.seeds).subtracting([configuration.address])
    }

    /// How long a joining member waits before the smallest joiner forms the ring. On a cold start,
    /// a broadcast timeout: nobody knows who will come. After a purge, at most a heartbeat: every
    /// live member of the purged ring rejoins the moment the purge reaches it, so one that has not
    /// within a heartbeat is taken for silent. This matters when the first member to time out
    /// named the wrong suspect (it times out on a live upstream neighbour that merely had no
    /// token to pass on, before the dead member's own neighbour does): the dead member is then
    /// still awaited, and waiting a whole broadcast timeout for it would add half a second to
    /// failover. A live member that was slower than that comes back a moment later as a joiner.
    var formingWait: UInt64 {
        awaitedRejoiners == nil ? timing.broadcastTimeout : min(timing.broadcastTimeout, timing.heartbeat)
    }

    /// True while the member is not in a ring: starting, or rebuilding after a purge.
    public var isJoining: Bool { if case .joining = phase { true } else { false } }
    public var isStopped: Bool { phase == .stopped }

    /// The ring this member is in, 0 while joining.
    public var currentRing: UInt64 { phase == .member ? view?.ring ?? 0 : 0 }

    /// Where broadcasts go when the link has no broadcast address: the configured members and
    /// every member seen since, in address order.
    public var broadcastTargets: [IPv4Address] { known.sorted() }

    /// The earliest time the machine wants `tick` again.
    public var nextDeadline: UInt64 {
        switch phase {
        case .stopped:
            return .max
        case let .joining(since, _):
            // A smaller joiner forms the ring, so this member's next chance to form is when that
            // joiner's join expires (it went away); asking for the broadcast timeout again once it
            // has passed would be a deadline in the past, and a driver's timer would spin on it.
            var formCheck = since + formingWait
            for (joiner, heard) in joinsHeard where joiner < address {
                formCheck = max(formCheck, heard.at + timing.joinExpiry + 1)
            }
            return min(nextJoin, formCheck)
        case .member:
            guard let view else { return .max }
            var deadline = UInt64.max
            if view.master == address {
                deadline = min(nextHeartbeat, nextBeacon)
            }
            if view.count > 1 {
                deadline = min(deadline, lastFromUpstream + timing.tokenTimeout + 1, lastRun + timing.tokenTimeout / 4)
            }
            return deadline
        }
    }

    /// Starts looking for a ring: the first join goes out at once.
    public mutating func start(now: UInt64, into effects: inout [RingEffect]) {
        phase = .joining(since: now, previousRing: 0)
        awaitedRejoiners = nil
        nextJoin = now
        tick(now: now, into: &effects)
    }

    /// Runs the timers that are due.
    public mutating func tick(now: UInt64, into effects: inout [RingEffect]) {
        resume(now: now, into: &effects)
        switch phase {
        case .stopped:
            return
        case let .joining(since, _):
            expireJoins(now: now)
            if formsTheRing, now >= since + formingWait || everyoneRejoined {
                formRing(now: now, into: &effects)
                return
            }
            if now >= nextJoin {
                broadcastJoin(now: now, into: &effects)
                nextJoin = now + timing.joinInterval
            }
        case .member:
            guard let view else { return }
            if view.master == address {
                if now >= nextHeartbeat {
                    sendHeartbeat(view: view, now: now, into: &effects)
                    nextHeartbeat = max(nextHeartbeat + timing.heartbeat, now + 1)
                }
                if now >= nextBeacon {
                    broadcast([RingMessage(origin: address, body: .beacon(memberCount: UInt16(view.count), dispatcher: view.dispatcher))],
                              ring: view.ring, into: &effects)
                    nextBeacon = now + timing.beaconInterval
                }
            }
            if view.count > 1, now > lastFromUpstream + timing.tokenTimeout, let suspect = view.upstream(of: address) {
                detectFault(suspect: suspect, view: view, now: now, into: &effects)
            }
        }
    }

    /// Notices that the member itself was not running. Longer than a token timeout: the others
    /// have surely purged it, so it rejoins at once instead of speaking for a ring that has moved
    /// on. Longer than half of one: it cannot tell its neighbour's silence from its own absence, so
    /// the neighbour gets a fresh timeout rather than an accusation (no false failover when the
    /// host is starved of CPU). The machine asks for a tick every quarter timeout to tell the two
    /// apart.
    mutating func resume(now: UInt64, into effects: inout [RingEffect]) {
        defer { lastRun = max(lastRun, now) }
        guard phase == .member, let view, view.count > 1, now > lastRun + timing.tokenTimeout / 2 else { return }
        if now > lastRun + timing.tokenTimeout {
            beginRejoin(leaving: view, now: now, into: &effects)
        } else {
            lastFromUpstream = max(lastFromUpstream, now)
        }
    }

    /// Leaves the ring at once and hands the dispatcher role over (SIGTERM): the new view goes
    /// out twice, so that one lost copy does not leave the others waiting for a timeout.
    public mutating func leave(now: UInt64, into effects: inout [RingEffect]) {
        defer { phase = .stopped }
        guard phase == .member, var next = view, next.count > 1 else { return }
        next.remove(address)
        next.version &+= 1
        next.cause = .left
        next.settleDispatcher()
        for _ in 0..<2 {
            broadcast([RingMessage(origin: address, body: .view(next))], ring: next.ring, into: &effects)
        }
    }

    /// The member's own health check changed. The master records it in the view.
    public mutating func setHealthy(_ healthy: Bool, now: UInt64, into effects: inout [RingEffect]) {
        guard self.healthy != healthy else { return }
        self.healthy = healthy
        reportHealthIfStale(now: now, into: &effects)
    }

    /// Whether this member's data path can carry the dispatcher's traffic. False makes the master
    /// elect another dispatcher (this member, when it dispatches, then gets the server role and
    /// stops); true lets it be elected again later, without taking the role from a dispatcher
    /// that works.
    public mutating func setDispatchReady(_ ready: Bool, now: UInt64, into effects: inout [RingEffect]) {
        guard dispatchReady != ready else { return }
        dispatchReady = ready
        reportHealthIfStale(now: now, into: &effects)
    }

    /// Sends a message to the layers above on other members: to one (`to`) or every member.
    /// It waits for the token to pass unless `outOfBand`, in which case it goes at once in its own
    /// packet (the spec's out-of-band packet).
    public mutating func submit(channel: UInt8, payload: [UInt8], to destination: IPv4Address?, outOfBand: Bool,
                                into effects: inout [RingEffect]) {
        guard phase == .member, let view, view.count > 1, let next = view.downstream(of: address) else { return }
        let message = RingMessage(origin: address, destination: destination, body: .cluster(channel: channel, payload: payload))
        if outOfBand {
            send([message], to: next, ring: view.ring, into: &effects)
        } else {
            waitingForToken.append(message)
        }
    }
}
