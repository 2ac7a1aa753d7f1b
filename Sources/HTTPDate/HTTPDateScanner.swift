/// The three date forms of RFC 9110 §5.6.7, byte by byte, with nothing tolerated that the grammar
/// does not allow: one space where it has one (two before a one-digit asctime day), exactly two
/// digits for day, hour, minute and second, four for the year (two in RFC 850), `GMT` as the only
/// zone. The day name must be a day name but is not checked against the date. Calendar checks
/// (the day within its month) are the caller's, once the year is known.
struct HTTPDateScanner {
    struct Fields {
        var year: Int64
        /// RFC 850: `year` is the last two digits only.
        var isTwoDigitYear: Bool
        var month: Int64
        var day: Int64
        var secondOfDay: Int64
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private static let shortDays: [StaticString] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    private static let longDays: [StaticString] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    private static let months: [StaticString] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]

    mutating func parse() -> Fields? {
        guard let dayName = word() else { return nil }
        let fields: Fields?
        if take(.comma) {
            if dayName.isOne(of: Self.shortDays) {
                fields = zonedDate(separator: .space, yearDigits: 4)
            } else if dayName.isOne(of: Self.longDays) {
                fields = zonedDate(separator: .dash, yearDigits: 2)
            } else {
                return nil
            }
        } else if dayName.isOne(of: Self.shortDays) {
            fields = asctimeDate()
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        return fields
    }

    /// `, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate: spaces, four-digit year) or
    /// `, 06-Nov-94 08:49:37 GMT` (RFC 850: dashes, two-digit year) after the day name.
    private mutating func zonedDate(separator: UInt8, yearDigits: Int) -> Fields? {
        guard take(.space), let day = digits(2), take(separator), let month = month(), take(separator),
              let year = digits(yearDigits), take(.space), let second = timeOfDay(), gmt()
        else { return nil }
        return Fields(year: year, isTwoDigitYear: yearDigits == 2, month: month, day: day, secondOfDay: second)
    }

    /// ` Nov  6 08:49:37 1994` (or ` Nov 16 …`) after the day name.
    private mutating func asctimeDate() -> Fields? {
        guard take(.space), let month = month(), take(.space) else { return nil }
        let day = take(.space) ? digits(1) : digits(2)
        guard let day, take(.space), let second = timeOfDay(), take(.space), let year = digits(4) else { return nil }
        return Fields(year: year, isTwoDigitYear: false, month: month, day: day, secondOfDay: second)
    }

    /// `08:49:37`; 60 seconds is a leap second, counted as the next one.
    private mutating func timeOfDay() -> Int64? {
        guard let hour = digits(2), take(.colon), let minute = digits(2), take(.colon), let second = digits(2),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    /// ` GMT`, in any case.
    private mutating func gmt() -> Bool {
        guard take(.space), let zone = word() else { return false }
        return zone.equalsLowercase("gmt")
    }

    private mutating func month() -> Int64? {
        guard let name = word(), let offset = Self.months.firstIndex(where: { name.equalsLowercase($0) }) else { return nil }
        return Int64(offset + 1)
    }

    /// Exactly `count` digits (the byte after them is checked by whatever the grammar expects next).
    private mutating func digits(_ count: Int) -> Int64? {
        guard bytes.count - index >= count else { return nil }
        var value: Int64 = 0
        for byte in bytes[index..<index + count] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        index += count
        return value
    }

    /// One or more ASCII letters.
    private mutating func word() -> UnsafeBufferPointer<UInt8>? {
        let start = index
        while index < bytes.count, bytes[index].asciiLowercased >= UInt8(ascii: "a"),
              bytes[index].asciiLowercased <= UInt8(ascii: "z") {
            index += 1
        }
        return index > start ? UnsafeBufferPointer(rebasing: bytes[start..<index]) : nil
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }
}

extension UnsafeBufferPointer<UInt8> {
    fileprivate func isOne(of names: [StaticString]) -> Bool {
        names.contains { equalsLowercase($0) }
    }
}

extension UInt8 {
    fileprivate static var dash: UInt8 { UInt8(ascii: "-") }
    fileprivate static var colon: UInt8 { UInt8(ascii: ":") }
}
