/// One byte range of a client's `Range` (RFC 9110 §14.1.2), to be answered from a complete
/// stored 200 with a 206 slice of it. Anything else a cache may ignore (§14.2): several ranges,
/// another unit or a malformed value get the whole response; a range that starts past the end
/// gets 416.
enum ByteRange {
    enum Answer: Equatable {
        case whole
        case part(Range<Int>)
        case unsatisfiable
    }

    static func answer(_ field: String, length: Int) -> Answer {
        var value = Substring(field).trimmingWhitespace()
        guard value.utf8.count > 6, value.prefix(6).lowercased() == "bytes=" else { return .whole }
        value = value.dropFirst(6).trimmingWhitespace()
        guard !value.contains(","), let dash = value.firstIndex(of: "-") else { return .whole }
        let first = value[..<dash].trimmingWhitespace()
        let last = value[value.index(after: dash)...].trimmingWhitespace()
        if first.isEmpty {
            // A suffix: the last N bytes.
            guard let count = number(last) else { return .whole }
            guard count > 0, length > 0 else { return .unsatisfiable }
            return .part(max(0, length - count)..<length)
        }
        guard let start = number(first) else { return .whole }
        var end = length
        if !last.isEmpty {
            guard let lastByte = number(last), lastByte >= start else { return .whole }
            end = lastByte < length ? lastByte + 1 : length
        }
        return start < length ? .part(start..<end) : .unsatisfiable
    }

    /// Digits only; values past 2^62 read as 2^62 (beyond any stored body).
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value > (1 << 62) / 10 ? 1 << 62 : value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
