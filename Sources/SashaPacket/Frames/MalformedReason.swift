/// Why a frame could not be read: counted per reason, these tell a truncating capture (snap
/// length too short) from garbage on the link.
public enum MalformedReason: UInt8, Hashable, Sendable, CaseIterable, Error {
    /// Shorter than the 14-byte Ethernet header.
    case truncatedEthernet
    /// EtherType ARP, but shorter than Ethernet + 28 bytes.
    case truncatedARP
    /// ARP for something other than IPv4 over Ethernet (hardware 1, protocol 0x0800, 6, 4).
    case unsupportedARP
    /// EtherType IPv4, but the frame ends inside the IPv4 header (20 bytes or IHL × 4).
    case truncatedIPv4Header
    /// EtherType IPv4, version field not 4.
    case ipv4Version
    /// IHL below 5 (20 bytes).
    case ipv4HeaderLength
    /// Total length smaller than the header length.
    case ipv4TotalLength
    /// Total length runs past the end of the frame.
    case truncatedIPv4Packet
    /// Protocol TCP, but the IP payload is shorter than a 20-byte TCP header.
    case truncatedTCPHeader
    /// TCP data offset below 5 or past the end of the IP packet.
    case tcpDataOffset
}
