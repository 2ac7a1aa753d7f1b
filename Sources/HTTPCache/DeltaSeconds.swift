/// delta-seconds (RFC 9111 §1.2.2), the number in `max-age`, `s-maxage`, `min-fresh` and `Age`:
/// one or more digits and nothing else. A value too large for the cache reads as 2^31, as the
/// RFC asks, so huge ages and lifetimes neither trap nor wrap.
enum DeltaSeconds {
    static let largest: Int64 = 1 << 31

    /// The value, or nil when the bytes are not a delta-seconds (empty, signed, fractional,
    /// quoted with `'`, followed by anything).
    static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = min(value * 10 + Int64(byte - UInt8(ascii: "0")), largest)
        }
        return value
    }

    /// The `Age` of one field line: its first comma-separated element, as the http-tests
    /// cache-tests expect of a line that repeats the field (`Age: 7200, 0` is 7200 s old).
    /// Nil when that element is not a delta-seconds; the caller then ignores the line.
    static func age(_ line: String) -> Int64? {
        var element = line.utf8.prefix { $0 != .comma }
        while let first = element.first, first.isWhitespace { element = element.dropFirst() }
        while let last = element.last, last.isWhitespace { element = element.dropLast() }
        return parse(element)
    }
}
