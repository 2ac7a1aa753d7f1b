import HTTPDate
import Testing

@Suite("HTTP dates")
struct HTTPDateTests {
    /// Sun, 06 Nov 1994 08:49:37 GMT, the RFC's own example.
    static let example: Int64 = 784_111_777
    /// Wed, 21 Oct 2015 07:28:00 GMT: the "now" for two-digit years.
    static let now: Int64 = 1_445_412_480

    @Test func imfFixdate() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == Self.example)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Wed, 21 Oct 2015 07:28:00 GMT") == 1_445_412_480)
        #expect(HTTPDate.parse("Thu, 29 Feb 2024 23:59:59 GMT") == 1_709_251_199)
    }

    @Test func obsoleteForms() {
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: Self.now) == Self.example)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == Self.example)
        #expect(HTTPDate.parse("Sun Nov 16 08:49:37 1994") == Self.example + 10 * 86_400)
        #expect(HTTPDate.parse("Sun Nov 06 08:49:37 1994") == Self.example)
    }

    @Test func namesAreCaseInsensitive() {
        #expect(HTTPDate.parse("SUN, 06 NOV 1994 08:49:37 gmt") == Self.example)
        #expect(HTTPDate.parse("sunday, 06-nov-94 08:49:37 GMT", now: Self.now) == Self.example)
    }

    @Test func anRFC850YearIsTheLatestNotMoreThanFiftyYearsAhead() {
        #expect(HTTPDate.parse("Wednesday, 21-Oct-15 07:28:00 GMT", now: Self.now) == Self.now)
        #expect(HTTPDate.parse("Thursday, 18-Aug-50 02:01:18 GMT", now: Self.now) == 2_544_400_878)
        // 21 Oct 2065 07:28:00 is exactly fifty years ahead: still this century. A second more is not.
        #expect(HTTPDate.parse("Wednesday, 21-Oct-65 07:28:00 GMT", now: Self.now) == HTTPDate.parse("Wed, 21 Oct 2065 07:28:00 GMT"))
        #expect(HTTPDate.parse("Wednesday, 21-Oct-65 07:28:01 GMT", now: Self.now) == HTTPDate.parse("Thu, 21 Oct 1965 07:28:01 GMT"))
        // The same text read in 2090 is a date in the next century.
        let in2090 = HTTPDate.parse("Sun, 01 Jan 2090 00:00:00 GMT")!
        #expect(HTTPDate.parse("Sunday, 06-Nov-10 08:49:37 GMT", now: in2090) == HTTPDate.parse("Thu, 06 Nov 2110 08:49:37 GMT"))
        // The calendar check waits for the century: 29 Feb exists in 2024, not in 2023.
        #expect(HTTPDate.parse("Thursday, 29-Feb-24 00:00:00 GMT", now: Self.now) == HTTPDate.parse("Thu, 29 Feb 2024 00:00:00 GMT"))
        #expect(HTTPDate.parse("Wednesday, 29-Feb-23 00:00:00 GMT", now: Self.now) == nil)
    }

    @Test(arguments: [
        "", "0", "-1", "tomorrow", "Sun, 06 Nov 1994", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 PST",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:61:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Fri, 29 Feb 2023 00:00:00 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", "yesterday", "Sun, 06 Nov 1994 08:49:37 CET", "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT", "Sun, 06 Nov 1994 08:49:37 GMT,",
    ])
    func invalidDatesAreNil(text: String) {
        #expect(HTTPDate.parse(text, now: Self.now) == nil, "\(text)")
    }

    /// What senders get wrong is refused, not repaired (the http-tests cache-tests
    /// `freshness-expires-invalid-*` cases and a few more of the same kind).
    @Test(arguments: [
        "Thu, 18 Aug 2050 02:01:18 UTC", "Thu, 18 Aug 2050 02:01:18 AEST", "Thu, 18 Aug 50 02:01:18 GMT",
        "Thu 18 Aug 2050 02:01:18 GMT", "Thu, 18  Aug  2050 02:01:18 GMT", "Thu, 18-Aug-2050 02:01:18 GMT",
        "Thu, 18 Aug 2050 02.01.18 GMT", "Thu, 18 Aug 2050 2:01:18 GMT", "Thu, 8 Aug 2050 02:01:18 GMT",
        "Thu, 18 Aug 2050 02:1:18 GMT", "Thu, 18 Aug 02050 02:01:18 GMT", "Thursday, 18 Aug 2050 02:01:18 GMT",
        "Thu, 18-Aug-50 02:01:18 GMT", "Thursday, 18-Aug-2050 02:01:18 GMT", "Thursday, 18-Aug-50 02:01:18 UTC",
        "Sun Nov 6 08:49:37 1994", "Sun Nov  16 08:49:37 1994", "Sun Nov  6 08:49:37 94", "Sun Nov  6 08:49:37 1994 GMT",
        "Sun,  06 Nov 1994 08:49:37 GMT", " Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Xyz, 06 Nov 1994 08:49:37 GMT", "Sunny, 06-Nov-94 08:49:37 GMT", "Sun,06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37\tGMT", "Su, 06 Nov 1994 08:49:37 GMT",
    ])
    func malformedFormsAreRefused(text: String) {
        #expect(HTTPDate.parse(text, now: Self.now) == nil, "\(text)")
    }

    @Test func theClockIsReadOnlyForTwoDigitYears() {
        func clock() -> Int64 {
            Issue.record("the clock was read")
            return Self.now
        }
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: clock()) == Self.example)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994", now: clock()) == Self.example)
    }

    @Test func formatsIMFFixdate() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.format(4_102_444_799) == "Thu, 31 Dec 2099 23:59:59 GMT")
    }

    @Test func roundTripsAcrossYears() {
        for seconds in stride(from: Int64(0), to: 4_000_000_000, by: 86_400 * 37 + 3_607) {
            #expect(HTTPDate.parse(HTTPDate.format(seconds)) == seconds)
        }
    }
}
