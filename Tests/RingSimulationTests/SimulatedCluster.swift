import SashaRing
import SashaSDK

/// How the simulated network treats datagrams.
struct NetworkProfile: CustomStringConvertible {
    /// One-way delay of each datagram, drawn afresh for every copy, so that reordering falls out.
    var minimumDelay: UInt64
    var maximumDelay: UInt64
    /// A share of datagrams take up to `maximumDelay`; the rest stay under `typicalDelay`.
    var typicalDelay: UInt64
    var slowShare: Double
    /// Applies in every phase (a duplicate is not a fault: the replay window handles it).
    var duplicateRate: Double
    /// Only in noisy phases.
    var lossRate: Double = 0

    /// The expected delay of one datagram: the "mean hop delay" of the convergence bound.
    var meanDelay: UInt64 {
        let typical = Double(minimumDelay + typicalDelay) / 2
        let slow = Double(minimumDelay + maximumDelay) / 2
        return UInt64(typical * (1 - slowShare) + slow * slowShare)
    }

    var description: String {
        "delay \(minimumDelay / 1000)-\(typicalDelay / 1000) µs (\(Int(slowShare * 100))% up to \(maximumDelay / 1000) µs), dup \(Int(duplicateRate * 100))%"
    }
}

/// One simulated host: its address, its clocks and, while its process runs, its `RingMachine`.
struct SimHost {
    enum State: Equatable {
        /// Not started yet, or crashed (`kill -9`): no process, datagrams to it are lost.
        case down
        case running
        /// SIGSTOP: no timers run; datagrams wait in the socket buffer until SIGCONT.
        case frozen
    }

    let address: IPv4Address
    let canDispatch: Bool
    /// This host's monotonic clock minus the simulation's (hosts booted at different times).
    let monotonicOffset: UInt64
    /// This host's wall clock minus the simulation's, in µs (clocks are not in sync).
    let wallOffset: UInt64
    var state = State.down
    var machine: RingMachine?
    var socketBuffer: [(bytes: [UInt8], from: IPv4Address)] = []
    /// The machine's deadline that the pending timer event was scheduled for (local clock).
    var timerDeadline = UInt64.max
    var timerGeneration: UInt64 = 0
    /// Partition group: datagrams pass only between hosts of one group.
    var group = 0
    /// What the checks last saw of this member, to notice when it changed.
    var fingerprint = Fingerprint()
    var starts = 0
    /// Ticks in a row after which the machine's deadline was already due.
    var immediateTicks = 0

    struct Fingerprint: Equatable {
        var joining = true
        var stopped = false
        var ring: UInt64 = 0
        var version: UInt32 = 0
        var role = RingRole.joining
    }

    /// In a ring's life: its process runs, is not stopped and has not left.
    var isLive: Bool { state == .running && machine.map { !$0.isStopped } == true }
}

/// A cluster of `RingMachine`s on virtual time: an event queue of datagram deliveries and timer
/// firings, a network that delays, duplicates, drops and partitions, and hosts that crash,
/// restart, freeze and leave. Everything random comes from one seed.
final class SimulatedCluster {
    enum Event {
        case deliver(to: Int, from: IPv4Address, bytes: [UInt8])
        case timer(host: Int, generation: UInt64)
    }

    let timing: RingTiming
    let codec: RingCodec
    var network: NetworkProfile
    private(set) var hosts: [SimHost]
    private(set) var now: UInt64 = 0
    private var queue = EventQueue<Event>()
    private var random: SimRandom
    private var indexByLastOctet = [Int](repeating: -1, count: 256)
    private let seeds: [IPv4Address]
    /// Datagrams a frozen host's socket buffer holds; later ones are lost (as the kernel does).
    let socketBufferLimit = 4096
    private var effects: [RingEffect] = []

    /// Set when some member's ring, view, phase or role changed since the checks last ran.
    var dirty = true
    private(set) var eventsHandled = 0
    private(set) var datagramsSent = 0

    /// With a trace, the last events in words (only for replaying a failed seed: it costs).
    var trace: TraceLog?
    /// While not nil, every datagram put on the network, as an eavesdropper records it.
    var recording: [(bytes: [UInt8], from: IPv4Address, to: IPv4Address)]?

    init(addresses: [IPv4Address], canDispatch: [Bool], timing: RingTiming, network: NetworkProfile, key: [UInt8],
         random: inout SimRandom) {
        self.timing = timing
        self.codec = RingCodec(key: key)
        self.network = network
        self.random = random.fork()
        self.seeds = addresses
        let wallBase: UInt64 = 1_790_000_000_000_000  // 2026, in µs
        hosts = zip(addresses, canDispatch).map { address, canDispatch in
            SimHost(address: address, canDispatch: canDispatch,
                    monotonicOffset: random.uint64(1_000_000_000...4_000_000_000_000_000),
                    wallOffset: wallBase + random.uint64(0...20_000_000))
        }
        for (index, host) in hosts.enumerated() { indexByLastOctet[Int(host.address.value & 0xFF)] = index }
    }

    func index(of address: IPv4Address) -> Int? {
        guard address.value >> 8 == 0x0A00_00 else { return nil }
        let index = indexByLastOctet[Int(address.value & 0xFF)]
        return index < 0 ? nil : index
    }

    func localTime(_ host: Int) -> UInt64 { now &+ hosts[host].monotonicOffset }
    func wallClock(_ host: Int) -> UInt64 { now / 1000 &+ hosts[host].wallOffset }

    // MARK: Running

    /// Handles every event due up to `time`, then sets the clock to `time`. `afterEvent` runs
    /// after each one (the convergence watch); when it returns true the run stops there, the
    /// clock at that event, and `run` returns true.
    @discardableResult
    func run(until time: UInt64, afterEvent: () -> Bool = { false }) throws(SimulationFailure) -> Bool {
        while let next = queue.nextTime, next <= time {
            let (at, event) = queue.pop()!
            now = at
            eventsHandled += 1
            switch event {
            case let .deliver(to, from, bytes):
                deliver(to: to, from: from, bytes: bytes)
            case let .timer(host, generation):
                try fire(host: host, generation: generation)
            }
            if afterEvent() { return true }
        }
        now = max(now, time)
        return false
    }

    private func deliver(to host: Int, from source: IPv4Address, bytes: [UInt8]) {
        guard let sender = index(of: source), hosts[sender].group == hosts[host].group else {
            trace?.add(now, "drop \(source)->\(hosts[host].address) (partition) \(describe(bytes, to: hosts[host].address))")
            return
        }
        switch hosts[host].state {
        case .down:
            return
        case .frozen:
            if hosts[host].socketBuffer.count < socketBufferLimit { hosts[host].socketBuffer.append((bytes, source)) }
        case .running:
            trace?.addDelivery(now, from: source, to: hosts[host].address, describe(bytes, to: hosts[host].address))
            let local = localTime(host)
            effects.removeAll(keepingCapacity: true)
            hosts[host].machine?.receive(bytes, from: source, now: local, into: &effects)
            apply(host: host)
        }
    }

    private func fire(host: Int, generation: UInt64) throws(SimulationFailure) {
        guard hosts[host].state == .running, hosts[host].timerGeneration == generation, hosts[host].machine != nil else { return }
        let local = localTime(host)
        effects.removeAll(keepingCapacity: true)
        hosts[host].machine!.tick(now: local, into: &effects)
        hosts[host].timerDeadline = .max  // this firing is spent
        if !effects.isEmpty { trace?.add(now, "tick \(hosts[host].address)") }
        apply(host: host)
        // A deadline already due after a tick has a daemon's timer fire again at once. Once is
        // fine (a newly formed ring's master sends its first heartbeat); again and again without
        // the deadline moving is a busy loop.
        let deadline = hosts[host].machine!.nextDeadline
        hosts[host].immediateTicks = deadline <= local ? hosts[host].immediateTicks + 1 : 0
        if hosts[host].immediateTicks > 5 {
            throw SimulationFailure("busy timer: \(hosts[host].address) asks for a tick at \(deadline) right after ticking at \(local) (state \(describeMember(host)))")
        }
    }

    /// Sends the effects out, notes changes, and sets the host's timer.
    private func apply(host: Int) {
        let address = hosts[host].address
        for effect in effects {
            switch effect {
            case let .send(bytes, to):
                transmit(bytes, from: host, to: to)
            case let .broadcast(bytes):
                trace?.add(now, "\(address) broadcasts \(describe(bytes, to: address))")
                for target in hosts[host].machine!.broadcastTargets { transmit(bytes, from: host, to: target) }
            case let .viewChanged(view, elapsed):
                trace?.add(now, "\(address) view \(describe(view)) cause \(view.cause)" + (elapsed.map { " after \($0 / 1000) µs" } ?? ""))
            case let .roleChanged(from, to, cause):
                trace?.add(now, "\(address) role \(from.rawValue) -> \(to.rawValue) (\(cause))")
            case let .faultDetected(suspect):
                trace?.add(now, "\(address) FAULT: upstream \(suspect) silent; purges")
            case let .purged(by, suspect):
                trace?.add(now, "\(address) purged by \(by) (suspect \(suspect))")
            case .delivered:
                break
            }
        }
        noteChange(host)
        schedule(host)
    }

    private func noteChange(_ host: Int) {
        var print = SimHost.Fingerprint()
        if let machine = hosts[host].machine {
            print.joining = machine.isJoining
            print.stopped = machine.isStopped
            print.ring = machine.currentRing
            print.version = machine.view?.version ?? 0
            print.role = machine.role
        }
        if print != hosts[host].fingerprint {
            hosts[host].fingerprint = print
            dirty = true
        }
    }

    private func schedule(_ host: Int) {
        guard hosts[host].state == .running, let machine = hosts[host].machine else { return }
        let deadline = machine.nextDeadline
        guard deadline != hosts[host].timerDeadline else { return }
        hosts[host].timerDeadline = deadline
        hosts[host].timerGeneration &+= 1
        guard deadline != .max else { return }
        let offset = hosts[host].monotonicOffset
        let due = deadline > offset ? deadline - offset : 0
        // Timers fire a little late, as a busy host's event loop does.
        let late = random.uint64(0...200_000)
        queue.push(.timer(host: host, generation: hosts[host].timerGeneration), at: max(due, now) + late)
    }

    private func transmit(_ bytes: [UInt8], from host: Int, to destination: IPv4Address) {
        datagramsSent += 1
        recording?.append((bytes, hosts[host].address, destination))
        guard let target = index(of: destination) else { return }
        guard hosts[target].group == hosts[host].group else { return }
        if network.lossRate > 0, random.chance(network.lossRate) {
            trace?.add(now, "lost \(hosts[host].address)->\(destination) \(describe(bytes, to: destination))")
            return
        }
        queue.push(.deliver(to: target, from: hosts[host].address, bytes: bytes), at: now + delay())
        if network.duplicateRate > 0, random.chance(network.duplicateRate) {
            queue.push(.deliver(to: target, from: hosts[host].address, bytes: bytes), at: now + delay())
        }
    }

    private func delay() -> UInt64 {
        let upper = random.chance(network.slowShare) ? network.maximumDelay : network.typicalDelay
        return random.uint64(network.minimumDelay...upper)
    }

    /// Puts `bytes` on the network to `host` as if `source` sent it now, arriving after `delay`:
    /// an attacker on the link replaying what it recorded.
    func inject(_ bytes: [UInt8], from source: IPv4Address, to host: Int, after delay: UInt64) {
        queue.push(.deliver(to: host, from: source, bytes: bytes), at: now + delay)
    }

    // MARK: Faults and repairs

    /// Starts a fresh process on a host that is down (first boot or restart).
    func start(_ host: Int) {
        precondition(hosts[host].state == .down)
        hosts[host].state = .running
        hosts[host].starts += 1
        hosts[host].socketBuffer.removeAll()
        let configuration = RingMachine.Configuration(address: hosts[host].address, canDispatch: hosts[host].canDispatch,
                                                      timing: timing, codec: codec, seeds: seeds)
        // A restarted process reads a later wall clock than its previous run (time went on).
        // A new random epoch per process, drawn from the seed.
        var machine = RingMachine(configuration: configuration, now: localTime(host), wallClockMicroseconds: wallClock(host),
                                  epoch: UInt32(random.uint64(1...UInt64(UInt32.max))))
        trace?.add(now, "START \(hosts[host].address)\(hosts[host].starts > 1 ? " (restart)" : "")")
        effects.removeAll(keepingCapacity: true)
        machine.start(now: localTime(host), into: &effects)
        hosts[host].machine = machine
        hosts[host].timerDeadline = .max
        apply(host: host)
    }

    /// `kill -9`: the process and everything in it is gone.
    func crash(_ host: Int) {
        trace?.add(now, "CRASH \(hosts[host].address)")
        hosts[host].state = .down
        hosts[host].machine = nil
        hosts[host].socketBuffer.removeAll()
        hosts[host].timerGeneration &+= 1
        hosts[host].timerDeadline = .max
        noteChange(host)
        dirty = true
    }

    func freeze(_ host: Int) {
        precondition(hosts[host].state == .running)
        trace?.add(now, "FREEZE \(hosts[host].address)")
        hosts[host].state = .frozen
        hosts[host].timerGeneration &+= 1
        hosts[host].timerDeadline = .max
        dirty = true
    }

    /// SIGCONT: the queued datagrams are read and the overdue timers run, in an order the seed
    /// picks (an event loop may do either first).
    func thaw(_ host: Int) {
        precondition(hosts[host].state == .frozen)
        trace?.add(now, "THAW \(hosts[host].address) (\(hosts[host].socketBuffer.count) datagrams waiting)")
        hosts[host].state = .running
        let waiting = hosts[host].socketBuffer
        hosts[host].socketBuffer.removeAll()
        let timersFirst = random.chance(0.5)
        if timersFirst { tickNow(host) }
        for datagram in waiting {
            effects.removeAll(keepingCapacity: true)
            let local = localTime(host)
            hosts[host].machine?.receive(datagram.bytes, from: datagram.from, now: local, into: &effects)
            apply(host: host)
        }
        if !timersFirst { tickNow(host) }
        dirty = true
    }

    private func tickNow(_ host: Int) {
        effects.removeAll(keepingCapacity: true)
        let local = localTime(host)
        hosts[host].machine?.tick(now: local, into: &effects)
        hosts[host].timerDeadline = .max
        apply(host: host)
    }

    /// SIGTERM: the member leaves gracefully; its process then exits.
    func leave(_ host: Int) {
        precondition(hosts[host].state == .running)
        trace?.add(now, "LEAVE \(hosts[host].address)")
        effects.removeAll(keepingCapacity: true)
        let local = localTime(host)
        hosts[host].machine?.leave(now: local, into: &effects)
        apply(host: host)
        hosts[host].state = .down
        hosts[host].machine = nil
        hosts[host].timerGeneration &+= 1
        hosts[host].timerDeadline = .max
        noteChange(host)
        dirty = true
    }

    /// Splits the hosts into groups that cannot reach each other (`groups[i]` for host i).
    func partition(_ groups: [Int]) {
        trace?.add(now, "PARTITION \(describeGroups(groups))")
        for index in hosts.indices { hosts[index].group = groups[index] }
        dirty = true
    }

    func heal() {
        trace?.add(now, "HEAL")
        for index in hosts.indices { hosts[index].group = 0 }
        dirty = true
    }

    // MARK: Words

    func describe(_ view: RingView) -> String {
        let members = view.members.count <= 12 ? view.members.map { "\($0.address.value & 0xFF)" }.joined(separator: ",")
            : "\(view.members.count) members \(view.members.first!.address.value & 0xFF)..\(view.members.last!.address.value & 0xFF)"
        return "ring \(view.ring % 1_000_000_000) v\(view.version) [\(members)] dispatcher \(view.dispatcher.map { "\($0)" } ?? "none")"
    }

    /// `receiver`: where it went (a broadcast opens anywhere; the tag of a unicast holds it).
    func describe(_ bytes: [UInt8], to receiver: IPv4Address) -> String {
        guard trace != nil, let packet = try? codec.open(bytes, receiver: receiver) else { return "" }
        let kinds = packet.messages.map { message -> String in
            switch message.body {
            case .heartbeat: "heartbeat"
            case let .join(request): "join(prev \(request.previousRing % 1_000_000_000)\(request.isDispatcher ? ", dispatcher" : ""))"
            case let .purge(ring, suspect): "purge(\(ring % 1_000_000_000), suspect \(suspect))"
            case let .view(view): "view(\(describe(view)))"
            case .beacon: "beacon"
            case let .merge(view): "merge(\(describe(view)))"
            case .sync: "sync"
            case .health: "health"
            case .cluster: "cluster"
            case .challenge: "challenge"
            case .answer: "answer"
            }
        }
        return "ring \(packet.ring % 1_000_000_000) " + kinds.joined(separator: "+")
    }

    func describeMember(_ host: Int) -> String {
        guard let machine = hosts[host].machine else { return "down" }
        return "\(machine.isJoining ? "joining" : machine.isStopped ? "stopped" : "member") \(machine.view.map(describe) ?? "no view") role \(machine.role.rawValue)"
    }

    func describeGroups(_ groups: [Int]) -> String {
        Dictionary(grouping: hosts.indices, by: { groups[$0] }).sorted { $0.key < $1.key }
            .map { "{" + $0.value.map { "\(hosts[$0].address.value & 0xFF)" }.joined(separator: ",") + "}" }.joined(separator: " ")
    }
}

struct SimulationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The last events of a replayed run, in words.
final class TraceLog {
    private(set) var lines: [String] = []
    let limit: Int
    private let heartbeats: Bool

    init(limit: Int, heartbeats: Bool = false) {
        self.limit = limit
        self.heartbeats = heartbeats
    }

    func add(_ time: UInt64, _ line: String) {
        lines.append("\(formatTime(time)) \(line)")
        if lines.count > limit * 2 { lines.removeFirst(lines.count - limit) }
    }

    func addDelivery(_ time: UInt64, from: IPv4Address, to: IPv4Address, _ what: String) {
        // Heartbeats, joins and beacons are the bulk; their senders' broadcasts are traced instead.
        guard heartbeats || ["view(", "purge(", "merge(", "sync", "health", "cluster", "challenge", "answer"].contains(where: what.contains) else { return }
        add(time, "\(from)->\(to) \(what)")
    }

    var last: [String] { Array(lines.suffix(limit)) }
}

func formatTime(_ nanoseconds: UInt64) -> String {
    let milliseconds = Double(nanoseconds) / 1_000_000
    return "t=" + String(Int(milliseconds * 1000) / 1000) + "." + String(format3(Int(milliseconds * 1000) % 1000)) + "ms"
}

private func format3(_ value: Int) -> String {
    value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)"
}
