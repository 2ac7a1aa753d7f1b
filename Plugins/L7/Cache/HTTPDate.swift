/// HTTP dates (RFC 9110 §5.6.7) as seconds since the Unix epoch: the preferred IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms recipients must still accept,
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
/// Anything else is `nil`: for `Expires` that means "already expired".
public enum HTTPDate {
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { bytes in
            var scanner = DateScanner(bytes: bytes)
            return scanner.parse()
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (the civil-from-days inverse, counted
    /// in 400-year eras so that no table is needed).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

private struct DateScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func parse() -> Int64? {
        skipSpaces()
        guard letters() >= 3 else { return nil }  // the day name, not checked against the date
        if take(.comma) {
            skipSpaces()
            guard let day = number(maxDigits: 2) else { return nil }
            if take(UInt8(ascii: "-")) {
                // RFC 850: 06-Nov-94
                guard let month = month(), take(UInt8(ascii: "-")), let year = number(maxDigits: 4) else { return nil }
                return finishZoned(year: year < 100 ? (year < 70 ? 2000 + year : 1900 + year) : year, month: month, day: day)
            }
            // IMF-fixdate: 06 Nov 1994
            guard spaces(), let month = month(), spaces(), let year = number(maxDigits: 4) else { return nil }
            return finishZoned(year: year, month: month, day: day)
        }
        // asctime: Nov  6 08:49:37 1994
        guard spaces(), let month = month(), spaces(), let day = number(maxDigits: 2), spaces(),
              let seconds = timeOfDay(), spaces(), let year = number(maxDigits: 4)
        else { return nil }
        skipSpaces()
        guard index == bytes.count else { return nil }
        return instant(year: year, month: month, day: day, secondsOfDay: seconds)
    }

    /// ` 08:49:37 GMT` and the end.
    private mutating func finishZoned(year: Int64, month: Int64, day: Int64) -> Int64? {
        guard spaces(), let seconds = timeOfDay(), spaces() else { return nil }
        let zoneStart = index
        guard letters() == 3 else { return nil }
        let zone = UnsafeBufferPointer(rebasing: bytes[zoneStart..<index])
        guard zone.equalsLowercase("gmt") || zone.equalsLowercase("utc") else { return nil }
        skipSpaces()
        guard index == bytes.count else { return nil }
        return instant(year: year, month: month, day: day, secondsOfDay: seconds)
    }

    private func instant(year: Int64, month: Int64, day: Int64, secondsOfDay: Int64) -> Int64? {
        guard day >= 1, day <= HTTPDate.daysInMonth(year: year, month: month) else { return nil }
        return HTTPDate.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + secondsOfDay
    }

    private mutating func timeOfDay() -> Int64? {
        guard let hour = number(maxDigits: 2), take(UInt8(ascii: ":")),
              let minute = number(maxDigits: 2), take(UInt8(ascii: ":")),
              let second = number(maxDigits: 2),
              hour < 24, minute < 60, second <= 60  // 60: a leap second, counted as the next one
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    private static let months: [StaticString] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]

    private mutating func month() -> Int64? {
        let start = index
        guard letters() == 3 else { return nil }
        let name = UnsafeBufferPointer(rebasing: bytes[start..<index])
        guard let offset = Self.months.firstIndex(where: { name.equalsLowercase($0) }) else { return nil }
        return Int64(offset + 1)
    }

    private mutating func number(maxDigits: Int) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        while index < bytes.count, digits < maxDigits, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        return digits == 0 ? nil : value
    }

    private mutating func letters() -> Int {
        let start = index
        while index < bytes.count, (bytes[index] | 0x20) >= UInt8(ascii: "a"), (bytes[index] | 0x20) <= UInt8(ascii: "z") {
            index += 1
        }
        return index - start
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// One or more spaces.
    private mutating func spaces() -> Bool {
        let start = index
        skipSpaces()
        return index > start
    }

    private mutating func skipSpaces() {
        while index < bytes.count, bytes[index].isWhitespace { index += 1 }
    }
}
