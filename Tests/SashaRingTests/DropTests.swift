import SashaSDK
import Testing
@testable import SashaRing

/// Whatever arrives, the machine counts and drops what it must, and never traps.
@Suite struct DropTests {
    func formedPair() -> RingHarness {
        var ring = RingHarness(seeds: [1, 2])
        ring.start(1); ring.start(2)
        ring.run(milliseconds: 300)
        return ring
    }

    @Test func aReplayedPacketIsDroppedAndCounted() {
        var ring = formedPair()
        let one = RingHarness.address(1), two = RingHarness.address(2)
        var captured: [UInt8] = []
        ring.with(1) { machine, now, effects in
            machine.submit(channel: 1, payload: [9], to: nil, outOfBand: true, into: &effects)
            if case let .send(bytes, _) = effects.last { captured = bytes }
        }
        ring.run(milliseconds: 1)
        let delivered = ring.reported[two, default: []].filter { if case .delivered = $0 { true } else { false } }
        #expect(delivered == [.delivered(channel: 1, payload: [9], from: one)])
        ring.with(2) { machine, now, effects in machine.receive(captured, from: one, now: now, into: &effects) }
        #expect(ring.machines[two]!.counters.droppedReplay == 1)
    }

    @Test func strangersStaleRingsAndSpoofsAreCounted() {
        var ring = formedPair()
        let one = RingHarness.address(1), two = RingHarness.address(2), three = RingHarness.address(3)
        let stranger = RingCodec(key: Array(repeating: 2, count: 32))
        let heartbeat = [RingMessage(origin: one, body: .heartbeat(viewDigest: 1, viewVersion: 1))]
        let epochOfOne = ring.machines[one]!.freshness.ownEpoch
        let badTag = stranger.seal(RingPacket(sender: three, epoch: 1, sequence: 5, ring: 1, messages: heartbeat))
        // Member 1's own epoch and its next sequence (so that it is fresh), but another ring: stale.
        let next = ring.machines[one]!.sequence + 1
        let stale = ring.codec.seal(RingPacket(sender: one, epoch: epochOfOne, sequence: next, ring: 12345, messages: heartbeat))
        let spoofed = ring.codec.seal(RingPacket(sender: one, epoch: epochOfOne, sequence: .max, ring: 1, messages: heartbeat))
        // A key holder nobody has verified: challenged, its packet not read.
        let unverified = ring.codec.seal(RingPacket(sender: three, epoch: 3, sequence: 1, ring: 1, messages: heartbeat))
        let unverifiedBefore = ring.machines[two]!.counters.droppedUnverified  // the joins before the handshakes
        ring.with(2) { machine, now, effects in
            machine.receive(badTag, from: three, now: now, into: &effects)
            machine.receive(stale, from: one, now: now, into: &effects)
            machine.receive(spoofed, from: three, now: now, into: &effects)
            machine.receive([1, 2, 3], from: three, now: now, into: &effects)
            machine.receive(unverified, from: three, now: now, into: &effects)
        }
        let counters = ring.machines[two]!.counters
        #expect(counters.droppedBadTag == 1)
        #expect(counters.droppedStaleRing == 1)
        #expect(counters.droppedSpoofed == 1)
        #expect(counters.droppedMalformed == 1)
        #expect(counters.droppedUnverified == unverifiedBefore + 1)
        ring.run(milliseconds: 500)
        #expect(ring.members(2) == [1, 2])
    }

    @Test func aMessageForOneMemberIsTakenOffTheRingThere() {
        var ring = RingHarness(seeds: [1, 2, 3])
        for member: UInt32 in [1, 2, 3] { ring.start(member) }
        ring.run(milliseconds: 300)
        ring.with(3) { machine, now, effects in
            machine.submit(channel: 7, payload: [1], to: RingHarness.address(2), outOfBand: false, into: &effects)
            machine.submit(channel: 8, payload: [2], to: nil, outOfBand: false, into: &effects)
        }
        ring.run(milliseconds: 100)
        func delivered(_ last: UInt32) -> [UInt8] {
            ring.reported[RingHarness.address(last), default: []].compactMap { if case let .delivered(channel, _, _) = $0 { channel } else { nil } }
        }
        #expect(delivered(2) == [7, 8])
        #expect(delivered(1) == [8])
        #expect(delivered(3) == [])
        #expect(ring.machines.values.allSatisfy { $0.counters.expiredMessages == 0 })
    }
}
