import SashaRing
import SashaSDK

/// The common case the convergence bound is about: a quiet ring that has converged, one fault,
/// and the time until every check holds again, which must be within the bound itself
/// (`token_timeout + broadcast_timeout + two rotations`). Then the repair (restart, thaw, heal),
/// held to the same bound. No packet loss; delays and duplicates as in every run. It also checks
/// the election rules: the dispatcher survives a fault that spares it, the smallest eligible
/// survivor replaces it otherwise, a member coming back does not take the role back, and of
/// two dispatchers that meet the higher abdicates.
struct SingleFaultRun: SimulationRun {
    enum Fault: String, CaseIterable {
        case crashDispatcher = "crash of the dispatcher"
        case crashMaster = "crash of the master"
        case crashServer = "crash of a server"
        case freeze = "freeze"
        case partition = "partition"
        case quickRestart = "quick restart"
        case leave = "graceful leave"
    }

    let setup: RunSetup
    let cluster: SimulatedCluster
    let fault: Fault
    var random: SimRandom
    var watch = ConvergenceWatch()
    var outcome: RunOutcome

    init(seed: UInt64, trace: TraceLog? = nil) {
        var random = SimRandom(seed: seed ^ 0x5349_4E47_4C45)  // its own stream: "SINGLE"
        let members = seed % 28 == 0 ? random.int(50...100) : random.int(2...20)
        setup = RunSetup(seed: seed, members: members, random: &random)
        cluster = setup.makeCluster(random: &random)
        cluster.trace = trace
        fault = Fault.allCases[Int(seed % UInt64(Fault.allCases.count))]
        self.random = random.fork()
        outcome = RunOutcome(seed: seed, members: members, summary: setup.summary + " fault: \(fault.rawValue)")
    }

    var timing: RingTiming { setup.timing }

    mutating func play() throws(SimulationFailure) {
        let count = setup.memberCount
        let bound = cluster.convergenceBound(members: count)
        for host in cluster.hosts.indices {
            try cluster.run(until: random.uint64(0...timing.broadcastTimeout))
            cluster.start(host)
        }
        try watch.run(cluster, until: cluster.now + 4 * bound, stopWhenHolding: true)
        guard watch.holds else { throw SimulationFailure("the ring did not form: \(watch.lastViolation ?? "?")") }
        // Settled: a while with no change, so that the fault strikes a quiet ring.
        try settle("formed")

        let before = try dispatcher()
        let master = cluster.hosts.indices.first { cluster.hosts[$0].isLive }!
        let servers = cluster.hosts.indices.filter { cluster.hosts[$0].address != before }
        // The fault strikes at a random moment of the heartbeat cycle.
        try cluster.run(until: cluster.now + random.uint64(0...timing.heartbeat))
        var expected: [IPv4Address?]
        switch fault {
        case .crashDispatcher, .crashMaster, .crashServer:
            let victim = fault == .crashMaster ? master
                : fault == .crashDispatcher ? (before.flatMap(cluster.index(of:)) ?? master) : random.pick(servers)
            cluster.crash(victim)
            expected = [expectedAfterLoss(of: victim, dispatcher: before)]
        case .freeze:
            let victim = random.int(0...(count - 1))
            cluster.freeze(victim)
            expected = [expectedAfterLoss(of: victim, dispatcher: before)]
        case .leave:
            let victim = random.int(0...(count - 1))
            cluster.leave(victim)
            expected = [expectedAfterLoss(of: victim, dispatcher: before)]
        case .quickRestart:
            let victim = random.int(0...(count - 1))
            cluster.crash(victim)
            cluster.start(victim)
            // It comes back as a server: a restarted dispatcher hands the role to the smallest
            // eligible other member (keeping it only if no other may dispatch).
            let others = cluster.hosts.indices.filter { $0 != victim }
            expected = [cluster.hosts[victim].address == before ? (smallestEligible(others) ?? before) : before]
        case .partition:
            let groups = splitInTwo(count)
            cluster.partition(groups)
            // The part holding the dispatcher keeps it; the other elects its smallest eligible.
            expected = cluster.parts.map { part in
                part.contains { cluster.hosts[$0].address == before } ? before : smallestEligible(part)
            }
        }
        try measure(fault.rawValue, bound: bound)
        try expectDispatchers(expected, after: fault.rawValue)

        // The repair, held to the same bound; whoever comes back comes back as a server.
        let current = try dispatcher()
        let incumbents = cluster.hosts.indices.filter { cluster.hosts[$0].isLive }
        let repair: String
        switch fault {
        case .crashDispatcher, .crashMaster, .crashServer, .leave:
            repair = "restart"
            guard let down = cluster.hosts.indices.first(where: { cluster.hosts[$0].state == .down }) else { return }
            cluster.start(down)
        case .freeze:
            repair = "thaw"
            cluster.thaw(cluster.hosts.indices.first { cluster.hosts[$0].state == .frozen }!)
        case .partition:
            // Two rings meet: the higher of their dispatchers abdicates.
            // A part of one has no dispatcher; if neither has one, the absorbing ring (the one
            // with the smaller master) elects its smallest eligible member first.
            repair = "heal"
            let parts = cluster.parts
            let named = zip(parts, expected).compactMap { part, address in part.count > 1 ? address : nil }
            let absorbing = parts.min { cluster.hosts[$0[0]].address < cluster.hosts[$1[0]].address }!
            expected = [named.min() ?? smallestEligible(absorbing) ?? smallestEligible(parts.flatMap { $0 })]
            cluster.heal()
        case .quickRestart:
            return
        }
        // No preemption: a dispatcher in place keeps the role, a standalone member that may
        // dispatch takes it; only when none of those may (the one eligible member was away)
        // does the one coming back take it.
        if fault != .partition {
            expected = [current ?? smallestEligible(incumbents) ?? smallestEligible(Array(cluster.hosts.indices))]
        }
        try measure(repair, bound: bound)
        try expectDispatchers(expected, after: repair)
    }

    /// Runs until the checks hold, within `bound` of now, and then a while longer to see them stay.
    private mutating func measure(_ what: String, bound: UInt64) throws(SimulationFailure) {
        let start = cluster.now
        try watch.run(cluster, until: start + 3 * bound, stopWhenHolding: true)
        guard watch.holds else {
            throw SimulationFailure("after the \(what): not converged in \(formatTime(3 * bound)): \(watch.lastViolation ?? "?")")
        }
        let converged = cluster.now - start
        outcome.convergences.append((converged, bound))
        if converged > bound {
            throw SimulationFailure("after the \(what): converged in \(formatTime(converged)), over the bound \(formatTime(bound))")
        }
        try settle(what)
    }

    /// A token timeout and a broadcast timeout more with every check holding throughout.
    private mutating func settle(_ what: String) throws(SimulationFailure) {
        let held = watch.lastBecameTrue
        try watch.run(cluster, until: cluster.now + timing.tokenTimeout + timing.broadcastTimeout)
        guard watch.holds, watch.lastBecameTrue == held else {
            throw SimulationFailure("after the \(what) the checks held, then broke: \(watch.lastViolation ?? "?")")
        }
    }

    /// The one dispatcher the (single) part agrees on.
    private func dispatcher() throws(SimulationFailure) -> IPv4Address? {
        let live = cluster.hosts.indices.first { cluster.hosts[$0].isLive }!
        return cluster.hosts[live].machine!.view!.dispatcher
    }

    private func smallestEligible(_ hosts: [Int]) -> IPv4Address? {
        hosts.filter { cluster.hosts[$0].isLive && cluster.hosts[$0].canDispatch }.map { cluster.hosts[$0].address }.min()
    }

    /// Who dispatches once `victim` is gone: the same member, unless it was the victim; then the
    /// smallest eligible survivor. None in a ring of one.
    private func expectedAfterLoss(of victim: Int, dispatcher: IPv4Address?) -> IPv4Address? {
        let survivors = cluster.hosts.indices.filter { $0 != victim && cluster.hosts[$0].isLive }
        if survivors.count <= 1 { return nil }
        return cluster.hosts[victim].address == dispatcher ? smallestEligible(survivors) : dispatcher
    }

    private func expectDispatchers(_ expected: [IPv4Address?], after what: String) throws(SimulationFailure) {
        let parts = cluster.parts
        let actual = parts.map { cluster.hosts[$0[0]].machine!.view!.dispatcher }
        let wanted = zip(parts, expected).map { part, address in part.count > 1 ? address : nil }
        guard actual == wanted else {
            func words(_ list: [IPv4Address?]) -> String { list.map { $0.map { "\($0)" } ?? "none" }.joined(separator: ", ") }
            throw SimulationFailure("after the \(what): dispatcher(s) \(words(actual)), the election rules say \(words(wanted))")
        }
    }

    /// Two non-empty groups: a cut in address order or a random split.
    private mutating func splitInTwo(_ count: Int) -> [Int] {
        if random.chance(0.5) {
            let cut = random.int(1...(count - 1))
            return (0..<count).map { $0 < cut ? 0 : 1 }
        }
        var groups = (0..<count).map { _ in random.int(0...1) }
        if !groups.contains(0) { groups[0] = 0 }
        if !groups.contains(1) { groups[count - 1] = 1 }
        return groups
    }
}
