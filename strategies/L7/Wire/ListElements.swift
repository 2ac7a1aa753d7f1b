/// The members of a comma-separated list field (RFC 9110 §5.6.1) in place: each trimmed of
/// whitespace, empty members included (most callers skip them, as §5.6.1.2 asks; Content-Length
/// refuses them). A comma inside a quoted string does not split.
struct ListElements: Sequence, IteratorProtocol {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    private var position: Int
    private var finished = false

    init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        self.bytes = bytes
        end = range.upperBound
        position = range.lowerBound
    }

    mutating func next() -> Range<Int>? {
        guard !finished else { return nil }
        let start = position
        var index = start, quoted = false
        while index < end {
            let byte = bytes[index]
            if quoted {
                if byte == ByteClass.backslash { index += 1 } else if byte == ByteClass.quote { quoted = false }
            } else if byte == ByteClass.quote {
                quoted = true
            } else if byte == ByteClass.comma {
                break
            }
            index += 1
        }
        let element = bytes.trimmingWhitespace(start..<Swift.min(index, end))
        if index >= end { finished = true } else { position = index + 1 }
        return element
    }
}
