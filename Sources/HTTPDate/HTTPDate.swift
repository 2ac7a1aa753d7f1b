#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP dates (RFC 9110 §5.6.7) as seconds since the Unix epoch: the preferred IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms recipients must still accept,
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
/// Anything else is `nil` (for `Expires` that means "already expired"): the grammar is followed
/// exactly, so `UTC`, a one-digit hour, a two-digit year in the fixdate form or doubled spaces
/// are refused rather than guessed at. Names are compared case-insensitively, which the grammar
/// does not require but costs nothing to accept. Pure arithmetic: no locale, no time zone
/// database. Shared by the embedded web server and the l7 cache.
public enum HTTPDate {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate, the only form a sender may generate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    public static func format(_ seconds: Int64) -> String {
        let (days, secondOfDay) = split(seconds)
        let (year, month, day) = civil(fromDays: days)
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        return "\(weekday), \(twoDigits(day)) \(monthNames[month - 1]) \(year) "
            + "\(twoDigits(secondOfDay / 3600)):\(twoDigits(secondOfDay / 60 % 60)):\(twoDigits(secondOfDay % 60)) GMT"
    }

    /// `parse(_:now:)` with the system clock as `now`.
    public static func parse(_ text: String) -> Int64? {
        parse(text, now: systemNow())
    }

    /// - Parameter now: seconds since the epoch, read only for an RFC 850 date: its two-digit
    ///   year is the latest year with those digits that is not more than 50 years after `now`
    ///   (RFC 9110 §5.6.7).
    public static func parse(_ text: String, now: @autoclosure () -> Int64) -> Int64? {
        var text = text
        guard let parsed = text.withUTF8({ bytes -> HTTPDateScanner.Fields? in
            var scanner = HTTPDateScanner(bytes: bytes)
            return scanner.parse()
        }) else { return nil }
        let year = parsed.isTwoDigitYear ? fullYear(endingIn: parsed.year, of: parsed, now: now()) : parsed.year
        guard parsed.day >= 1, parsed.day <= daysInMonth(year: year, month: parsed.month) else { return nil }
        return daysSinceEpoch(year: year, month: parsed.month, day: parsed.day) * 86_400 + parsed.secondOfDay
    }

    /// Seconds since the epoch by the system clock.
    public static func systemNow() -> Int64 { Int64(time(nil)) }

    /// RFC 9110 §5.6.7: a two-digit year "that appears to be more than 50 years in the future"
    /// is the most recent past year with the same last two digits.
    static func fullYear(endingIn lastTwoDigits: Int64, of date: HTTPDateScanner.Fields, now: Int64) -> Int64 {
        let (nowDays, nowSecondOfDay) = split(now)
        let today = civil(fromDays: nowDays)
        let limitYear = today.year + 50
        let limit = daysSinceEpoch(year: limitYear, month: Int64(today.month), day: Int64(today.day)) * 86_400
            + nowSecondOfDay
        let year = limitYear - ((limitYear - lastTwoDigits) % 100 + 100) % 100
        let instant = daysSinceEpoch(year: year, month: date.month, day: date.day) * 86_400 + date.secondOfDay
        return instant > limit ? year - 100 : year
    }

    /// Whole days since the epoch (rounded down, also before 1970) and the second within the day.
    static func split(_ seconds: Int64) -> (days: Int64, secondOfDay: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (days, seconds - days * 86_400)
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
