#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import SashaRing
import SashaSDK
import Synchronization

/// One ring member on real time and real datagrams: the `RingMachine` confined to one NIO event
/// loop, with no lock anywhere on the packet path (every method below runs on `eventLoop`; the
/// class is `@unchecked Sendable` only so that NIO closures may carry it there).
///
/// After every event (a datagram, the timer) the node carries out the machine's effects (writes,
/// log lines, role observers), brings the metrics up to the machine's counters, and re-arms one
/// timer at `machine.nextDeadline`.
public final class RingNode: @unchecked Sendable {
    public let eventLoop: any EventLoop
    public let address: IPv4Address
    private let port: UInt16
    /// Where broadcasts go as one datagram (nil: fan-out to every known member).
    private let link: LinkBroadcast?
    private var machine: RingMachine
    /// Reused for every event so that carrying effects out allocates nothing of ours.
    private var effects: [RingEffect] = []
    /// Where datagrams go out (see `RingSocket`): nil until `start`.
    private var sender: RingSender?
    /// Socket addresses by member, made once.
    private var destinations: [IPv4Address: sockaddr_in] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline = UInt64.max
    private var observers: [any RoleObserver] = []
    /// Datagrams handed to the kernel (a leave says whether it announced anything).
    private var datagramsSent: UInt64 = 0
    /// Send and receive errors by cause and peer; each change is one log line.
    private var faults = TransportFaults()
    /// When this member was last cut off from every peer it sends to (monotonic ns; 0: never),
    /// for any thread: a member alone because its link is down is not the last one standing.
    public let cutOffAt = Atomic<UInt64>(0)
    /// How far back a send counts for `cutOffAt`: joins and beacons go out several times in it.
    private let cutOffWindow: UInt64
    private let log: RingEventLog
    private let metrics: RingMetrics
    /// Set by `halt`: nothing is sent or scheduled any more.
    private var halted = false
    /// Datagrams whose source was not IPv4: the ring speaks IPv4 only.
    private var droppedNotIPv4: UInt64 = 0

    init(configuration: RingMachine.Configuration, port: UInt16, link: LinkBroadcast? = nil, eventLoop: any EventLoop,
         logger: Logger, metrics: RingMetrics) {
        self.eventLoop = eventLoop
        self.address = configuration.address
        self.port = port
        self.link = link
        // A new epoch for every start, from the system's random source: peers verify it with a
        // challenge, so no recording of an earlier run is taken for this one (PeerFreshness).
        self.machine = RingMachine(configuration: configuration, now: MonotonicClock.nanoseconds, wallClockMicroseconds: WallClock.microseconds,
                                   epoch: UInt32.random(in: 1...UInt32.max))
        self.log = RingEventLog(logger: logger)
        cutOffWindow = configuration.timing.broadcastTimeout
        self.metrics = metrics
        effects.reserveCapacity(16)
    }

    // MARK: Events

    /// Starts looking for a ring, sending through `sender` (the bound UDP socket's own descriptor).
    func start(sender: RingSender) {
        eventLoop.preconditionInEventLoop()
        self.sender = sender
        let now = MonotonicClock.nanoseconds
        machine.start(now: now, into: &effects)
        apply(now: now)
    }

    func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard case let .v4(source) = envelope.remoteAddress else {
            droppedNotIPv4 += 1
            metrics.update(machine.counters, droppedNotIPv4: droppedNotIPv4)
            return
        }
        let sender = IPv4Address(UInt32(bigEndian: source.address.sin_addr.s_addr))
        let now = MonotonicClock.nanoseconds
        if let change = faults.received() { log.transport(change) }
        envelope.data.withUnsafeReadableBytes { machine.receive($0, from: sender, now: now, into: &effects) }
        apply(now: now)
    }

    private func tick() {
        let now = MonotonicClock.nanoseconds
        machine.tick(now: now, into: &effects)
        apply(now: now)
    }

    /// Leaves the ring gracefully (SIGTERM): the machine hands the dispatcher role over in a new
    /// view sent twice. Sends are synchronous: when this returns, those datagrams are with the
    /// kernel (or failed, and were counted).
    func leave() {
        eventLoop.preconditionInEventLoop()
        timer?.cancel()
        timer = nil
        let before = datagramsSent
        let now = MonotonicClock.nanoseconds
        machine.leave(now: now, into: &effects)
        apply(now: now)
        log.left(announced: datagramsSent > before)
    }

    /// Stops sending and ticking for good, without leaving: what a crash looks like to the ring
    /// (`Daemon.crash`).
    func halt() {
        eventLoop.preconditionInEventLoop()
        halted = true
        timer?.cancel()
        timer = nil
        sender = nil
    }

    // MARK: Effects

    private func apply(now: UInt64) {
        if !effects.isEmpty {
            // The view a role change came with: it directly follows its `.viewChanged`.
            var adopted: RingView?
            for effect in effects {
                switch effect {
                case let .send(bytes, destination):
                    write(bytes, to: destination, now: now)
                case let .broadcast(bytes):
                    // One datagram to the link's broadcast address where there is one, a copy to
                    // each known member off the link (or to every one, on loopback).
                    if let link { write(bytes, to: link.broadcast, now: now) }
                    for target in machine.broadcastTargets where link?.isOnLink(target) != true { write(bytes, to: target, now: now) }
                case let .viewChanged(view, elapsed):
                    log.viewChanged(view, elapsed: elapsed)
                    metrics.viewChanged(view)
                    adopted = view
                    for observer in observers { observer.viewChanged(view) }
                case let .roleChanged(from, to, cause):
                    log.roleChanged(from: from, to: to, cause: cause)
                    metrics.roleChanged(to)
                    let event = RoleEvent(from: from, to: to, cause: cause, view: adopted ?? machine.view, at: now)
                    for observer in observers { observer.roleChanged(event) }
                case let .faultDetected(suspect):
                    log.faultDetected(suspect: suspect)
                case let .purged(by, suspect):
                    log.purged(by: by, suspect: suspect)
                case let .delivered(channel, payload, from):
                    log.delivered(channel: channel, count: payload.count, from: from)
                    for observer in observers { observer.delivered(channel: channel, payload: payload, from: from) }
                }
            }
            effects.removeAll(keepingCapacity: true)
            if faults.isCutOff(now: now, window: cutOffWindow) { cutOffAt.store(now, ordering: .relaxed) }
        }
        metrics.update(machine.counters, droppedNotIPv4: droppedNotIPv4)
        rearm(now: now)
    }

    /// One datagram, at once. A send that fails is counted for its peer and cause, and logged
    /// when that peer's state changes; it never closes the socket (see `RingSocket`).
    private func write(_ bytes: [UInt8], to member: IPv4Address, now: UInt64) {
        guard let sender else { return }
        let target = destination(member)
        let error = bytes.withUnsafeBytes { sender.send($0, to: target) }
        let change: TransportFaults.Change?
        if error == 0 {
            datagramsSent += 1
            change = faults.sent(to: member, now: now)
        } else {
            change = faults.sendFailed(to: member, errno: error, now: now)
            metrics.transportFailed(TransportFaults.Cause(errno: error), peer: member)
        }
        if let change { log.transport(change) }
    }

    private func destination(_ member: IPv4Address) -> sockaddr_in {
        if let known = destinations[member] { return known }
        var raw = sockaddr_in()
        raw.sin_family = sa_family_t(AF_INET)
        raw.sin_port = port.bigEndian
        raw.sin_addr.s_addr = member.value.bigEndian
        if destinations.count < 4096 { destinations[member] = raw }
        return raw
    }

    // MARK: Timer

    /// One timer, at `machine.nextDeadline`. A later deadline keeps the earlier timer (it fires,
    /// ticks harmlessly, and re-arms), so the steady stream of heartbeats, each of which pushes
    /// the deadline on, does not cancel and schedule a task per packet. A deadline the machine
    /// already let pass after a tick is put 1 ms ahead, so that a machine bug cannot spin the loop.
    private func rearm(now: UInt64) {
        var deadline = machine.nextDeadline
        guard deadline != .max, !halted else { return }
        if deadline <= now { deadline = now + 1_000_000 }
        guard deadline < timerDeadline else { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = eventLoop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) { [self] in
            timer = nil
            timerDeadline = .max
            tick()
        }
    }

    /// This member's own health check changed; the master records it in the view, and the
    /// dispatcher gives an unhealthy member no new connections. From any thread.
    public func setHealthy(_ healthy: Bool) {
        eventLoop.execute { [self] in
            let now = MonotonicClock.nanoseconds
            machine.setHealthy(healthy, now: now, into: &effects)
            apply(now: now)
        }
    }

    /// Whether this member's data path can carry the dispatcher's traffic: false takes it out of
    /// the election (a dispatcher hands the role over), true lets it be elected again later. From
    /// any thread.
    public func setDispatchReady(_ ready: Bool) {
        eventLoop.execute { [self] in
            let now = MonotonicClock.nanoseconds
            machine.setDispatchReady(ready, now: now, into: &effects)
            apply(now: now)
        }
    }

    /// Sends a cluster message to `destination` (nil: every member) out of band: at once, in a
    /// packet of its own, round the ring to its receivers. Any thread.
    public func submit(channel: UInt8, payload: [UInt8], to destination: IPv4Address?) {
        eventLoop.execute { [self] in
            let now = MonotonicClock.nanoseconds
            machine.submit(channel: channel, payload: payload, to: destination, outOfBand: true, into: &effects)
            apply(now: now)
        }
    }

    // MARK: Observers and status

    /// Adds an observer of role changes (see `RoleObserver`). If this member already has a role
    /// in a ring, the observer is told at once, as a change from `.joining` with cause
    /// "observer attached", so that a strategy attached late still starts.
    public func addRoleObserver(_ observer: any RoleObserver) {
        eventLoop.execute { [self] in
            observers.append(observer)
            if let view = machine.view { observer.viewChanged(view) }
            let role = machine.role
            if role != .joining {
                observer.roleChanged(RoleEvent(from: .joining, to: role, cause: "observer attached", view: machine.view,
                                               at: MonotonicClock.nanoseconds))
            }
        }
    }

    /// What the member knows now, for `sasha status`; on the event loop.
    public func snapshot() -> RingSnapshot {
        eventLoop.preconditionInEventLoop()
        return RingSnapshot(address: address, view: machine.view, role: machine.role, isJoining: machine.isJoining,
                            counters: machine.counters, droppedNotIPv4: droppedNotIPv4, transport: faults)
    }

    /// `snapshot()` from any thread.
    public func currentSnapshot() -> EventLoopFuture<RingSnapshot> {
        eventLoop.submit { [self] in snapshot() }
    }

    /// An error the socket's reader met (NIO reports it; reads name no peer). Counted, logged once
    /// per change of cause; the socket stays open.
    func transportError(_ error: any Error) {
        guard let code = (error as? IOError)?.errnoCode else {
            log.transportError(error)
            return
        }
        metrics.transportFailed(TransportFaults.Cause(errno: code), peer: nil)
        if let change = faults.receiveFailed(errno: code) { log.transport(change) }
    }
}

/// A member's state at one moment, as `sasha status` shows it.
public struct RingSnapshot: Sendable {
    public var address: IPv4Address
    /// The view of the current ring; while rejoining after a purge, the view of the purged one.
    public var view: RingView?
    public var role: RingRole
    public var isJoining: Bool
    public var counters: RingCounters
    public var droppedNotIPv4: UInt64
    /// The socket's send and receive errors by cause and peer.
    public var transport = TransportFaults()
}
