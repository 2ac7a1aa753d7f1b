import SashaSDK
import Testing
@testable import SashaRing

/// Two members can each publish "version + 1" at once (one leaving while the master takes a
/// restarted member back); the heartbeat's view digest shows it and the master settles it.
@Suite struct ViewConflictTests {
    @Test func twoViewsOfOneVersionAreSettledByTheMastersNewerOne() {
        var ring = RingHarness(seeds: [1, 2, 3])
        for member: UInt32 in [1, 2, 3] { ring.start(member) }
        ring.run(milliseconds: 300)
        let formed = ring.view(1)!
        #expect(ring.view(2) == formed && ring.view(3) == formed)
        // Two views of version 2 that differ only where no other repair looks (a member's id):
        // the master's, and member 3's.
        let mastersView = formed.next(cause: .resent)
        let othersView = RingView(ring: formed.ring, version: mastersView.version, cause: .left, dispatcher: formed.dispatcher,
                                  members: formed.members.map { member in
                                      var changed = member
                                      if member.address == RingHarness.address(3) { changed.id = 9 }
                                      return changed
                                  })
        #expect(mastersView.digest != othersView.digest && mastersView.version == othersView.version)
        ring.machines[RingHarness.address(1)]!.view = mastersView
        ring.machines[RingHarness.address(3)]!.view = othersView
        ring.run(milliseconds: 200)
        let settled = ring.view(1)!
        #expect(settled.version > mastersView.version && settled.members == mastersView.members)
        #expect(ring.view(2) == settled && ring.view(3) == settled, "the members still hold different views")
    }
}
