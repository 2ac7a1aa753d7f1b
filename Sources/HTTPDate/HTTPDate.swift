/// HTTP dates (RFC 9110 §5.6.7) as seconds since the Unix epoch: the preferred IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms recipients must still accept,
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
/// Anything else is `nil`: for `Expires` that means "already expired". Pure arithmetic: no locale,
/// no time zone database. Shared by the embedded web server and the l7 cache.
public enum HTTPDate {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate, the only form a sender may generate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    public static func format(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        return "\(weekday), \(twoDigits(day)) \(monthNames[month - 1]) \(year) "
            + "\(twoDigits(secondOfDay / 3600)):\(twoDigits(secondOfDay / 60 % 60)):\(twoDigits(secondOfDay % 60)) GMT"
    }

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

    /// The inverse of `daysSinceEpoch`: the proleptic Gregorian date of a day count.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), Int(month), Int(day))
    }

    private static func twoDigits(_ value: some BinaryInteger) -> String {
        value < 10 ? "0\(value)" : "\(value)"
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
                return finishZoned(year: Self.fullYear(year), month: month, day: day)
            }
            // IMF-fixdate: 06 Nov 1994 (a two-digit year, as some senders write, read as in RFC 850)
            guard spaces(), let month = month(), spaces(), let year = number(maxDigits: 4) else { return nil }
            return finishZoned(year: Self.fullYear(year), month: month, day: day)
        }
        // asctime: Nov  6 08:49:37 1994
        guard spaces(), let month = month(), spaces(), let day = number(maxDigits: 2), spaces(),
              let seconds = timeOfDay(), spaces(), let year = number(maxDigits: 4)
        else { return nil }
        skipSpaces()
        guard index == bytes.count else { return nil }
        return instant(year: year, month: month, day: day, secondsOfDay: seconds)
    }

    /// A two-digit year: 70-99 are 19xx, 00-69 are 20xx (the 1970 epoch rules out earlier dates).
    private static func fullYear(_ year: Int64) -> Int64 {
        year < 100 ? (year < 70 ? 2000 + year : 1900 + year) : year
    }

    /// ` 08:49:37 GMT` (or UTC, which senders use for the same zone) and the end.
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
