/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit
/// big-endian words. An accumulator, so a pseudo-header and a segment can be summed in pieces
/// without copying them together.
///
/// The running sum is kept wide (64 bits) and folded only when read: carries are added back in
/// once at the end, which RFC 1071 §2(C) allows ("deferred carries").
public struct InternetChecksum: Sendable {
    /// Unfolded sum of big-endian 16-bit words.
    public var sum: UInt64

    @inlinable
    public init(sum: UInt64 = 0) { self.sum = sum }

    @inlinable
    public mutating func add(_ word: UInt16) { sum &+= UInt64(word) }

    /// Adds a 32-bit value as its two 16-bit halves (an IPv4 address, for instance).
    @inlinable
    public mutating func add(_ word: UInt32) { sum &+= UInt64(word >> 16) &+ UInt64(word & 0xFFFF) }

    /// Adds bytes as big-endian 16-bit words; an odd final byte is padded with a zero (RFC 1071).
    /// Only the last piece added may have an odd length: an odd piece in the middle would shift
    /// every word after it.
    ///
    /// Sums 32-bit native-order words (two 16-bit words per add, carries collected in the high
    /// half of the 64-bit sum), then converts the folded result to big-endian order: the ones'
    /// complement sum commutes with byte swapping (RFC 1071 §2(B)).
    @inlinable
    public mutating func add(bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        var native: UInt64 = 0
        var offset = 0
        while offset &+ 4 <= count {
            native &+= UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            offset &+= 4
        }
        if offset &+ 2 <= count {
            native &+= UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            offset &+= 2
        }
        let folded = Self.fold(native)
        sum &+= UInt64(UInt16(bigEndian: folded))
        if offset < count {
            sum &+= UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt8.self)) << 8
        }
    }

    /// Adds bytes `range` of a frame.
    @inlinable
    public mutating func add(bytes: UnsafeMutableRawBufferPointer, range: Range<Int>) {
        add(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// The sum folded to 16 bits with end-around carries. Never 0 unless every word was 0: a
    /// ones' complement sum reports "zero" as 0xFFFF.
    @inlinable
    public var folded: UInt16 { Self.fold(sum) }

    /// The value to store in a checksum field: the complement of the folded sum.
    @inlinable
    public var checksum: UInt16 { ~folded }

    /// Data that includes its own correct checksum sums to 0xFFFF.
    @inlinable
    public var isValid: Bool { folded == 0xFFFF }

    @inlinable
    static func fold(_ value: UInt64) -> UInt16 {
        var value = value
        value = (value & 0xFFFF_FFFF) &+ (value >> 32)
        value = (value & 0xFFFF_FFFF) &+ (value >> 32)
        value = (value & 0xFFFF) &+ (value >> 16)
        value = (value & 0xFFFF) &+ (value >> 16)
        value = (value & 0xFFFF) &+ (value >> 16)
        return UInt16(truncatingIfNeeded: value)
    }

    /// The checksum of `bytes` alone.
    @inlinable
    public static func checksum(of bytes: UnsafeRawBufferPointer) -> UInt16 {
        var sum = InternetChecksum()
        sum.add(bytes: bytes)
        return sum.checksum
    }
}
