import SashaBase

/// An IPv4 header inside an Ethernet frame, read and written in place.
///
/// Made only by `classify(_:)` or `init?(_:)`, which check that the version is 4, the header
/// length is at least 20 bytes, and header and total length fit in the frame; the accessors then
/// read inside those bounds. Bytes after `end` are Ethernet padding (a frame is at least 60
/// bytes), never part of the packet.
public struct IPv4Packet {
    /// The whole frame.
    public let bytes: UnsafeMutableRawBufferPointer
    /// Where the IPv4 header starts in `bytes` (14: after the Ethernet header).
    public let offset: Int

    @inlinable
    init(_unchecked bytes: UnsafeMutableRawBufferPointer, offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Checks the frame's IPv4 header (after a 14-byte Ethernet header) and reports why it is
    /// unusable. Does not look at the EtherType or the header checksum.
    @inlinable
    public static func parse(_ frame: UnsafeMutableRawBufferPointer) -> Result<IPv4Packet, MalformedReason> {
        let offset = EthernetHeader.length
        guard frame.count >= offset &+ 20 else { return .failure(.truncatedIPv4Header) }
        let first = frame._byte(at: offset)
        guard first >> 4 == 4 else { return .failure(.ipv4Version) }
        let headerLength = Int(first & 0x0F) &* 4
        guard headerLength >= 20 else { return .failure(.ipv4HeaderLength) }
        guard frame.count >= offset &+ headerLength else { return .failure(.truncatedIPv4Header) }
        let totalLength = Int(frame._uint16(at: offset &+ 2))
        guard totalLength >= headerLength else { return .failure(.ipv4TotalLength) }
        guard frame.count >= offset &+ totalLength else { return .failure(.truncatedIPv4Packet) }
        return .success(IPv4Packet(_unchecked: frame, offset: offset))
    }

    /// Nil when `parse(_:)` fails.
    @inlinable
    public init?(_ frame: UnsafeMutableRawBufferPointer) {
        guard case .success(let packet) = Self.parse(frame) else { return nil }
        self = packet
    }

    @inlinable public var ethernet: EthernetHeader { EthernetHeader(_unchecked: bytes) }

    /// Header length in bytes (IHL × 4), 20...60.
    @inlinable public var headerLength: Int { Int(bytes._byte(at: offset) & 0x0F) &* 4 }
    /// Header plus payload, in bytes, as the header says (not the frame length).
    @inlinable public var totalLength: Int { Int(bytes._uint16(at: offset &+ 2)) }
    /// One past the packet's last byte in `bytes`; padding, if any, follows.
    @inlinable public var end: Int { offset &+ totalLength }
    /// Where the payload (the TCP header, for TCP) starts in `bytes`.
    @inlinable public var payloadOffset: Int { offset &+ headerLength }

    @inlinable public var identification: UInt16 { bytes._uint16(at: offset &+ 4) }
    @inlinable public var dontFragment: Bool { bytes._byte(at: offset &+ 6) & 0x40 != 0 }
    @inlinable public var moreFragments: Bool { bytes._byte(at: offset &+ 6) & 0x20 != 0 }
    /// Fragment offset in 8-byte units. Non-zero means the packet carries no transport header.
    @inlinable public var fragmentOffset: Int { Int(bytes._uint16(at: offset &+ 6) & 0x1FFF) }
    /// A fragment other than the first: its payload starts in the middle of the transport
    /// segment, so there are no ports to read.
    @inlinable public var isNonFirstFragment: Bool { fragmentOffset != 0 }
    /// Any fragment (first or later). A first fragment has a TCP header, but its TCP checksum
    /// covers the whole reassembled segment and cannot be verified here.
    @inlinable public var isFragment: Bool { bytes._uint16(at: offset &+ 6) & 0x3FFF != 0 }

    @inlinable public var ttl: UInt8 { bytes._byte(at: offset &+ 8) }
    @inlinable public var `protocol`: IPProtocol { IPProtocol(rawValue: bytes._byte(at: offset &+ 9)) }
    @inlinable public var headerChecksum: UInt16 { bytes._uint16(at: offset &+ 10) }

    @inlinable public var source: IPv4Address { IPv4Address(bytes._uint32(at: offset &+ 12)) }
    @inlinable public var destination: IPv4Address { IPv4Address(bytes._uint32(at: offset &+ 16)) }

    /// The header checksum over `headerLength` bytes (options included) is correct.
    @inlinable
    public func verifyHeaderChecksum() -> Bool {
        var sum = InternetChecksum()
        sum.add(bytes: bytes, range: offset..<payloadOffset)
        return sum.isValid
    }

    /// Recomputes the header checksum from scratch (for headers this process built).
    @inlinable
    public func recomputeHeaderChecksum() {
        bytes._setUInt16(0, at: offset &+ 10)
        var sum = InternetChecksum()
        sum.add(bytes: bytes, range: offset..<payloadOffset)
        bytes._setUInt16(sum.checksum, at: offset &+ 10)
    }

    /// Sets the source address and updates the header checksum incrementally. Only the IP
    /// header: for a TCP frame use `TCPFrame.setSource(_:)`, which also fixes the TCP checksum.
    @inlinable
    public func setSource(_ address: IPv4Address) { _setAddress(address, at: offset &+ 12) }

    /// Sets the destination address and updates the header checksum incrementally.
    @inlinable
    public func setDestination(_ address: IPv4Address) { _setAddress(address, at: offset &+ 16) }

    @inlinable
    func _setAddress(_ address: IPv4Address, at position: Int) {
        let old = bytes._uint32(at: position)
        bytes._setUInt32(address.value, at: position)
        let checksum = bytes._uint16(at: offset &+ 10)
        bytes._setUInt16(InternetChecksum.update(checksum, old: old, new: address.value), at: offset &+ 10)
    }

    /// Decrements the TTL and updates the header checksum; returns false (and changes nothing)
    /// when the TTL is already 0 or 1, so a routed packet would expire.
    @inlinable
    public func decrementTTL() -> Bool {
        let ttl = self.ttl
        guard ttl > 1 else { return false }
        let old = bytes._uint16(at: offset &+ 8)  // TTL and protocol share one checksum word
        bytes._setByte(ttl &- 1, at: offset &+ 8)
        let new = bytes._uint16(at: offset &+ 8)
        let checksum = bytes._uint16(at: offset &+ 10)
        bytes._setUInt16(InternetChecksum.update(checksum, old: old, new: new), at: offset &+ 10)
        return true
    }
}
