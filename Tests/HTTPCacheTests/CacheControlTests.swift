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

    @Test func badNumbersAreIgnored() {
        let parsed = CacheControl(parsing: "max-age=-1, max-age=abc, max-age=, max-age=1.5, s-maxage=10, max-age")
        #expect(parsed.maxAge == nil)
        #expect(parsed.sharedMaxAge == 10)
    }

    @Test func hugeAgesAreClampedNotTrapped() {
        let parsed = CacheControl(parsing: "max-age=99999999999999999999999999999")
        #expect(parsed.maxAge == 1 << 31)
    }

    @Test func junkAndSpacingAreSkipped() {
        let parsed = CacheControl(parsing: " ,, max-age = 60 junk here ,;;; , no-store,")
        #expect(parsed.maxAge == 60)
        #expect(parsed.noStore)
        #expect(CacheControl(parsing: "") == CacheControl())
        // An unterminated quoted argument runs to the end: nothing after it is a directive.
        #expect(CacheControl(parsing: "max-age=\"60, no-store") == CacheControl())
        #expect(CacheControl(parsing: "max-age=\"6\\") == CacheControl())
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
