import HTTPCache
import NIOHTTP1
import Testing

/// Variants selected by `Vary` (RFC 9111 §4.1).
@Suite("Vary")
struct VaryTests {
    let varying = response(.ok, [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")])

    func get(_ headers: [(String, String)]) -> HTTPRequestHead { request(.GET, "/page", headers) }

    @Test func matchingValuesHit() {
        let cache = makeCache()
        #expect(play(cache, get([("Accept-Encoding", "gzip, br")]), varying, at: 0))
        #expect(cache.lookup(get([("accept-encoding", " gzip,br ")]), now: 1, whenFilled: noCallback).hit != nil)
    }

    @Test func differentValuesMiss() {
        let cache = makeCache()
        #expect(play(cache, get([("Accept-Encoding", "gzip")]), varying, at: 0))
        #expect(cache.lookup(get([("Accept-Encoding", "br")]), now: 1, whenFilled: noCallback).fill != nil)
        // Absent is a value of its own.
        #expect(cache.lookup(get([]), now: 1, whenFilled: noCallback).fill != nil)
    }

    @Test func twoVariantsCoexist() {
        let cache = makeCache()
        #expect(play(cache, get([("Accept-Encoding", "gzip")]), varying, body: "zipped", at: 0))
        #expect(play(cache, get([("Accept-Encoding", "identity")]), varying, body: "plain", at: 0))
        #expect(cache.statistics.entries == 2)
        let gzip = cache.lookup(get([("Accept-Encoding", "gzip")]), now: 1, whenFilled: noCallback).hit
        let plain = cache.lookup(get([("Accept-Encoding", "identity")]), now: 1, whenFilled: noCallback).hit
        #expect(gzip.map { String(buffer: $0.body) } == "zipped")
        #expect(plain.map { String(buffer: $0.body) } == "plain")
    }

    @Test func severalNamesAllMustMatch() {
        let cache = makeCache()
        let response = response(.ok, [("Cache-Control", "max-age=60"), ("Vary", "accept-language"), ("Vary", " Accept ,  ")])
        #expect(play(cache, get([("Accept", "text/html"), ("Accept-Language", "fr")]), response, at: 0))
        #expect(cache.lookup(get([("Accept-Language", "fr"), ("Accept", "text/html")]), now: 1, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get([("Accept", "text/html"), ("Accept-Language", "de")]), now: 1, whenFilled: noCallback).fill != nil)
    }

    @Test func variantsPerURLAreCapped() {
        let cache = makeCache()
        let byAgent = response(.ok, [("Cache-Control", "max-age=60"), ("Vary", "User-Agent")])
        for agent in 0...16 { #expect(play(cache, get([("User-Agent", "agent \(agent)")]), byAgent, at: 0)) }
        #expect(cache.statistics.entries == 16)
        #expect(cache.statistics.evictions == 1)
        #expect(cache.lookup(get([("User-Agent", "agent 0")]), now: 1, whenFilled: noCallback).fill != nil)
        #expect(cache.lookup(get([("User-Agent", "agent 1")]), now: 1, whenFilled: noCallback).hit != nil)
        #expect(cache.lookup(get([("User-Agent", "agent 16")]), now: 1, whenFilled: noCallback).hit != nil)
    }

    @Test func varyStarIsNeverServed() {
        let cache = makeCache()
        #expect(!play(cache, get([]), response(.ok, [("Cache-Control", "max-age=60"), ("Vary", "Accept, *")]), at: 0))
        #expect(cache.lookup(get([]), now: 1, whenFilled: noCallback).fill != nil)
    }
}
