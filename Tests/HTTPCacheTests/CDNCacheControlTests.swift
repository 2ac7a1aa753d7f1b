import HTTPCache
import NIOHTTP1
import Testing

/// `CDN-Cache-Control` (RFC 9213): the dispatcher is the CDN it addresses. The cases are the
/// http-tests cache-tests `cdn-*` shapes.
@Suite("CDN-Cache-Control")
struct CDNCacheControlTests {
    let get = request()

    struct Case: Sendable, CustomTestStringConvertible {
        var cdn: String
        var others: [(String, String)] = []
        /// Seconds after storing at which it must still be a hit; nil: never stored.
        var hitAt: UInt64?
        /// Seconds after storing at which it must be a miss again.
        var missAt: UInt64?
        var testDescription: String { "CDN-Cache-Control: \(cdn) with \(others)" }
    }

    static let future = "Thu, 22 Oct 2015 07:28:00 GMT"
    static let past = "Tue, 20 Oct 2015 07:28:00 GMT"

    @Test(arguments: [
        Case(cdn: "max-age=3600", hitAt: 3599, missAt: 3600),
        Case(cdn: "max-age=2147483648", hitAt: 1 << 30),
        Case(cdn: "max-age=99999999999", hitAt: 1 << 30),
        Case(cdn: "foobar, max-age=3600", hitAt: 3599),
        Case(cdn: "max-age=3600", others: [("Expires", past), ("Date", wallNowHTTP)], hitAt: 3599),
        Case(cdn: "max-age=3600", others: [("Expires", "yesterday")], hitAt: 3599),
        // The targeted field wins over Cache-Control both ways.
        Case(cdn: "max-age=3600", others: [("Cache-Control", "max-age=1")], hitAt: 100),
        Case(cdn: "max-age=1", others: [("Cache-Control", "max-age=3600")], hitAt: 0, missAt: 1),
        Case(cdn: "max-age=10000", others: [("Cache-Control", "no-store")], hitAt: 9999),
        // Refused by the targeted field, whatever Cache-Control and Expires say.
        Case(cdn: "max-age=0", others: [("Expires", future), ("Date", wallNowHTTP)]),
        Case(cdn: "max-age=3600", others: [("Age", "7200")]),
        Case(cdn: "private", others: [("Cache-Control", "max-age=10000")]),
        // A directive with a value is still the directive (it must not let `max-age` share it).
        Case(cdn: "private=\"set-cookie\", max-age=3600"),
        Case(cdn: "no-store=(\"x\"), max-age=3600"),
        Case(cdn: "no-cache", others: [("Cache-Control", "max-age=10000")]),
        Case(cdn: "no-store", others: [("Cache-Control", "max-age=10000")]),
        // Not a valid structured field: ignored whole, so Cache-Control (here: nothing) applies.
        Case(cdn: "max-age =100"),
        Case(cdn: "max-age= 100"),
        Case(cdn: "MaX-aGe=3600"),
        Case(cdn: "max-age=10000, &&&&&", others: [("Cache-Control", "no-store")]),
        Case(cdn: "max-age=10000,", others: [("Cache-Control", "no-store")]),
        // A string where an integer belongs: the directive is ignored.
        Case(cdn: #"max-age="10000""#, others: [("Cache-Control", "no-store")]),
        // Invalid, so Cache-Control rules.
        Case(cdn: "max-age=1.5.5", others: [("Cache-Control", "max-age=60")], hitAt: 59),
    ])
    func targetedDirectivesReplaceCacheControl(_ test: Case) {
        let cache = makeCache()
        let stored = play(cache, get, response(.ok, [("CDN-Cache-Control", test.cdn)] + test.others), at: 0)
        #expect(stored == (test.hitAt != nil))
        if let hitAt = test.hitAt {
            #expect(cache.lookup(get, now: hitAt * second, whenFilled: noCallback).hit != nil)
        }
        if let missAt = test.missAt {
            #expect(cache.lookup(get, now: missAt * second, whenFilled: noCallback).fill != nil)
        }
    }

    @Test func theFieldIsPassedOnToClients() {
        let cache = makeCache()
        #expect(play(cache, get, response(.ok, [("CDN-Cache-Control", "max-age=60")]), at: 0))
        let hit = cache.lookup(get, now: 1 * second, whenFilled: noCallback).hit
        #expect(hit?.head.headers["cdn-cache-control"] == ["max-age=60"])
    }

    @Test(arguments: [
        #"a=1;p=2, b=(1 "x" tok);q, c=?0, d=:aGk=:, e=tok/en:1, f=-1.5, g="s\"x", *h"#, "", "a=999999999999999",
    ])
    func validStructuredFieldsAreRead(value: String) {
        // `max-age` beside them proves the whole field was taken.
        let cache = makeCache()
        let field = value.isEmpty ? "max-age=60" : value + ", max-age=60"
        #expect(play(cache, get, response(.ok, [("CDN-Cache-Control", field), ("Cache-Control", "no-store")]), at: 0))
    }

    @Test(arguments: [
        "a=1234567890123456", "a=1.2345", "a=?2", #"a="unterminated"#, "a=(1 2", "a=:not base64!:", "A", "a;P=1", "a=1 b=2", "\u{7F}",
    ])
    func invalidStructuredFieldsAreIgnoredWhole(value: String) {
        let cache = makeCache()
        #expect(!play(cache, get, response(.ok, [("CDN-Cache-Control", value + ", max-age=60"), ("Cache-Control", "no-store")]), at: 0))
    }

    /// Hostile values: whatever the bytes, the parser ends, and a stored answer is one the
    /// field (or Cache-Control) really allowed.
    @Test func randomValuesNeverCrashTheParser() {
        let alphabet = Array("max-ge=0123456789,;()\"?:*&/ \t-=.noscrtivpbl".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let length = Int.random(in: 0..<24, using: &generator)
            let value = String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
            let cache = makeCache()
            play(cache, get, response(.ok, [("CDN-Cache-Control", value), ("Cache-Control", "no-store")]), at: 0)
        }
    }
}
