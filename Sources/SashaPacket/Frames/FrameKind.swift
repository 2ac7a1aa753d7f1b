/// What a frame is, with a view over it for the kinds the L4 strategies act on.
///
/// Views hold the frame's pointer: they are valid only as long as the buffer given to
/// `classify(_:)` is.
public enum FrameKind {
    case arp(ARPPacket)
    /// IPv4 carrying TCP, with every header in bounds. May be a first fragment (check
    /// `frame.ip.isFragment`): its ports are there but its TCP checksum cannot be verified.
    case ipv4TCP(TCPFrame)
    /// A non-first IPv4 fragment of any protocol: no transport header, so no ports. The caller
    /// decides (drop, or route by addresses alone).
    case ipv4Fragment(IPv4Packet)
    /// IPv4 with another protocol (UDP, ICMP, ...).
    case ipv4Other(IPv4Packet)
    /// Another EtherType (IPv6, 802.1Q-tagged, ...).
    case other(EtherType)
    case malformed(MalformedReason)
}
