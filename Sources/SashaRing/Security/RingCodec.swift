import Crypto
import SashaBase

/// Seals packets with an HMAC-SHA256 tag and opens them again, checking the tag before anything
/// else is read: bytes from the network are not parsed until they are known to come from a
/// member holding the key.
///
/// The tag is the first 16 bytes of HMAC-SHA256 over the header and messages (truncation as in
/// RFC 4868 for IPsec; a forger still needs about 2^128 guesses), so that a heartbeat fits in 64
/// bytes. A packet sent to one member (`RingPacket.addressed`, flag 1) has its receiver's address
/// in the tag too, without carrying it: the same bytes replayed to another member fail the tag.
/// A sender's sequence is shared by all its receivers, so without this a packet unicast to one
/// member would be new to every other one, within the replay window. Without a key file (`ring.insecure: true`) the key is 32 zero bytes: the tag then only
/// catches corruption, and anyone on the link can speak for a member.
public struct RingCodec: Sendable {
    /// Immutable after init; Crypto 3 does not mark it Sendable.
    private nonisolated(unsafe) let key: SymmetricKey
    public let isInsecure: Bool

    public init(key: [UInt8]) {
        precondition(key.count >= 16, "ring keys are at least 16 bytes")
        self.key = SymmetricKey(data: key)
        self.isInsecure = false
    }

    public static let insecure = RingCodec(insecureKey: ())

    private init(insecureKey: Void) {
        key = SymmetricKey(data: [UInt8](repeating: 0, count: 32))
        isInsecure = true
    }

    /// Seals `packet` for `receiver` (one member), or for every member when nil.
    public func seal(_ packet: RingPacket, to receiver: IPv4Address? = nil) -> [UInt8] {
        var packet = packet
        packet.addressed = receiver != nil
        return seal(bytes: packet.encodeUnsealed(), to: receiver)
    }

    /// Appends the tag to already encoded bytes (whose flags must say whether `receiver` is set).
    func seal(bytes: [UInt8], to receiver: IPv4Address? = nil) -> [UInt8] {
        var bytes = bytes
        let code = Self.tag(bytes.withUnsafeBytes { $0 }, receiver: receiver, key: key)
        code.withUnsafeBytes { bytes.append(contentsOf: $0.prefix(RingPacket.tagSize)) }
        return bytes
    }

    private static func tag(_ signed: UnsafeRawBufferPointer, receiver: IPv4Address?, key: SymmetricKey) -> HMAC<SHA256>.MAC {
        var mac = HMAC<SHA256>(key: key)
        if let receiver {
            withUnsafeBytes(of: receiver.value.bigEndian) { mac.update(data: $0) }
        }
        mac.update(data: signed)
        return mac.finalize()
    }

    public enum OpenError: Error, Equatable, Sendable {
        case malformed(WireError)
        case badTag
    }

    /// Checks the tag, then decodes. `receiver` is the member opening it: an addressed packet's
    /// tag holds its receiver's address, so one sent to another member fails here.
    public func open(_ datagram: UnsafeRawBufferPointer, receiver: IPv4Address) throws(OpenError) -> RingPacket {
        guard datagram.count <= RingPacket.maximumSize else { throw .malformed(.tooLarge) }
        guard datagram.count >= RingPacket.headerSize + RingPacket.tagSize else { throw .malformed(.truncated) }
        let signedCount = datagram.count - RingPacket.tagSize
        let signed = UnsafeRawBufferPointer(rebasing: datagram[..<signedCount])
        // The flags byte is read before the tag is checked only to know which tag to expect.
        let addressed = datagram[RingPacket.flagsOffset] & RingPacket.addressedFlag != 0
        let expected = Self.tag(signed, receiver: addressed ? receiver : nil, key: key)
        let matches = expected.withUnsafeBytes { code in
            var difference: UInt8 = 0
            for index in 0..<RingPacket.tagSize { difference |= code[index] ^ datagram[signedCount + index] }
            return difference == 0
        }
        guard matches else { throw .badTag }
        do { return try RingPacket.decode(signed) } catch { throw .malformed(error) }
    }

    public func open(_ datagram: [UInt8], receiver: IPv4Address) throws(OpenError) -> RingPacket {
        let result = datagram.withUnsafeBytes { buffer in Result { () throws(OpenError) in try open(buffer, receiver: receiver) } }
        return try result.get()
    }
}
