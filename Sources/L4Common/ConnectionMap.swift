import SashaPacket
import SashaSDK
import Synchronization

/// The dispatcher's connection map with what both L4 strategies do around it: placing a client
/// segment's connection (the map, or the current policy for a SYN, or a consistent policy
/// mid-stream), telling the policy about opened and closed connections, the bounded expiry sweep,
/// and loading connections handed over by `importConnections`.
///
/// Used by one thread only (the input capture's), except `importConnections`, which queues.
public final class ConnectionMap: @unchecked Sendable {
    // @unchecked: `table` and `lastSweep` belong to the input capture's thread; `imports` is a
    // Lock taken once per import and once per sweep that finds one waiting.
    @usableFromInline let host: PluginHost
    @usableFromInline let counters: L4Counters
    private var table: FlowTable
    private var lastSweep: UInt64 = 0
    private let imports = Protected<[Connection]>([])
    @usableFromInline let importsWaiting = Atomic<Bool>(false)
    /// Until when segments of unknown connections wait for the servers' lists (`expectLists`).
    @usableFromInline let listsDue = Atomic<UInt64>(0)
    /// Frames held while lists are awaited; whether imports loaded since (time to send them on).
    @usableFromInline let held = HeldFrames()
    private var loadedSinceHold = false
    private var releasing = false

    /// This member: when it is the last one standing, its kernel takes the VIP's frames itself
    /// (`L4Runtime` puts the VIP on `lo`), so a connection placed here is not forwarded.
    public let node: IPv4Address
    /// `max_flows`: new connections beyond it are refused.
    @usableFromInline let maxFlows: Int

    public init(settings: L4Settings, host: PluginHost, counters: L4Counters, node: IPv4Address) {
        maxFlows = settings.maxFlows
        self.node = node
        self.host = host
        // A new map belongs to a dispatcher that is starting: the lists are on their way from the
        // first frame its capture hands over.
        listsDue.store(host.monotonicNanoseconds &+ Self.listWait, ordering: .relaxed)
        self.counters = counters
        table = FlowTable(
            minimumCapacity: settings.expectedFlows, idleTimeout: settings.idleTimeoutNanoseconds,
            linger: settings.lingerNanoseconds, embryonicTimeout: settings.synTimeoutNanoseconds)
        counters.mapBytes.store(table.byteCount, ordering: .relaxed)
    }

    /// The server of the segment's connection, entering a new one in the map; nil when the frame
    /// must be dropped (no server for a SYN: `no_server`; a lost connection no consistent policy
    /// can place: `unknown_flow`, both counted here).
    /// `frame` is the segment's frame: while lists are awaited, a segment of an unknown
    /// connection is held (copied) instead of dropped, and sent on by `releaseHeld`.
    @inlinable
    public func server(for segment: TCPFrame, frame: UnsafeMutableRawBufferPointer, now: UInt64) -> IPv4Address? {
        let key = FlowKey(request: segment)
        let flags = segment.flags
        let isNew = flags.contains(.syn) && !flags.contains(.ack)
        let live = entryIsLive(key)
        // A SYN on an entry that is closing is a new connection on a reused client port: it gets
        // a fresh pick and a new entry (kept, it would expire with the old one's linger while in
        // use). A SYN on an open or embryonic entry is a retransmission and keeps its server.
        var transition = FlowTable.Transition.none
        if !isNew || live, let server = lookup(key, now: now, flags: flags, transition: &transition) {
            // The policy counts a connection from the client's ACK of the handshake (a SYN flood
            // from addresses that never answer counts nothing) to its FIN or RST.
            switch transition {
            case .established: host.connectionOpened(on: server)
            case .ended: host.connectionClosed(on: server)
            case .none, .expired: break
            }
            return server == node ? nil : server
        }
        // Found idle past its timeout before the sweep came by: it ended, as a swept one does.
        if case .expired(let server) = transition { host.connectionClosed(on: server) }
        if !isNew, let server = awaitedServer(key, now: now, flags: flags) { return server == node ? nil : server }
        if !isNew && now < listsDue.load(ordering: .relaxed) {
            // Not the policy's to place yet: a consistent one would guess, and guess wrong for a
            // connection a list is about to name. Held until the lists are in.
            hold(frame, now: now)
            return nil
        }
        guard hasRoom(for: key) else {
            counters.drop(.mapFull)
            return nil
        }
        let flow = Flow(client: key.client, clientPort: key.clientPort, clusterPort: key.clusterPort, midStream: !isNew)
        guard let server = host.pick(flow) else {
            counters.drop(isNew ? .noServer : .unknownFlow)
            return nil
        }
        insert(key, server: server, now: now, state: isNew ? .embryonic : .open)
        // A connection placed mid-stream is established already: the policy counts it from now,
        // as its end (FIN, RST or expiry) will be counted.
        if isNew { counters.bump(counters.flowsOpened) } else { host.connectionOpened(on: server) }
        return server == node ? nil : server
    }

    /// The server of a connection in the map (imports waiting are loaded first), without
    /// touching its state or age: for an ICMP error about it, which says nothing of its life.
    public func mappedServer(for key: FlowKey, now: UInt64) -> IPv4Address? {
        if let entry = table.entry(for: key) { return entry.server }
        guard importsWaiting.load(ordering: .acquiring) else { return nil }
        loadImports(now: now)
        return table.entry(for: key)?.server
    }

    /// Whether `key` may be entered: the map is under `max_flows`, or already holds it.
    @usableFromInline func hasRoom(for key: FlowKey) -> Bool { table.count < maxFlows || table.entry(for: key) != nil }

    /// Whether the map holds the connection open or half-open (not closing).
    @usableFromInline func entryIsLive(_ key: FlowKey) -> Bool {
        guard let state = table.entry(for: key)?.state else { return false }
        return state != .closing
    }

    /// A mid-stream segment the map does not know: if imports are waiting, load them now rather
    /// than at the next sweep, and look again.
    @usableFromInline func awaitedServer(_ key: FlowKey, now: UInt64, flags: TCPFlags) -> IPv4Address? {
        guard importsWaiting.load(ordering: .acquiring) else { return nil }
        loadImports(now: now)
        return lookup(key, now: now, flags: flags)
    }

    @usableFromInline func hold(_ frame: UnsafeMutableRawBufferPointer, now: UInt64) {
        guard held.hold(frame, now: now) else {
            counters.drop(.awaitingLists)
            return
        }
        // A frame held again while released was counted when it first came.
        if !releasing { counters.bump(counters.framesHeld) }
    }

    /// Sends on the held frames (through `send`, which handles a frame as if it just arrived)
    /// once lists were loaded since they were held, or once the wait is over; a frame held
    /// longer than `listWait` is dropped (`awaiting_lists`). Input capture thread only.
    @usableFromInline func releaseHeld(now: UInt64, send: (UnsafeMutableRawBufferPointer) -> Void) {
        guard !held.isEmpty, !releasing, loadedSinceHold || now >= listsDue.load(ordering: .relaxed) else { return }
        releasing = true
        loadedSinceHold = false
        held.release(now: now, maximumAge: Self.listWait, expired: { counters.drop(.awaitingLists) }, send: send)
        releasing = false
    }

    /// How long after a start, or after servers joined, mid-stream segments of unknown
    /// connections are dropped rather than placed by the policy: the servers' lists arrive
    /// within it (100,000 connections take well under a second), and TCP resends the segment.
    public static let listWait: UInt64 = 1_000_000_000

    /// Connection lists are on their way (this dispatcher just started, or servers joined it):
    /// for `listWait` from now. Any thread.
    public func expectLists() {
        listsDue.store(host.monotonicNanoseconds &+ Self.listWait, ordering: .relaxed)
    }

    @usableFromInline func lookup(_ key: FlowKey, now: UInt64, flags: TCPFlags) -> IPv4Address? {
        table.lookup(key, now: now, flags: flags)
    }

    @usableFromInline func lookup(_ key: FlowKey, now: UInt64, flags: TCPFlags, transition: inout FlowTable.Transition) -> IPv4Address? {
        table.lookup(key, now: now, flags: flags, transition: &transition)
    }

    @usableFromInline func insert(_ key: FlowKey, server: IPv4Address, now: UInt64, state: FlowState) {
        table.insert(key, server: server, now: now, state: state)
        counters.flows.store(table.count, ordering: .relaxed)
        counters.mapBytes.store(table.byteCount, ordering: .relaxed)
    }

    /// After each frame, and when the link is idle: the bounded sweep (`housekeep`), then held
    /// frames sent on through `process` once their lists are in (`releaseHeld`).
    @inlinable
    public func tidy(now: UInt64, process: (UnsafeMutableRawBufferPointer) -> Void) {
        housekeep(now: now)
        if !held.isEmpty { releaseHeld(now: now, send: process) }
    }

    /// Every 10 ms of frames: expire a bounded part of the map, load waiting imports.
    @inlinable
    public func housekeep(now: UInt64) {
        if now &- lastSweepTime > 10_000_000 { sweep(now: now) }
    }

    @usableFromInline var lastSweepTime: UInt64 { lastSweep }

    @usableFromInline func sweep(now: UInt64) {
        lastSweep = now
        // An open entry that expires is a connection that went idle without a FIN or RST the
        // dispatcher saw: the policy counts it closed now (a closing one was counted already).
        let expired = table.expire(now: now, budget: 4_096) { entry in
            if entry.state == .open { host.connectionClosed(on: entry.server) }
        }
        if expired > 0 { counters.flows.store(table.count, ordering: .relaxed) }
        if importsWaiting.load(ordering: .acquiring) { loadImports(now: now) }
    }

    @usableFromInline func loadImports(now: UInt64) {
        importsWaiting.store(false, ordering: .relaxed)
        loadedSinceHold = true
        let connections = imports.withLock { list in defer { list = [] }; return list }
        for connection in connections {
            let key = FlowKey(client: connection.client, clientPort: connection.clientPort, clusterPort: connection.clusterPort)
            // Held already (a list that came twice): nothing to do. Held but expired, not yet
            // swept: it ended (counted closed if it was open), and the list says it lives on.
            if let held = table.entry(for: key) {
                guard table.isExpired(held, now: now) else { continue }
                if held.state == .open { host.connectionClosed(on: held.server) }
            } else if table.count >= maxFlows {
                counters.drop(.mapFull)
                continue
            }
            // An imported connection is established on its server: the policy counts it opened
            // (least-connections then sees the load this dispatcher took over), and closed when
            // it ends here, like any other.
            table.insert(key, server: connection.server, now: now)
            host.connectionOpened(on: connection.server)
        }
        counters.flows.store(table.count, ordering: .relaxed)
        counters.mapBytes.store(table.byteCount, ordering: .relaxed)
    }

    /// The dispatcher stopped (its capture threads are gone): every established connection in the
    /// map is counted closed for the policy, which outlives this map; a later dispatcher counts
    /// again what it takes over. Control thread, after the captures stopped.
    public func closeAll() {
        for entry in table where entry.state == .open { host.connectionClosed(on: entry.server) }
        table.removeAll()
        counters.flows.store(0, ordering: .relaxed)
    }

    /// Connections another dispatcher mapped (state reconstruction); loaded on the capture thread
    /// within 10 ms of the next frame. Any thread.
    public func importConnections(_ connections: [Connection]) {
        imports.withLock { $0 += connections }
        importsWaiting.store(true, ordering: .releasing)
    }
}

/// At most one ARP request per address per 100 ms, and `perSecond` in all, for frames waiting on
/// an unknown MAC. One per thread. Remembers at most `limit` addresses (replies to a flood of
/// spoofed sources ask for as many addresses): when full, those asked for over 100 ms ago are
/// forgotten, or all of them. The overall cap keeps such a flood from becoming a broadcast storm
/// on the client link (each SYN-ACK to an evicted source would ask).
public struct ARPAsking: Sendable {
    private var asked: [UInt32: UInt64] = [:]
    private var second: UInt64 = 0
    private var askedThisSecond = 0
    static let interval: UInt64 = 100_000_000
    static let limit = 4_096
    static let perSecond = 1_000

    public init() {}

    public mutating func ask(_ port: LinkPort, for address: IPv4Address, now: UInt64, neighbours: Neighbours) {
        if shouldAsk(for: address, now: now) { neighbours.ask(port, for: address, now: now) }
    }

    /// Whether it is time to ask for `address` again; remembers that it is asked now.
    mutating func shouldAsk(for address: IPv4Address, now: UInt64) -> Bool {
        if let last = asked[address.value], now &- last < Self.interval { return false }
        if now / 1_000_000_000 != second {
            second = now / 1_000_000_000
            askedThisSecond = 0
        }
        guard askedThisSecond < Self.perSecond else { return false }
        askedThisSecond += 1
        if asked.count >= Self.limit {
            asked = asked.filter { now &- $0.value < Self.interval }
            if asked.count >= Self.limit / 2 { asked.removeAll(keepingCapacity: true) }
        }
        asked[address.value] = now
        return true
    }

    /// How many addresses are remembered.
    var count: Int { asked.count }
}
