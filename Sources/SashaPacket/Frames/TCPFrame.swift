import SashaBase

/// An Ethernet/IPv4/TCP frame, read and rewritten in place: what the L4 strategies do per packet.
///
/// Made by `classify(_:)`, which checks every offset in `layout` against the frame; accessors read
/// inside them. Rewrites keep both checksums right incrementally (RFC 1624): an address is in the
/// IP header and in the TCP pseudo-header, a port only in the TCP header, and a MAC in neither.
public struct TCPFrame {
    /// The whole frame (Ethernet padding included).
    public let bytes: UnsafeMutableRawBufferPointer
    public let layout: TCPFrameLayout

    @inlinable
    init(_unchecked bytes: UnsafeMutableRawBufferPointer, layout: TCPFrameLayout) {
        self.bytes = bytes
        self.layout = layout
    }

    @inlinable public var ethernet: EthernetHeader { EthernetHeader(_unchecked: bytes) }
    @inlinable public var ip: IPv4Packet { IPv4Packet(_unchecked: bytes, offset: layout.ip) }

    @inlinable public var sourcePort: UInt16 { bytes._uint16(at: layout.tcp) }
    @inlinable public var destinationPort: UInt16 { bytes._uint16(at: layout.tcp &+ 2) }
    @inlinable public var sequenceNumber: UInt32 { bytes._uint32(at: layout.tcp &+ 4) }
    @inlinable public var acknowledgmentNumber: UInt32 { bytes._uint32(at: layout.tcp &+ 8) }
    /// TCP header length in bytes (data offset × 4), 20...60.
    @inlinable public var headerLength: Int { layout.payload &- layout.tcp }
    @inlinable public var flags: TCPFlags { TCPFlags(rawValue: bytes._byte(at: layout.tcp &+ 13)) }
    @inlinable public var window: UInt16 { bytes._uint16(at: layout.tcp &+ 14) }
    @inlinable public var checksum: UInt16 { bytes._uint16(at: layout.tcp &+ 16) }
    /// The TCP payload length (without padding).
    @inlinable public var payloadLength: Int { layout.end &- layout.payload }

    // MARK: Rewrites

    /// Sets the IPv4 source; updates the IP header checksum and the TCP checksum (the address is
    /// in the pseudo-header).
    @inlinable
    public func setSource(_ address: IPv4Address) { _setAddress(address, at: layout.ip &+ 12) }

    /// Sets the IPv4 destination; updates the IP header checksum and the TCP checksum.
    @inlinable
    public func setDestination(_ address: IPv4Address) { _setAddress(address, at: layout.ip &+ 16) }

    @inlinable
    func _setAddress(_ address: IPv4Address, at position: Int) {
        let old = bytes._uint32(at: position)
        let new = address.value
        bytes._setUInt32(new, at: position)
        let ipChecksum = layout.ip &+ 10
        bytes._setUInt16(InternetChecksum.update(bytes._uint16(at: ipChecksum), old: old, new: new), at: ipChecksum)
        let tcpChecksum = layout.tcp &+ 16
        bytes._setUInt16(InternetChecksum.update(bytes._uint16(at: tcpChecksum), old: old, new: new), at: tcpChecksum)
    }

    /// Sets the TCP source port and updates the TCP checksum.
    @inlinable
    public func setSourcePort(_ port: UInt16) { _setPort(port, at: layout.tcp) }

    /// Sets the TCP destination port and updates the TCP checksum.
    @inlinable
    public func setDestinationPort(_ port: UInt16) { _setPort(port, at: layout.tcp &+ 2) }

    @inlinable
    func _setPort(_ port: UInt16, at position: Int) {
        let old = bytes._uint16(at: position)
        bytes._setUInt16(port, at: position)
        let tcpChecksum = layout.tcp &+ 16
        bytes._setUInt16(InternetChecksum.update(bytes._uint16(at: tcpChecksum), old: old, new: port), at: tcpChecksum)
    }
}
