/// ASCII byte helpers that HTTP field parsing shares: the date parser here and the cache's
/// Cache-Control and Vary parsing. Inlinable, because they run per header on the proxy's path.
extension UInt8 {
    @inlinable public static var comma: UInt8 { UInt8(ascii: ",") }
    @inlinable public static var equals: UInt8 { UInt8(ascii: "=") }
    @inlinable public static var quote: UInt8 { UInt8(ascii: "\"") }
    @inlinable public static var backslash: UInt8 { UInt8(ascii: "\\") }
    @inlinable public static var space: UInt8 { UInt8(ascii: " ") }
    @inlinable public static var tab: UInt8 { UInt8(ascii: "\t") }

    @inlinable public var isWhitespace: Bool { self == .space || self == .tab }

    @inlinable public var asciiLowercased: UInt8 {
        self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Case-insensitive comparison against an already lower-case ASCII literal.
    @inlinable public func equalsLowercase(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let other = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for index in 0..<count where self[index].asciiLowercased != other[index] { return false }
        return true
    }
}

extension StringProtocol {
    /// ASCII case-insensitive equality against a lower-case name, without allocating.
    /// Inlinable: the proxy compares header names with it on every request, and unspecialized
    /// across the module boundary it spent most of its time looking up generic metadata.
    @inlinable
    public func equalsASCIICaseInsensitive(_ lowercaseName: String) -> Bool {
        guard utf8.count == lowercaseName.utf8.count else { return false }
        var theirs = lowercaseName.utf8.makeIterator()
        for mine in utf8 where mine.asciiLowercased != theirs.next() { return false }
        return true
    }
}
