/// The 14-byte Ethernet II header at the start of a frame, read and written in place.
///
/// MAC rewrites (direct return: the frame keeps its IP header and goes to the server's MAC) only
/// touch these bytes, and no checksum covers them: the Ethernet FCS is the NIC's business.
public struct EthernetHeader {
    public static let length = 14

    /// The whole frame; the header is its first 14 bytes.
    public let bytes: UnsafeMutableRawBufferPointer

    /// Nil when the frame is shorter than an Ethernet header.
    @inlinable
    public init?(_ frame: UnsafeMutableRawBufferPointer) {
        guard frame.count >= Self.length else { return nil }
        self.bytes = frame
    }

    @inlinable
    public var destination: MACAddress {
        get { bytes._mac(at: 0) }
        nonmutating set { bytes._setMAC(newValue, at: 0) }
    }

    @inlinable
    public var source: MACAddress {
        get { bytes._mac(at: 6) }
        nonmutating set { bytes._setMAC(newValue, at: 6) }
    }

    @inlinable
    public var etherType: EtherType {
        get { EtherType(rawValue: bytes._uint16(at: 12)) }
        nonmutating set { bytes._setUInt16(newValue.rawValue, at: 12) }
    }
}
