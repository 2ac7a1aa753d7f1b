/// The 16-bit type field of an Ethernet II header. A struct rather than an enum so any value on
/// the wire can be carried (and reported) without a failable conversion.
public struct EtherType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ipv4 = EtherType(rawValue: 0x0800)
    public static let arp = EtherType(rawValue: 0x0806)
    /// An 802.1Q tag. Tagged frames are classified as `.other`: the L4 strategies run on
    /// untagged links, and accepting tags would move every later offset.
    public static let vlan = EtherType(rawValue: 0x8100)
    public static let ipv6 = EtherType(rawValue: 0x86DD)
}
