import SashaBase

/// An ARP packet for IPv4 over Ethernet (RFC 826), read in place after the Ethernet header.
///
/// Only hardware type 1 (Ethernet), protocol 0x0800 (IPv4) and lengths 6 and 4 are accepted: that
/// is the only form the L4 strategies answer or send, and it fixes every offset.
public struct ARPPacket {
    /// Ethernet header (14) + ARP for Ethernet/IPv4 (28). Shorter frames are padded to 60 on the
    /// wire, so a received frame is usually longer; the extra bytes are ignored.
    public static let frameLength = 42

    public struct Operation: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt16
        @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let request = Operation(rawValue: 1)
        public static let reply = Operation(rawValue: 2)
    }

    /// The whole frame, Ethernet header included.
    public let bytes: UnsafeMutableRawBufferPointer

    /// Nil when the frame is too short for Ethernet + ARP or is not ARP for IPv4 over Ethernet.
    /// Does not look at the EtherType: `classify(_:)` has already done so.
    @inlinable
    public init?(_ frame: UnsafeMutableRawBufferPointer) {
        guard frame.count >= Self.frameLength else { return nil }
        guard frame._uint16(at: 14) == 1, frame._uint16(at: 16) == 0x0800,
              frame._byte(at: 18) == 6, frame._byte(at: 19) == 4
        else { return nil }
        self.bytes = frame
    }

    @inlinable public var ethernet: EthernetHeader { EthernetHeader(_unchecked: bytes) }
    @inlinable public var operation: Operation { Operation(rawValue: bytes._uint16(at: 20)) }
    @inlinable public var senderMAC: MACAddress { bytes._mac(at: 22) }
    @inlinable public var senderIP: IPv4Address { IPv4Address(bytes._uint32(at: 28)) }
    @inlinable public var targetMAC: MACAddress { bytes._mac(at: 32) }
    @inlinable public var targetIP: IPv4Address { IPv4Address(bytes._uint32(at: 38)) }

    /// A gratuitous ARP announces the sender's own binding: sender and target IP are the same.
    @inlinable public var isGratuitous: Bool { bytes._uint32(at: 28) == bytes._uint32(at: 38) }
}

extension EthernetHeader {
    /// For views that have already checked the frame is at least 14 bytes long.
    @inlinable
    init(_unchecked frame: UnsafeMutableRawBufferPointer) { self.bytes = frame }
}
