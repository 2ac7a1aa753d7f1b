import SashaRing
import SashaSDK

/// A run of random faults: the cluster starts, settles (checked), then goes through noisy phases
/// (faults at random moments, packet loss) each followed by a quiet phase (no faults, no loss)
/// at whose end the checks must hold. The last noisy phase repairs everything, so the last check
/// is of one ring of every member.
struct RandomRun: SimulationRun {
    /// Members for a seed of the CI mix: mostly 3-20, some 21-49 and 50-100, a few 1-2, and 254
    /// (the spec's largest ring) for every 500th seed.
    static func memberCount(seed: UInt64, random: inout SimRandom) -> Int {
        if seed % 500 == 0 { return 254 }
        let draw = random.unit()
        return draw < 0.04 ? random.int(1...2) : draw < 0.925 ? random.int(3...20) : draw < 0.975 ? random.int(21...49) : random.int(50...100)
    }

    let setup: RunSetup
    let cluster: SimulatedCluster
    var random: SimRandom
    var watch = ConvergenceWatch()
    var outcome: RunOutcome
    /// The moment of the last fault (or repair, or end of packet loss) the next check counts from.
    var lastFault: UInt64 = 0

    init(seed: UInt64, trace: TraceLog? = nil) {
        var random = SimRandom(seed: seed)
        let members = Self.memberCount(seed: seed, random: &random)
        setup = RunSetup(seed: seed, members: members, random: &random)
        cluster = setup.makeCluster(random: &random)
        cluster.trace = trace
        self.random = random.fork()
        outcome = RunOutcome(seed: seed, members: members, summary: setup.summary)
    }

    var timing: RingTiming { setup.timing }
    var count: Int { setup.memberCount }

    mutating func play() throws(SimulationFailure) {
        // Cold start: members boot together or spread over a few broadcast timeouts.
        // (The 254-member ring boots at once: growing it one expansion at a time sends each of
        // 254 views to every member, minutes of a debug build's HMAC.)
        let spread = count >= 200 ? 0 : random.pick([0, timing.broadcastTimeout, 3 * timing.broadcastTimeout])
        var boots = cluster.hosts.indices.map { ($0, random.uint64(0...spread)) }
        boots.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        for (host, at) in boots {
            try advance(to: at)
            cluster.start(host)
            lastFault = cluster.now
        }
        try quiet(name: "start-up", reference: lastFault)
        // Big rings cost the most per virtual second (every broadcast is a fan-out to all, and a
        // debug build's HMAC dominates): fewer cycles for them, more seeds of small rings instead.
        let cycles = count > 20 ? 1 : random.int(2...3)
        for cycle in 1...cycles {
            try noisy(last: cycle == cycles)
        }
    }

    private mutating func advance(to time: UInt64) throws(SimulationFailure) {
        try cluster.run(until: time) {
            watch.update(cluster)
            return false
        }
        watch.update(cluster)
    }

    /// Random faults at random moments under packet loss, then a quiet phase.
    mutating func noisy(last: Bool) throws(SimulationFailure) {
        let start = cluster.now
        let longest = (count >= 200 ? 1 : 3) * (timing.tokenTimeout + timing.broadcastTimeout)
        let duration = random.uint64(timing.tokenTimeout...longest)
        let loss = count >= 200 ? random.pick([0, 0.005, 0.02]) : random.pick([0, 0.005, 0.02, 0.05, 0.05, 0.15, 0.25])
        cluster.network.lossRate = loss
        let faults = count >= 200 ? 1 : random.int(1...(count >= 50 ? 3 : 4))
        let moments = (0..<faults).map { _ in start + random.uint64(0...duration) }.sorted()
        // The checks are only watched from the last fault on (before it, their result is not
        // used, and evaluating them after every change costs).
        for moment in moments {
            try cluster.run(until: moment)
            injectFault()
        }
        try advance(to: start + duration)
        if last {
            // Repairs, a few milliseconds apart: heal, thaw, restart everything that is down.
            if cluster.hosts.contains(where: { $0.group != 0 }) {
                cluster.heal()
                lastFault = cluster.now
            }
            var order = Array(cluster.hosts.indices)
            random.shuffle(&order)
            for host in order where cluster.hosts[host].state != .running {
                try advance(to: cluster.now + random.uint64(0...5_000_000))
                if cluster.hosts[host].state == .frozen { cluster.thaw(host) } else { cluster.start(host) }
                lastFault = cluster.now
            }
        }
        cluster.network.lossRate = 0
        // The end of packet loss counts as the last fault: a datagram lost just before it may
        // still be noticed a token timeout later.
        try quiet(name: last ? "final" : "after noise", reference: loss > 0 ? cluster.now : lastFault)
    }

    /// No faults, no loss: the checks must hold within twice the single-fault bound of
    /// `reference`, and keep holding.
    ///
    /// Twice, not once: in a noisy schedule a member can fail a moment after it was taken into a
    /// newly formed ring (or its join can be lost while the ring forms), which costs a second
    /// detection and rebuild on top of the first. A single fault in a converged ring is held to
    /// the bound itself (`SingleFaultRun`).
    mutating func quiet(name: String, reference: UInt64) throws(SimulationFailure) {
        let largest = max(1, cluster.parts.map(\.count).max() ?? 1)
        let bound = cluster.convergenceBound(members: largest)
        let allowed = 2 * bound
        let end = max(cluster.now + timing.tokenTimeout, reference + allowed)
        // The phase ends at `end`, or once the checks have held for a token timeout and a
        // broadcast timeout: with no loss, a member that was going to notice a silence has
        // noticed it by then.
        let start = cluster.now
        let window = timing.tokenTimeout + timing.broadcastTimeout
        try cluster.run(until: end) {
            watch.update(cluster)
            return watch.holds && cluster.now >= max(watch.lastBecameTrue, start) + window
        }
        watch.update(cluster)
        guard watch.holds else {
            throw SimulationFailure("\(name) check: not converged \(formatTime(end - reference)) after the last fault: \(watch.lastViolation ?? "?")")
        }
        let converged = watch.lastBecameTrue > reference ? watch.lastBecameTrue - reference : 0
        outcome.convergences.append((converged, bound))
        if converged > allowed {
            throw SimulationFailure("\(name) check: converged \(formatTime(converged)) after the last fault, more than 2 × bound \(formatTime(bound))")
        }
    }

    // MARK: Faults

    private enum Fault: CaseIterable {
        case crash, crashMany, quickRestart, restart, freeze, thaw, leave, partition, heal
    }

    mutating func injectFault() {
        let running = cluster.hosts.indices.filter { cluster.hosts[$0].isLive }
        let frozen = cluster.hosts.indices.filter { cluster.hosts[$0].state == .frozen }
        let down = cluster.hosts.indices.filter { cluster.hosts[$0].state == .down }
        var options: [(Fault, Int)] = [(.quickRestart, 2)]
        if running.count > 1 { options += [(.crash, 4), (.freeze, 3), (.leave, 2)] }
        if running.count > 5 { options.append((.crashMany, 1)) }
        if !down.isEmpty { options.append((.restart, 4)) }
        if !frozen.isEmpty { options.append((.thaw, 3)) }
        if count > 1 { options.append((.partition, 2)) }
        if cluster.hosts.contains(where: { $0.group != 0 }) { options.append((.heal, 3)) }
        var draw = random.int(0...(options.map(\.1).reduce(0, +) - 1))
        var fault = options[0].0
        for (candidate, weight) in options {
            if draw < weight { fault = candidate; break }
            draw -= weight
        }
        let up = running + frozen
        switch fault {
        case .crash:
            cluster.crash(random.pick(up))
        case .crashMany:
            var victims = running
            random.shuffle(&victims)
            for host in victims.prefix(max(2, running.count / random.int(3...8))) { cluster.crash(host) }
        case .quickRestart:
            guard !running.isEmpty else { return }
            let host = random.pick(running)
            cluster.crash(host)
            cluster.start(host)
        case .restart:
            cluster.start(random.pick(down))
        case .freeze:
            cluster.freeze(random.pick(running))
        case .thaw:
            cluster.thaw(random.pick(frozen))
        case .leave:
            cluster.leave(random.pick(running))
        case .partition:
            cluster.partition(randomGroups())
        case .heal:
            cluster.heal()
        }
        lastFault = cluster.now
    }

    /// Two or three groups: by address range, at random, or one host cut off.
    private mutating func randomGroups() -> [Int] {
        let n = count
        switch random.int(0...2) {
        case 0:
            let cut = random.int(1...(n - 1))
            let second = n > 2 && random.chance(0.3) ? random.int(cut...(n - 1)) : n
            return (0..<n).map { $0 < cut ? 0 : $0 < second ? 1 : 2 }
        case 1:
            let groups = random.int(2...3)
            return (0..<n).map { _ in random.int(0...(groups - 1)) }
        default:
            let alone = random.int(0...(n - 1))
            return (0..<n).map { $0 == alone ? 1 : 0 }
        }
    }
}
