import SashaBase

/// An ICMP error about a TCP segment, read and rewritten in place: what the L4 strategies need so
/// that path MTU discovery ("fragmentation needed") and unreachables reach the party that sent
/// the segment, through the dispatcher (issue 16, item 9).
///
/// The error quotes the segment that caused it: its IPv4 header and at least the first 8 bytes of
/// its TCP header (RFC 792; Linux quotes up to 576 bytes). The quoted addresses and ports say
/// which connection it is about. Behind a NAT the quote names the address the segment had on the
/// far side, so forwarding rewrites it as the segment was rewritten (RFC 5508 §7): the quoted
/// header checksum, the quoted TCP checksum when it is there, and the ICMP checksum over all of it.
///
///     Ethernet | IPv4 (outer) | ICMP type code checksum unused/MTU | IPv4 (quoted) | TCP (quoted, ≥ 8)
///
/// Made only by `init?(_:)`, which checks every offset it keeps: accessors and rewrites stay in
/// the packet whatever the bytes were.
public struct ICMPErrorFrame {
    /// The whole frame.
    public let bytes: UnsafeMutableRawBufferPointer
    /// Where the ICMP header starts.
    public let icmp: Int
    /// Where the quoted IPv4 header starts (`icmp + 8`).
    public let quote: Int
    /// Where the quoted TCP header starts.
    public let quotedTCP: Int
    /// One past the outer packet's last byte (padding follows).
    public let end: Int

    /// The ICMP types that quote a segment and say something about its path: destination
    /// unreachable (3, "fragmentation needed" is code 4) and time exceeded (11), as LVS forwards
    /// them (a parameter problem is about a header the sender made, not the path).
    @inlinable
    public static func isErrorType(_ type: UInt8) -> Bool { type == 3 || type == 11 }

    /// A view over `ip` when it is an ICMP error quoting a TCP segment with its ports; nil for
    /// anything else (another protocol or ICMP type, a fragment, a quote that is cut short or is
    /// not a first fragment of TCP).
    @inlinable
    public init?(_ ip: IPv4Packet) {
        guard ip.protocol == .icmp, !ip.isFragment else { return nil }
        let icmp = ip.payloadOffset
        let end = ip.end
        let quote = icmp &+ 8
        guard end &- quote >= 20 + 8, Self.isErrorType(ip.bytes._byte(at: icmp)) else { return nil }
        let bytes = ip.bytes
        let first = bytes._byte(at: quote)
        let quotedHeaderLength = Int(first & 0x0F) &* 4
        guard first >> 4 == 4, quotedHeaderLength >= 20, end &- quote >= quotedHeaderLength &+ 8 else { return nil }
        // The quote must be the start of a TCP segment: its ports are what names the connection.
        guard bytes._byte(at: quote &+ 9) == IPProtocol.tcp.rawValue, bytes._uint16(at: quote &+ 6) & 0x1FFF == 0 else { return nil }
        self.bytes = bytes
        self.icmp = icmp
        self.quote = quote
        quotedTCP = quote &+ quotedHeaderLength
        self.end = end
    }

    @inlinable public var ethernet: EthernetHeader { EthernetHeader(_unchecked: bytes) }
    @inlinable public var ip: IPv4Packet { IPv4Packet(_unchecked: bytes, offset: EthernetHeader.length) }

    @inlinable public var type: UInt8 { bytes._byte(at: icmp) }
    @inlinable public var code: UInt8 { bytes._byte(at: icmp &+ 1) }
    /// For "fragmentation needed" (type 3 code 4): the next hop's MTU (RFC 1191).
    @inlinable public var nextHopMTU: UInt16 { bytes._uint16(at: icmp &+ 6) }

    @inlinable public var quotedSource: IPv4Address { IPv4Address(bytes._uint32(at: quote &+ 12)) }
    @inlinable public var quotedDestination: IPv4Address { IPv4Address(bytes._uint32(at: quote &+ 16)) }
    @inlinable public var quotedSourcePort: UInt16 { bytes._uint16(at: quotedTCP) }
    @inlinable public var quotedDestinationPort: UInt16 { bytes._uint16(at: quotedTCP &+ 2) }

    /// The ICMP checksum over the ICMP message is right. Reads the whole message: ICMP errors
    /// are rare, and a wrong one must not be forwarded with a checksum made right by updates.
    @inlinable
    public func verifyChecksum() -> Bool {
        var sum = InternetChecksum()
        sum.add(bytes: bytes, range: icmp..<end)
        return sum.isValid
    }

    // MARK: Rewrites

    /// Rewrites the quoted segment's source address (the segment went out from `address`), and
    /// the checksums that cover it.
    @inlinable
    public func setQuotedSource(_ address: IPv4Address) { _setQuotedAddress(address, at: quote &+ 12) }

    /// Rewrites the quoted segment's destination address, and the checksums that cover it.
    @inlinable
    public func setQuotedDestination(_ address: IPv4Address) { _setQuotedAddress(address, at: quote &+ 16) }

    /// Every changed 16-bit word is also a word of the ICMP message (the quote starts 8 bytes into
    /// it and every header in it has a length in multiples of 4), so each change updates the ICMP
    /// checksum as well: the address, the quoted header checksum, and the quoted TCP checksum
    /// when the quote reaches it.
    @inlinable
    func _setQuotedAddress(_ address: IPv4Address, at position: Int) {
        let old = bytes._uint32(at: position)
        let new = address.value
        bytes._setUInt32(new, at: position)
        var icmpChecksum = InternetChecksum.update(bytes._uint16(at: icmp &+ 2), old: old, new: new)
        icmpChecksum = _updateQuoted(checksumAt: quote &+ 10, old: old, new: new, icmpChecksum: icmpChecksum)
        if quotedTCP &+ 18 <= end {
            icmpChecksum = _updateQuoted(checksumAt: quotedTCP &+ 16, old: old, new: new, icmpChecksum: icmpChecksum)
        }
        bytes._setUInt16(icmpChecksum, at: icmp &+ 2)
    }

    /// Updates the quoted checksum at `position` for an address change, and returns the ICMP
    /// checksum updated for that checksum's own change.
    @inlinable
    func _updateQuoted(checksumAt position: Int, old: UInt32, new: UInt32, icmpChecksum: UInt16) -> UInt16 {
        let before = bytes._uint16(at: position)
        let after = InternetChecksum.update(before, old: old, new: new)
        bytes._setUInt16(after, at: position)
        return InternetChecksum.update(icmpChecksum, old: before, new: after)
    }
}
