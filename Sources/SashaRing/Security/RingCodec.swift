import Crypto
import SashaSDK

/// Seals packets with an HMAC-SHA256 tag and opens them again, checking the tag before anything
/// else is read: bytes from the network are not parsed until they are known to come from a
/// member holding the key.
///
/// The tag is the first 16 bytes of HMAC-SHA256 over the header and messages (truncation as in
/// RFC 4868 for IPsec; a forger still needs about 2^128 guesses), so that a heartbeat fits in 64
/// bytes. Without a key file (`ring.insecure: true`) the key is 32 zero bytes: the tag then only
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

    public func seal(_ packet: RingPacket) -> [UInt8] {
        seal(bytes: packet.encodeUnsealed())
    }

    /// Appends the tag to already encoded bytes.
    func seal(bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        let code = HMAC<SHA256>.authenticationCode(for: bytes, using: key)
        code.withUnsafeBytes { bytes.append(contentsOf: $0.prefix(RingPacket.tagSize)) }
        return bytes
    }

    public enum OpenError: Error, Equatable, Sendable {
        case malformed(WireError)
        case badTag
    }

    public func open(_ datagram: UnsafeRawBufferPointer) throws(OpenError) -> RingPacket {
        guard datagram.count <= RingPacket.maximumSize else { throw .malformed(.tooLarge) }
        guard datagram.count >= RingPacket.headerSize + RingPacket.tagSize else { throw .malformed(.truncated) }
        let signedCount = datagram.count - RingPacket.tagSize
        let signed = UnsafeRawBufferPointer(rebasing: datagram[..<signedCount])
        let expected = HMAC<SHA256>.authenticationCode(for: signed, using: key)
        let matches = expected.withUnsafeBytes { code in
            var difference: UInt8 = 0
            for index in 0..<RingPacket.tagSize { difference |= code[index] ^ datagram[signedCount + index] }
            return difference == 0
        }
        guard matches else { throw .badTag }
        do { return try RingPacket.decode(signed) } catch { throw .malformed(error) }
    }

    public func open(_ datagram: [UInt8]) throws(OpenError) -> RingPacket {
        let result = datagram.withUnsafeBytes { buffer in Result { () throws(OpenError) in try open(buffer) } }
        return try result.get()
    }
}
