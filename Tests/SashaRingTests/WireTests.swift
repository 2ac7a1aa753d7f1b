import SashaSDK
import Testing
@testable import SashaRing

@Suite struct WireTests {
    let codec = RingCodec(key: Array(repeating: 7, count: 32))
    let one = IPv4Address(0x7F00_0001)
    let two = IPv4Address(0x7F00_0002)

    @Test func heartbeatPacketFitsIn64Bytes() throws {
        let packet = RingPacket(sender: one, epoch: 0xDEAD_BEEF, sequence: 42, ring: 1_700_000_000_000_000,
                                messages: [RingMessage(origin: one, body: .heartbeat(viewDigest: 9, viewVersion: 3))])
        let bytes = codec.seal(packet)
        #expect(bytes.count == 64)
        #expect(try codec.open(bytes, receiver: two) == packet)
    }

    @Test func everyMessageRoundTrips() throws {
        let view = RingView(ring: 99, version: 4, cause: .merged, dispatcher: two, members: [
            RingMember(address: two, id: 2, canDispatch: true, healthy: false),
            RingMember(address: one, id: 1, canDispatch: false),
        ])
        let bodies: [RingMessage.Body] = [
            .heartbeat(viewDigest: .max, viewVersion: 1),
            .join(JoinRequest(canDispatch: true, healthy: false, isDispatcher: true, previousRing: 77)),
            .purge(ring: 12, suspect: two),
            .view(view), .merge(view),
            .beacon(memberCount: 3, dispatcher: nil), .beacon(memberCount: 254, dispatcher: one),
            .sync, .health(healthy: false, canDispatch: true), .health(healthy: true, canDispatch: true),
            .health(healthy: true, canDispatch: false), .health(healthy: false, canDispatch: false),
            .cluster(channel: 3, payload: [1, 2, 3]), .cluster(channel: 0, payload: []),
            .challenge(nonce: 0x1234_5678_9ABC_DEF0), .answer(nonce: .max),
        ]
        let packet = RingPacket(sender: one, epoch: 1, sequence: 1, ring: 99, messages: bodies.enumerated().map {
            RingMessage(origin: one, destination: $0.offset.isMultiple(of: 2) ? nil : two, hops: UInt8($0.offset), body: $0.element)
        })
        #expect(try codec.open(codec.seal(packet), receiver: two) == packet)
    }

    @Test func aChangedByteOrAnotherKeyFailsTheTag() {
        let bytes = codec.seal(RingPacket(sender: one, epoch: 9, sequence: 1, ring: 5, messages: [RingMessage(origin: one, body: .sync)]))
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x40
            #expect(throws: RingCodec.OpenError.badTag) { try codec.open(tampered, receiver: two) }
        }
        #expect(throws: RingCodec.OpenError.badTag) { try RingCodec.insecure.open(bytes, receiver: two) }
    }

    @Test func aPacketSealedForOneMemberFailsTheTagAtAnother() throws {
        let packet = RingPacket(sender: one, epoch: 5, sequence: 8, ring: 5, messages: [RingMessage(origin: one, body: .sync)])
        let forTwo = codec.seal(packet, to: two)
        #expect(try codec.open(forTwo, receiver: two).addressed)
        // Its sequence is new to member 3, which never saw it: only the tag keeps it out there.
        #expect(throws: RingCodec.OpenError.badTag) { try codec.open(forTwo, receiver: IPv4Address(0x7F00_0003)) }
        // Sealed for everyone, anyone opens it.
        #expect(try codec.open(codec.seal(packet), receiver: IPv4Address(0x7F00_0003)).addressed == false)
    }

    @Test func shortOrOversizedDatagramsAreMalformed() {
        #expect(throws: RingCodec.OpenError.malformed(.truncated)) { try codec.open([UInt8](repeating: 0, count: 39), receiver: two) }
        #expect(throws: RingCodec.OpenError.malformed(.tooLarge)) { try codec.open([UInt8](repeating: 0, count: 20_000), receiver: two) }
    }

    /// Well-tagged nonsense (a member with the key and a bug) is still refused, field by field.
    @Test func wellTaggedNonsenseIsMalformed() {
        func sealed(_ body: [UInt8], epoch: [UInt8] = [0, 0, 0, 1], version: UInt8 = 2) -> [UInt8] {
            var bytes: [UInt8] = [version, 1, 0, 0, 127, 0, 0, 1] + epoch + [UInt8](repeating: 0, count: 7) + [1]
            bytes += [UInt8](repeating: 0, count: 8) + body
            return codec.seal(bytes: bytes)
        }
        let cases: [[UInt8]] = [
            [99, 0, 0, 0, 127, 0, 0, 1, 0, 0, 0, 0],                   // unknown message type
            [1, 0, 0, 9, 127, 0, 0, 1, 0, 0, 0, 0, 1, 2],              // body shorter than its length
            [1, 0, 0, 2, 127, 0, 0, 1, 0, 0, 0, 0, 1, 2],              // heartbeat body too short
            [8, 0, 0, 1, 127, 0, 0, 1, 0, 0, 0, 0, 5],                 // health flags beyond the two defined
            [4, 0, 0, 20, 127, 0, 0, 1, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 20),  // view of ring 0
        ]
        for body in cases {
            #expect(throws: RingCodec.OpenError.self) { try codec.open(sealed(body), receiver: two) }
        }
        let sync: [UInt8] = [7, 0, 0, 0, 127, 0, 0, 1, 0, 0, 0, 0]
        #expect(throws: Never.self) { try codec.open(sealed(sync), receiver: two) }
        #expect(throws: RingCodec.OpenError.malformed(.invalidField("epoch 0"))) { try codec.open(sealed(sync, epoch: [0, 0, 0, 0]), receiver: two) }
        // A version 1 packet (no epoch) is refused whole, not read with its fields shifted.
        #expect(throws: RingCodec.OpenError.malformed(.badVersion(1))) { try codec.open(sealed(sync, version: 1), receiver: two) }
    }

    @Test func viewMembersMustBeInAddressOrder() {
        var writer = ByteWriter(capacity: 64)
        writer.write(UInt64(5)); writer.write(UInt32(1)); writer.write(UInt32(0))
        writer.write(ViewCause.formed.rawValue); writer.write(UInt8(0)); writer.write(UInt16(2))
        for address: UInt32 in [0x7F00_0002, 0x7F00_0001] {
            writer.write(address); writer.write(UInt8(1)); writer.write(UInt8(3)); writer.write(UInt16(0))
        }
        #expect(throws: WireError.invalidField("view members out of order")) {
            try writer.bytes.withUnsafeBytes { buffer in
                var reader = ByteReader(buffer)
                _ = try RingView.decode(from: &reader)
            }
        }
    }

    @Test func replayWindowAcceptsEachSequenceOnceWithinTheWindow() {
        var window = ReplayWindow(first: 100)
        let sequences: [UInt64] = [100, 103, 101, 101, 102, 300, 236, 237]
        // Reordered (101 after 103) is still new; a duplicate is not; 64 behind is too old to tell.
        let accepted = sequences.map { window.accept($0) }
        #expect(accepted == [false, true, true, false, true, true, false, true])
    }
}
