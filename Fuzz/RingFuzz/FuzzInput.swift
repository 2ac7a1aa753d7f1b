import Crypto
import SashaRing
import SashaSDK

/// One fuzz input: the first byte picks the sender and receiver; the rest is a packet's bytes
/// before the tag. The input is fed twice: as it is (so the tag check and length limits are
/// exercised) and sealed with the ring's key (so the decoder and the machine see it as a member's
/// packet: a member with the key and a bug is the worst sender there is). The formed ring then
/// runs on for a while, and the machines must still hold a sane view.
enum FuzzInput {
    static func run(_ data: UnsafeRawBufferPointer) {
        guard let selector = data.first else { return }
        let body = Array(data.dropFirst())
        var ring = FuzzedRing.formed
        let from = Int(selector % 3), to = Int(selector / 3 % 3)
        let sender = FuzzedRing.addresses[from], receiver = FuzzedRing.addresses[to]
        var queue: [(bytes: [UInt8], from: Int, to: Int)] = []
        let before = ring.machines[to]
        for bytes in [body, sealed(body, for: receiver)] {
            var effects: [RingEffect] = []
            ring.machines[to].receive(bytes, from: sender, now: ring.now, into: &effects)
            ring.enqueue(effects, from: to, into: &queue)
        }
        if let packet = try? RingCodec.insecure.open(sealed(body, for: receiver), receiver: receiver),
           packet.epoch != FuzzedRing.epoch(of: sender) {
            // Under an epoch the receiver never verified (and with no challenge out to answer), a
            // packet is only answered and held: it changes nothing the ring relies on.
            let after = ring.machines[to]
            precondition(after.view == before.view && after.role == before.role && after.isJoining == before.isJoining,
                         "an unverified packet changed the receiver's view or role")
        }
        if let packet = try? RingCodec.insecure.open(sealed(body, for: receiver), receiver: receiver) {
            // Whatever decodes must encode to bytes that decode to the same packet (reserved
            // bytes are written as zero and ignored when read, so the bytes may differ).
            let resealed = RingCodec.insecure.seal(packet, to: packet.addressed ? receiver : nil)
            let again = try? RingCodec.insecure.open(resealed, receiver: receiver)
            precondition(again == packet, "decode/encode round trip differs")
        }
        ring.run(milliseconds: selector & 0x80 == 0 ? 5 : 60, queue: &queue)
        for machine in ring.machines {
            if let view = machine.view {
                precondition(view.count >= 1 && view.count <= RingView.maximumMembers)
                precondition(zip(view.members, view.members.dropFirst()).allSatisfy { $0.address < $1.address })
            }
        }
    }

    /// The bytes with the tag a member holding the (insecure) key would put on them: when the
    /// flags byte says the packet is addressed, the tag covers `receiver`'s address too.
    static func sealed(_ bytes: [UInt8], for receiver: IPv4Address) -> [UInt8] {
        let key = SymmetricKey(data: [UInt8](repeating: 0, count: 32))
        var mac = HMAC<SHA256>(key: key)
        if bytes.count > 2, bytes[2] & 1 != 0 { mac.update(data: withUnsafeBytes(of: receiver.value.bigEndian) { Array($0) }) }
        mac.update(data: bytes)
        return bytes + mac.finalize().withUnsafeBytes { Array($0.prefix(RingPacket.tagSize)) }
    }
}
