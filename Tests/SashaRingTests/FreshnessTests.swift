import SashaSDK
import Testing
@testable import SashaRing

/// Issue 16, item 3: a packet counts only under a sender epoch the receiver verified with a
/// challenge, so freshness does not depend on wall clocks and a recording replayed later is inert.
/// Packets here are forged with the ring key, as an attacker who recorded traffic cannot, and as
/// a member with the key would.
@Suite struct FreshnessTests {
    let one = RingHarness.address(1), two = RingHarness.address(2)

    /// The challenges in the datagrams a machine sent to `to`.
    func challenges(in effects: [RingEffect], to target: IPv4Address, codec: RingCodec) -> [UInt64] {
        effects.flatMap { effect -> [UInt64] in
            guard case let .send(bytes, destination) = effect, destination == target, let packet = try? codec.open(bytes, receiver: target) else { return [] }
            return packet.messages.compactMap { if case let .challenge(nonce) = $0.body { nonce } else { nil } }
        }
    }

    @Test func aViewFromAnUnverifiedEpochIsNotReadTheSenderIsChallengedAndOnlyItsAnswerCounts() throws {
        var ring = RingHarness(seeds: [1, 2])
        ring.start(2)
        let view = RingView(ring: 1_700_000_000_000_000, version: 3, cause: .formed, dispatcher: one, members: [
            RingMember(address: one, id: 1, canDispatch: true), RingMember(address: two, id: 2, canDispatch: true),
        ])
        let epoch: UInt32 = 0xABCD_0001
        let viewMessage = RingMessage(origin: one, body: .view(view))
        let viewPacket = ring.codec.seal(RingPacket(sender: one, epoch: epoch, sequence: 5, ring: view.ring, messages: [viewMessage]))
        var sent: [RingEffect] = []
        ring.with(2) { machine, now, effects in
            machine.receive(viewPacket, from: one, now: now, into: &effects)
            sent = effects
        }
        #expect(ring.machines[two]!.isJoining && ring.view(2) == nil, "adopted a view from an epoch it never verified")
        #expect(ring.machines[two]!.counters.droppedUnverified == 1)
        let nonce = try #require(challenges(in: sent, to: one, codec: ring.codec).first, "no challenge to the sender")

        // A wrong nonce verifies nothing; the right one, under the same epoch, does, and the view
        // that rides with it (as a master's broadcast carries it) is read.
        for (sequence, answer) in [(UInt64(6), nonce &+ 1), (7, nonce)] {
            let packet = ring.codec.seal(RingPacket(sender: one, epoch: epoch, sequence: sequence, ring: view.ring, messages: [
                RingMessage(origin: one, destination: two, body: .answer(nonce: answer)), viewMessage,
            ]))
            ring.with(2) { machine, now, effects in machine.receive(packet, from: one, now: now, into: &effects) }
            #expect((ring.view(2) == view) == (answer == nonce), "answer \(answer == nonce ? "right" : "wrong")")
        }
        #expect(ring.role(2) == .server)
        // The first view packet, sent before the answer, is never read now: it could be a recording.
        ring.with(2) { machine, now, effects in machine.receive(viewPacket, from: one, now: now, into: &effects) }
        #expect(ring.machines[two]!.counters.droppedReplay == 1)
    }

    @Test func aRecordedStreamReplayedToARestartedMemberChangesNothing() {
        var ring = RingHarness(seeds: [1, 2, 3])
        for member: UInt32 in [1, 2, 3] { ring.start(member) }
        ring.recording = []
        ring.run(milliseconds: 400)
        let recorded = ring.recording!.filter { $0.to == RingHarness.address(3) }
        ring.recording = nil
        #expect(ring.members(3) == [1, 2, 3] && ring.dispatcher(3) == 1)
        #expect(recorded.contains { datagram in
            (try? ring.codec.open(datagram.bytes, receiver: datagram.to))?.messages.contains { if case .view = $0.body { true } else { false } } == true
        }, "the recording holds the views that formed the ring")

        // Member 3 restarts cut off from the others, and hears only the recording, in order.
        ring.crash(3)
        ring.partition = [[3]]
        ring.start(3)
        for datagram in recorded {
            ring.with(3) { machine, now, effects in machine.receive(datagram.bytes, from: datagram.from, now: now, into: &effects) }
        }
        ring.run(milliseconds: 50)
        let three = ring.machines[RingHarness.address(3)]!
        #expect(three.isJoining && three.view == nil && three.role == .joining, "the replay put member 3 in a ring: \(three.view.map { "\($0)" } ?? "")")
        #expect(three.counters.droppedUnverified > 0)
        #expect(three.counters.packetsIn == 0, "a recorded packet was taken as fresh")

        // Healed, it is challenged and answers like any new process, and rejoins.
        ring.partition = []
        ring.run(milliseconds: 400)
        #expect(ring.members(3) == [1, 2, 3] && ring.members(1) == [1, 2, 3])
    }

    @Test func aMemberWhoseWallClockSteppedBackAcrossARestartIsHeardAgain() {
        var ring = RingHarness(seeds: [1, 2])
        ring.start(1); ring.start(2)
        ring.run(milliseconds: 300)
        #expect(ring.members(1) == [1, 2])
        ring.crash(2)
        ring.run(milliseconds: 300)
        #expect(ring.members(1) == [1])
        // Restarted with its clock an hour behind (NTP stepped it back): its sequences once came
        // from that clock, and member 1 dropped every packet below the last one it had seen.
        ring.start(2, clockBehind: 3_600_000_000)
        ring.run(milliseconds: 500)
        #expect(ring.members(1) == [1, 2] && ring.members(2) == [1, 2])
        #expect(ring.machines[one]!.counters.droppedReplay == 0)
    }
}
