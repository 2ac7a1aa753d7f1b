/// An Ethernet address. Six bytes kept in the low 48 bits of one integer (the first byte on the
/// wire is the most significant), so it is a plain value: no array, no allocation, compared and
/// hashed as one word.
public struct MACAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address in the low 48 bits; the high 16 bits are always zero.
    public let rawValue: UInt64

    /// Keeps the low 48 bits of `rawValue`.
    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }

    @inlinable
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        self.rawValue = UInt64(b0) << 40 | UInt64(b1) << 32 | UInt64(b2) << 24
            | UInt64(b3) << 16 | UInt64(b4) << 8 | UInt64(b5)
    }

    /// ff:ff:ff:ff:ff:ff: where ARP requests go.
    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)
    /// 00:00:00:00:00:00: the "unknown" target hardware address of an ARP request.
    public static let zero = MACAddress(rawValue: 0)

    @inlinable public var isBroadcast: Bool { rawValue == 0xFFFF_FFFF_FFFF }
    /// The group bit (lowest bit of the first byte): broadcast and multicast frames must not be
    /// taken for a unicast client.
    @inlinable public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }

    /// Byte `index` (0...5) in wire order.
    @inlinable
    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < 6, "MACAddress has 6 bytes")
        return UInt8(truncatingIfNeeded: rawValue >> UInt64(8 * (5 - index)))
    }

    /// Parses "aa:bb:cc:dd:ee:ff" (either case, exactly two hex digits per byte, colons only),
    /// the form `ip link` prints. Nil for anything else. Not for the packet path.
    public init?(_ text: some StringProtocol) {
        var value: UInt64 = 0
        var digits = 0
        var groups = 0
        for unit in text.utf8 {
            if unit == UInt8(ascii: ":") {
                guard digits == 2, groups < 5 else { return nil }
                groups += 1
                digits = 0
                continue
            }
            let nibble: UInt8
            switch unit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = unit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = unit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = unit - UInt8(ascii: "A") + 10
            default: return nil
            }
            guard digits < 2 else { return nil }
            value = value << 4 | UInt64(nibble)
            digits += 1
        }
        guard groups == 5, digits == 2 else { return nil }
        self.rawValue = value
    }

    /// Lowercase "aa:bb:cc:dd:ee:ff".
    public var description: String {
        let hex: [Character] = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(17)
        for index in 0..<6 {
            if index > 0 { text.append(":") }
            let byte = self[index]
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0xF)])
        }
        return text
    }

    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
