import HTTPCache
import NIOHTTP1
import Testing

@Suite("Cache-Control parsing")
struct CacheControlTests {
    @Test func flagsAndAgesAreCaseInsensitive() {
        let parsed = CacheControl(parsing: "Public, MAX-AGE=60, S-MaxAge=30, No-Store, no-CACHE, Private, must-revalidate")
        #expect(parsed.isPublic && parsed.noStore && parsed.noCache && parsed.isPrivate && parsed.mustRevalidate)
        #expect(parsed.maxAge == 60)
        #expect(parsed.sharedMaxAge == 30)
    }

    @Test func quotedArgumentsMayHoldCommas() {
        let parsed = CacheControl(parsing: #"no-cache="Set-Cookie, X-Thing", max-age="120", private="a\"b,c""#)
        #expect(parsed.noCache)
        #expect(parsed.isPrivate)
        #expect(parsed.maxAge == 120)
        #expect(!parsed.noStore)
    }

    @Test func duplicatesKeepTheMostRestrictive() {
        let parsed = CacheControl(parsing: "max-age=600, max-age=30, s-maxage=5, s-maxage=50")
        #expect(parsed.maxAge == 30)
        #expect(parsed.sharedMaxAge == 5)
    }

    /// Invalid freshness is stale (RFC 9111 §4.2.1), not absent: absent would let `Expires` or a
    /// heuristic decide.
    @Test(arguments: ["-1", "-3600", "abc", "", "1.5", "60a", "+60", "'60'", "\"-1\"", "\"\""])
    func anInvalidAgeArgumentReadsAsZero(argument: String) {
        let parsed = CacheControl(parsing: "max-age=\(argument), s-maxage=\(argument), min-fresh=\(argument)")
        #expect(parsed.maxAge == 0)
        #expect(parsed.sharedMaxAge == 0)
        #expect(parsed.minFresh == 0)
    }

    @Test func anAgeDirectiveWithoutArgumentReadsAsZero() {
        #expect(CacheControl(parsing: "max-age").maxAge == 0)
        #expect(CacheControl(parsing: "public, s-maxage, max-age=60").sharedMaxAge == 0)
    }

    @Test func anInvalidAgeBeatsAValidOne() {
        #expect(CacheControl(parsing: "max-age=60, max-age=abc").maxAge == 0)
        #expect(CacheControl(HTTPHeaders([("Cache-Control", "max-age=-1"), ("Cache-Control", "max-age=60")])).maxAge == 0)
    }

    @Test func hugeAgesAreClampedNotTrapped() {
        let parsed = CacheControl(parsing: "max-age=99999999999999999999999999999, s-maxage=2147483649")
        #expect(parsed.maxAge == 1 << 31)
        #expect(parsed.sharedMaxAge == 1 << 31)
        #expect(CacheControl(parsing: "max-age=2147483647").maxAge == 2_147_483_647)
    }

    @Test func junkAndSpacingAreSkipped() {
        let parsed = CacheControl(parsing: " ,, max-age = 60 junk here ,;;; , no-store,")
        #expect(parsed.maxAge == 60)
        #expect(parsed.noStore)
        #expect(CacheControl(parsing: "") == CacheControl())
        // An unterminated quoted argument runs to the end: nothing after it is a directive, and
        // the argument itself is not a number.
        var unterminated = CacheControl()
        unterminated.maxAge = 0
        #expect(CacheControl(parsing: "max-age=\"60, no-store") == unterminated)
        #expect(CacheControl(parsing: "max-age=\"6\\") == unterminated)
    }

    @Test func unknownDirectivesDoNotMatchKnownPrefixes() {
        let parsed = CacheControl(parsing: "no-stored, privateish, max-ages=5, publicity")
        #expect(parsed == CacheControl())
    }

    @Test func everyHeaderLineCounts() {
        let headers = HTTPHeaders([("Cache-Control", "max-age=60"), ("cache-control", "no-store"), ("X-Other", "private")])
        let parsed = CacheControl(headers)
        #expect(parsed.maxAge == 60)
        #expect(parsed.noStore)
        #expect(!parsed.isPrivate)
    }
}
