#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import SashaRing
import SashaSDK

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
    private var channel: (any Channel)?
    /// Socket addresses by member: NIO boxes each one, so they are made once.
    private var destinations: [IPv4Address: SocketAddress] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline = UInt64.max
    private var observers: [any RoleObserver] = []
    /// Write futures of the last packets (SIGTERM), collected only while leaving.
    private var leaveWrites: [EventLoopFuture<Void>]?
    private let log: RingEventLog
    private let metrics: RingMetrics
    /// Datagrams whose source was not IPv4: the ring speaks IPv4 only.
    private var droppedNotIPv4: UInt64 = 0

    init(configuration: RingMachine.Configuration, port: UInt16, link: LinkBroadcast? = nil, eventLoop: any EventLoop,
         logger: Logger, metrics: RingMetrics) {
        self.eventLoop = eventLoop
        self.address = configuration.address
        self.port = port
        self.link = link
        self.machine = RingMachine(configuration: configuration, now: Clocks.monotonic(), wallClockMicroseconds: Clocks.wallMicroseconds())
        self.log = RingEventLog(logger: logger)
        self.metrics = metrics
        effects.reserveCapacity(16)
    }

    // MARK: Events

    /// Starts looking for a ring through `channel` (the bound UDP socket).
    func start(channel: any Channel) {
        eventLoop.preconditionInEventLoop()
        self.channel = channel
        let now = Clocks.monotonic()
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
        let now = Clocks.monotonic()
        envelope.data.withUnsafeReadableBytes { machine.receive($0, from: sender, now: now, into: &effects) }
        apply(now: now)
    }

    private func tick() {
        let now = Clocks.monotonic()
        machine.tick(now: now, into: &effects)
        apply(now: now)
    }

    /// Leaves the ring gracefully (SIGTERM): the machine hands the dispatcher role over in a new
    /// view sent twice; the future completes when those datagrams are with the kernel.
    func leave() -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        timer?.cancel()
        timer = nil
        leaveWrites = []
        let now = Clocks.monotonic()
        machine.leave(now: now, into: &effects)
        apply(now: now)
        let writes = leaveWrites ?? []
        leaveWrites = nil
        log.left(announced: !writes.isEmpty)
        return EventLoopFuture.andAllComplete(writes, on: eventLoop)
    }

    // MARK: Effects

    private func apply(now: UInt64) {
        if !effects.isEmpty {
            var wrote = false
            // The view a role change came with: it directly follows its `.viewChanged`.
            var adopted: RingView?
            for effect in effects {
                switch effect {
                case let .send(bytes, destination):
                    write(ByteBuffer(bytes: bytes), to: destination)
                    wrote = true
                case let .broadcast(bytes):
                    // One datagram to the link's broadcast address where there is one, a copy to
                    // each known member off the link (or to every one, on loopback).
                    let buffer = ByteBuffer(bytes: bytes)
                    if let link { write(buffer, to: link.broadcast) }
                    for target in machine.broadcastTargets where link?.isOnLink(target) != true { write(buffer, to: target) }
                    wrote = true
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
            if wrote { channel?.flush() }
        }
        metrics.update(machine.counters, droppedNotIPv4: droppedNotIPv4)
        rearm(now: now)
    }

    private func write(_ buffer: ByteBuffer, to member: IPv4Address) {
        guard let channel else { return }
        let envelope = AddressedEnvelope(remoteAddress: destination(member), data: buffer)
        if leaveWrites != nil {
            let promise = eventLoop.makePromise(of: Void.self)
            leaveWrites?.append(promise.futureResult)
            channel.write(envelope, promise: promise)
        } else {
            channel.write(envelope, promise: nil)
        }
    }

    private func destination(_ member: IPv4Address) -> SocketAddress {
        if let known = destinations[member] { return known }
        var raw = sockaddr_in()
        raw.sin_family = sa_family_t(AF_INET)
        raw.sin_port = port.bigEndian
        raw.sin_addr.s_addr = member.value.bigEndian
        let made = SocketAddress(raw, host: member.description)
        if destinations.count < 4096 { destinations[member] = made }
        return made
    }

    // MARK: Timer

    /// One timer, at `machine.nextDeadline`. A later deadline keeps the earlier timer (it fires,
    /// ticks harmlessly, and re-arms), so the steady stream of heartbeats, each of which pushes
    /// the deadline on, does not cancel and schedule a task per packet. A deadline the machine
    /// already let pass after a tick is put 1 ms ahead, so that a machine bug cannot spin the loop.
    private func rearm(now: UInt64) {
        var deadline = machine.nextDeadline
        guard deadline != .max else { return }
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
            let now = Clocks.monotonic()
            machine.setHealthy(healthy, now: now, into: &effects)
            apply(now: now)
        }
    }

    /// Sends a cluster message to `destination` (nil: every member) out of band: at once, in a
    /// packet of its own, round the ring to its receivers. Any thread.
    public func submit(channel: UInt8, payload: [UInt8], to destination: IPv4Address?) {
        eventLoop.execute { [self] in
            let now = Clocks.monotonic()
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
                                               at: Clocks.monotonic()))
            }
        }
    }

    /// What the member knows now, for `sasha status`; on the event loop.
    public func snapshot() -> RingSnapshot {
        eventLoop.preconditionInEventLoop()
        return RingSnapshot(address: address, view: machine.view, role: machine.role, isJoining: machine.isJoining,
                            counters: machine.counters, droppedNotIPv4: droppedNotIPv4)
    }

    /// `snapshot()` from any thread.
    public func currentSnapshot() -> EventLoopFuture<RingSnapshot> {
        eventLoop.submit { [self] in snapshot() }
    }

    func transportError(_ error: any Error) {
        log.transportError(error)
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
}
