import Foundation
import SashaRing
import SashaSDK

/// Valid packets of every message type, as fuzz inputs (selector byte + bytes before the tag),
/// so that the fuzzer starts from the wire format instead of guessing it.
enum SeedCorpus {
    static func write(to folder: String) throws {
        let ring = FuzzedRing.formed
        let view = ring.machines[0].view!
        let one = FuzzedRing.addresses[0], two = FuzzedRing.addresses[1]
        let bodies: [RingMessage.Body] = [
            .heartbeat(viewDigest: view.digest, viewVersion: view.version),
            .join(JoinRequest(canDispatch: true, healthy: true, isDispatcher: false, previousRing: view.ring)),
            .purge(ring: view.ring, suspect: one), .view(view), .merge(view),
            .beacon(memberCount: 3, dispatcher: one), .sync, .health(healthy: false, canDispatch: true), .health(healthy: true, canDispatch: false),
            .cluster(channel: 1, payload: Array("hello".utf8)),
            .challenge(nonce: 7), .answer(nonce: 7),
        ]
        for (index, body) in bodies.enumerated() {
            // Under member 2's verified epoch (a handshake message to member 1, as the handshake
            // sends it), and once more under an epoch member 1 has never seen.
            let destination: IPv4Address? = RingMessage(origin: two, body: body).isHandshake ? one : nil
            for (variant, epoch) in [FuzzedRing.epoch(of: two), 0x0BAD_0001].enumerated() {
                let packet = RingPacket(sender: two, epoch: epoch, sequence: UInt64.max - 1000, ring: view.ring,
                                        messages: [RingMessage(origin: two, destination: destination, body: body)])
                let bytes = RingCodec.insecure.seal(packet).dropLast(RingPacket.tagSize)
                // Selector 1: from member 2 (index 1) to member 1 (index 0).
                try Data([UInt8(1)] + bytes).write(to: URL(fileURLWithPath: "\(folder)/seed-\(index)-\(variant)"))
            }
        }
    }
}
