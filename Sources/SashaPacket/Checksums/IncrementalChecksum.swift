/// Updating a checksum after a field changes, without reading the rest of the data (RFC 1624).
///
/// Rewriting an address in a 1500-byte segment then costs a few additions instead of a pass over
/// the payload. Equation 3, HC' = ~(~HC + ~m + m'), is used rather than RFC 1141's
/// HC' = HC + m - m' because the latter can produce 0xFFFF where a full recomputation gives
/// 0x0000 (the RFC 1624 §3 corner case); equation 3 gives the same value as recomputing.
///
/// Incremental updates keep a wrong checksum wrong: a corrupted frame is not "repaired" into a
/// valid-looking one. A PARTIAL checksum (see `TCPFrame.completeChecksumIfPartial()`) must be
/// completed before any update, because it is not a complemented sum.
extension InternetChecksum {
    /// The checksum after a 16-bit word of the data changed from `old` to `new`.
    @inlinable
    public static func update(_ checksum: UInt16, old: UInt16, new: UInt16) -> UInt16 {
        var sum = InternetChecksum(sum: UInt64(~checksum))
        sum.add(~old)
        sum.add(new)
        return sum.checksum
    }

    /// The checksum after a 32-bit field (two aligned 16-bit words, an IPv4 address) changed.
    @inlinable
    public static func update(_ checksum: UInt16, old: UInt32, new: UInt32) -> UInt16 {
        var sum = InternetChecksum(sum: UInt64(~checksum))
        sum.add(~old)
        sum.add(new)
        return sum.checksum
    }
}
