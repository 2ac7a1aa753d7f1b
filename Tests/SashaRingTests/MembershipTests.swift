import SashaSDK
import Testing
@testable import SashaRing

@Suite struct MembershipTests {
    @Test func membersFormOneRingWithTheSmallestAsMasterAndEligibleDispatcher() {
        var ring = RingHarness(seeds: [1, 2, 3, 4])
        ring.start(3); ring.start(1, canDispatch: false); ring.start(4); ring.start(2)
        ring.run(milliseconds: 300)
        for member: UInt32 in [1, 2, 3, 4] {
            #expect(ring.members(member) == [1, 2, 3, 4])
            #expect(ring.view(member)?.master == RingHarness.address(1))
            // 1 may not dispatch, so the smallest that may is elected.
            #expect(ring.dispatcher(member) == 2)
        }
        #expect(ring.role(2) == .dispatcher)
        #expect(ring.role(1) == .server)
        #expect(ring.view(1)?.downstream(of: RingHarness.address(4)) == RingHarness.address(1))
        #expect(ring.view(1)?.upstream(of: RingHarness.address(1)) == RingHarness.address(4))
    }

    @Test func theTokenGoesRoundAndTheRingStaysQuiet() {
        var ring = RingHarness(seeds: [1, 2, 3])
        for member: UInt32 in [1, 2, 3] { ring.start(member) }
        ring.run(milliseconds: 300)
        let before = ring.machines[RingHarness.address(1)]!.counters
        ring.run(milliseconds: 1000)
        let after = ring.machines[RingHarness.address(1)]!.counters
        // 1000 ms at a 20 ms heartbeat: about 50 rotations, no membership change.
        #expect((45...51).contains(after.rotations - before.rotations))
        #expect(after.viewChanges == before.viewChanges)
        #expect(after.purges == 0)
    }

    /// The spec's example: .2, .5, .6 form a ring; .4 joins between .2 and .5.
    @Test func aNewMemberIsInsertedByAddress() {
        var ring = RingHarness(seeds: [2, 4, 5, 6])
        for member: UInt32 in [2, 5, 6] { ring.start(member) }
        ring.run(milliseconds: 300)
        #expect(ring.members(5) == [2, 5, 6])
        ring.start(4)
        ring.run(milliseconds: 50)
        for member: UInt32 in [2, 4, 5, 6] { #expect(ring.members(member) == [2, 4, 5, 6]) }
        let view = ring.view(4)!
        #expect(view.downstream(of: RingHarness.address(2)) == RingHarness.address(4))
        #expect(view.upstream(of: RingHarness.address(5)) == RingHarness.address(4))
        #expect(Set(view.members.map(\.id)).count == 4)
        #expect(ring.dispatcher(4) == 2)
        #expect(ring.view(4)?.cause == .expanded)
    }

    @Test func aCrashedDispatcherIsReplacedAndComesBackAsAServer() {
        var ring = RingHarness(seeds: [1, 2, 3, 4])
        for member: UInt32 in [1, 2, 3, 4] { ring.start(member) }
        ring.run(milliseconds: 300)
        #expect(ring.dispatcher(3) == 1)
        ring.crash(1)
        // Within the token timeout (150 ms) and a little: once every survivor has rejoined, the
        // rebuild does not wait out the broadcast timeout (100 ms).
        ring.run(milliseconds: 175)
        for member: UInt32 in [2, 3, 4] {
            #expect(ring.members(member) == [2, 3, 4])
            #expect(ring.dispatcher(member) == 2)
        }
        ring.start(1)
        ring.run(milliseconds: 100)
        for member: UInt32 in [1, 2, 3, 4] {
            #expect(ring.members(member) == [1, 2, 3, 4])
            #expect(ring.dispatcher(member) == 2)
        }
        #expect(ring.role(1) == .server)
        #expect(ring.view(2)?.master == RingHarness.address(1))
    }

    @Test func aDispatcherThatLeavesHandsOverAtOnce() {
        var ring = RingHarness(seeds: [1, 2, 3])
        for member: UInt32 in [1, 2, 3] { ring.start(member) }
        ring.run(milliseconds: 300)
        ring.with(1) { machine, now, effects in machine.leave(now: now, into: &effects) }
        ring.run(milliseconds: 2)
        #expect(ring.members(2) == [2, 3])
        #expect(ring.dispatcher(3) == 2)
        #expect(ring.view(2)?.cause == .left)
        #expect(ring.machines[RingHarness.address(2)]!.counters.purges == 0)
    }

    /// A dispatcher whose data path fails says so (issue 22): the master elects another within a
    /// token round, with no purge; the member coming back does not take the role back.
    @Test func aDispatcherThatCannotCarryTrafficHandsOverAndIsNotPreemptive() {
        var ring = RingHarness(seeds: [1, 2, 3, 4])
        for member: UInt32 in [1, 2, 3, 4] { ring.start(member) }
        ring.run(milliseconds: 300)
        #expect(ring.dispatcher(4) == 1)
        ring.with(1) { machine, now, effects in machine.setDispatchReady(false, now: now, into: &effects) }
        ring.run(milliseconds: 5)
        for member: UInt32 in [1, 2, 3, 4] {
            #expect(ring.members(member) == [1, 2, 3, 4])
            #expect(ring.dispatcher(member) == 2)
        }
        #expect(ring.role(1) == .server)
        #expect(ring.view(3)?.member(RingHarness.address(1))?.canDispatch == false)
        #expect(ring.machines[RingHarness.address(2)]!.counters.purges == 0)
        ring.with(1) { machine, now, effects in machine.setDispatchReady(true, now: now, into: &effects) }
        ring.run(milliseconds: 100)
        #expect(ring.view(3)?.member(RingHarness.address(1))?.canDispatch == true)
        for member: UInt32 in [1, 2, 3, 4] { #expect(ring.dispatcher(member) == 2) }
    }

    /// The same report from a member that is not the master travels to the master on the token.
    @Test func aServerThatCannotDispatchIsSkippedByTheNextElection() {
        var ring = RingHarness(seeds: [1, 2, 3])
        for member: UInt32 in [1, 2, 3] { ring.start(member) }
        ring.run(milliseconds: 300)
        ring.with(2) { machine, now, effects in machine.setDispatchReady(false, now: now, into: &effects) }
        ring.run(milliseconds: 100)
        #expect(ring.view(1)?.member(RingHarness.address(2))?.canDispatch == false)
        ring.crash(1)
        ring.run(milliseconds: 400)
        // 2 is the smallest survivor but cannot carry traffic: 3 dispatches.
        #expect(ring.members(2) == [2, 3])
        #expect(ring.dispatcher(2) == 3)
        #expect(ring.role(3) == .dispatcher)
    }

    @Test func theLastMemberRunsAloneAsStandalone() {
        var ring = RingHarness(seeds: [1, 2])
        ring.start(1); ring.start(2)
        ring.run(milliseconds: 300)
        #expect(ring.role(1) == .dispatcher)
        ring.crash(2)
        ring.run(milliseconds: 400)
        #expect(ring.members(1) == [1])
        #expect(ring.role(1) == .standalone)
        #expect(ring.dispatcher(1) == nil)
    }

    @Test func noMemberMayDispatchMeansNoDispatcher() {
        var ring = RingHarness(seeds: [1, 2])
        ring.start(1, canDispatch: false); ring.start(2, canDispatch: false)
        ring.run(milliseconds: 300)
        #expect(ring.members(2) == [1, 2])
        #expect(ring.dispatcher(1) == nil)
        #expect(ring.role(1) == .server)
    }

    /// Two rings that could not see each other meet: one ring, the higher dispatcher abdicates.
    @Test func aHealedPartitionMergesAndTheHigherDispatcherAbdicates() {
        var ring = RingHarness(seeds: [1, 2, 3, 4, 5])
        for member: UInt32 in [1, 2, 3, 4, 5] { ring.start(member) }
        ring.run(milliseconds: 300)
        ring.partition = [[1, 2], [3, 4, 5]]
        ring.run(milliseconds: 400)
        #expect(ring.members(4) == [3, 4, 5])
        #expect(ring.dispatcher(4) == 3)
        #expect(ring.members(2) == [1, 2])
        #expect(ring.dispatcher(2) == 1)
        ring.partition = []
        ring.run(milliseconds: 400)
        for member: UInt32 in [1, 2, 3, 4, 5] {
            #expect(ring.members(member) == [1, 2, 3, 4, 5], "member \(member)")
            #expect(ring.dispatcher(member) == 1, "member \(member)")
        }
        #expect(ring.role(3) == .server)
    }
}

@Suite struct StallTests {
    /// A member frozen longer than a token timeout (SIGSTOP) was purged by the others; when it
    /// runs again it rejoins at once and is back within a broadcast timeout or so.
    @Test func aFrozenMemberRejoinsWhenItRunsAgain() {
        var ring = RingHarness(seeds: [1, 2, 3])
        for member: UInt32 in [1, 2, 3] { ring.start(member) }
        ring.run(milliseconds: 300)
        let frozen = ring.machines.removeValue(forKey: RingHarness.address(3))!
        ring.run(milliseconds: 400)
        #expect(ring.members(1) == [1, 2])
        ring.machines[RingHarness.address(3)] = frozen
        ring.run(milliseconds: 50)
        for member: UInt32 in [1, 2, 3] { #expect(ring.members(member) == [1, 2, 3], "member \(member)") }
    }

    /// A member that did not run for a little less than a token timeout (a starved host) does not
    /// accuse its neighbour of the silence it caused itself.
    @Test func aShortStallIsNotAFault() {
        var ring = RingHarness(seeds: [1, 2, 3])
        for member: UInt32 in [1, 2, 3] { ring.start(member) }
        ring.run(milliseconds: 300)
        let purgesBefore = ring.machines.values.map(\.counters.purges).reduce(0, +)
        ring.with(2) { machine, now, effects in
            machine.tick(now: now + 140_000_000, into: &effects)
        }
        #expect(ring.machines.values.map(\.counters.purges).reduce(0, +) == purgesBefore)
    }
}

@Suite struct RebuildTests {
    /// The first member to time out may accuse a live neighbour that merely had no token to pass
    /// on; the dead member is then still awaited. The rebuild waits a heartbeat for it, not a
    /// whole broadcast timeout.
    @Test func aWrongSuspectCostsAHeartbeatNotABroadcastTimeout() {
        var ring = RingHarness(seeds: [1, 2, 3, 4])
        for member: UInt32 in [1, 2, 3, 4] { ring.start(member) }
        ring.run(milliseconds: 300)
        ring.crash(1)
        ring.with(3) { machine, now, effects in
            machine.detectFault(suspect: RingHarness.address(2), view: machine.view!, now: now, into: &effects)
        }
        // heartbeat 20 ms, broadcast timeout 100 ms.
        ring.run(milliseconds: 30)
        for member: UInt32 in [2, 3, 4] {
            #expect(ring.members(member) == [2, 3, 4], "member \(member)")
            #expect(ring.dispatcher(member) == 2)
        }
    }
}
