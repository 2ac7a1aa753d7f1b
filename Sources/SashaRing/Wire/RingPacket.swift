import SashaBase

/// One UDP datagram of the ring protocol: a 28-byte header, the messages, a 16-byte tag.
///
///     0  u8  version (2)          4  u32 sender address
///     1  u8  message count        8  u32 sender epoch (random per start, never 0)
///     2  u8  flags (1: addressed) 12  u64 sender sequence (from 1 in each epoch)
///     3  u8  0                   20  u64 ring (creation time, µs; 0: sender is in no ring)
///                                28  messages ...
///                              end-16 tag: HMAC-SHA256 over everything before it, first 16 bytes
///
/// Version 2 added the epoch (version 1 packets are refused as `badVersion`): freshness comes
/// from it and a handshake, not from wall clocks (`PeerFreshness`).
/// A heartbeat packet is 28 + 20 + 16 = 64 bytes of UDP payload.
public struct RingPacket: Equatable, Sendable {
    public var sender: IPv4Address
    public var epoch: UInt32
    public var sequence: UInt64
    public var ring: UInt64
    public var messages: [RingMessage]
    /// Sent to one member, whose address the tag covers (`RingCodec`); set by sealing.
    public internal(set) var addressed = false

    public init(sender: IPv4Address, epoch: UInt32, sequence: UInt64, ring: UInt64, messages: [RingMessage]) {
        self.sender = sender
        self.epoch = epoch
        self.sequence = sequence
        self.ring = ring
        self.messages = messages
    }

    public static let version: UInt8 = 2
    public static let headerSize = 28
    static let flagsOffset = 2
    static let addressedFlag: UInt8 = 1
    public static let tagSize = 16
    /// The largest datagram the ring sends or accepts; a view of 254 members is about 2.1 KB.
    public static let maximumSize = 16_384
    /// At most this many messages in one packet (the count is one byte).
    public static let maximumMessages = 255

    /// The bytes before the tag.
    func encodeUnsealed() -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(Self.version)
        writer.write(UInt8(messages.count))
        writer.write(addressed ? Self.addressedFlag : 0)
        writer.write(UInt8(0))
        writer.write(sender.value)
        writer.write(epoch)
        writer.write(sequence)
        writer.write(ring)
        for message in messages { message.encode(into: &writer) }
        return writer.bytes
    }

    /// Decodes the bytes before the tag (the tag is checked first, by `RingCodec`).
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> RingPacket {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8()
        guard version == Self.version else { throw .badVersion(version) }
        let count = Int(try reader.readUInt8())
        let flags = try reader.readUInt8()
        guard flags & ~Self.addressedFlag == 0 else { throw .invalidField("flags \(flags)") }
        try reader.skip(1)
        let sender = try reader.readUInt32()
        guard sender != 0 else { throw .invalidField("sender 0.0.0.0") }
        let epoch = try reader.readUInt32()
        guard epoch != 0 else { throw .invalidField("epoch 0") }
        let sequence = try reader.readUInt64()
        let ring = try reader.readUInt64()
        var messages: [RingMessage] = []
        messages.reserveCapacity(count)
        for _ in 0..<count { messages.append(try RingMessage.decode(from: &reader)) }
        guard reader.remaining == 0 else { throw .badLength }
        var packet = RingPacket(sender: IPv4Address(sender), epoch: epoch, sequence: sequence, ring: ring, messages: messages)
        packet.addressed = flags & Self.addressedFlag != 0
        return packet
    }
}
