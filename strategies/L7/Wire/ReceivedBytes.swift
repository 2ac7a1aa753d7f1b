/// Reading the received bytes in place: ranges are offsets from the start of the message, and
/// comparisons with literals are ASCII case-insensitive without lower-casing a copy.
extension UnsafeRawBufferPointer {
    /// True if the bytes in `range` spell `lowercaseLiteral`, ignoring ASCII case.
    func equalsIgnoringCase(_ range: Range<Int>, _ lowercaseLiteral: StaticString) -> Bool {
        guard range.count == lowercaseLiteral.utf8CodeUnitCount else { return false }
        return lowercaseLiteral.withUTF8Buffer { literal in
            var index = range.lowerBound
            for expected in literal {
                if ByteClass.lowercased(self[index]) != expected { return false }
                index += 1
            }
            return true
        }
    }

    /// True if the bytes in `range` spell `literal` exactly.
    func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        range.count == literal.utf8CodeUnitCount && literal.withUTF8Buffer { $0.elementsEqual(UnsafeRawBufferPointer(rebasing: self[range])) }
    }

    /// True if the two ranges hold the same bytes, ignoring ASCII case.
    func equalsIgnoringCase(_ range: Range<Int>, _ other: Range<Int>) -> Bool {
        guard range.count == other.count else { return false }
        for offset in 0..<range.count where ByteClass.lowercased(self[range.lowerBound + offset]) != ByteClass.lowercased(self[other.lowerBound + offset]) {
            return false
        }
        return true
    }

    /// True if every byte in `range` is a `tchar` and there is at least one.
    func isToken(_ range: Range<Int>) -> Bool {
        !range.isEmpty && range.allSatisfy { ByteClass.isToken(self[$0]) }
    }

    /// `range` without leading and trailing SP/HTAB (OWS).
    func trimmingWhitespace(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, ByteClass.isWhitespace(self[lower]) { lower += 1 }
        while upper > lower, ByteClass.isWhitespace(self[upper - 1]) { upper -= 1 }
        return lower..<upper
    }
}
