import HTTPWire
import Testing

@Suite struct ChunkedBodyTests {
    /// Feeds `body` whole to a chunked tracker.
    func track(_ body: String, limits: WireLimits = WireLimits()) -> BodyTracker.Progress {
        var tracker = BodyTracker(framing: .chunked, limits: limits)
        return Array(body.utf8).withUnsafeBytes { tracker.consume($0) }
    }

    func isComplete(_ body: String) -> Bool {
        track(body) == .complete(consumed: body.utf8.count)
    }

    func refusal(_ body: String, limits: WireLimits = WireLimits()) -> BodyError? {
        guard case .invalid(let error) = track(body, limits: limits) else { return nil }
        return error
    }

    @Test(arguments: [Message]([
        "0\r\n\r\n",
        "5\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "A\r\n0123456789\r\n0\r\n\r\n",
        "a\r\n0123456789\r\n0000\r\n\r\n",
        "0005\r\nhello\r\n0\r\n\r\n",
        "5;ext\r\nhello\r\n0;last\r\n\r\n",
        "5;a=b;c=\"x y\";d\r\nhello\r\n0\r\n\r\n",
        "5 ;a = b ; c\t=\t\"q\\\"uoted\"\r\nhello\r\n0\r\n\r\n",
        "5;a=\"\"\r\nhello\r\n0\r\n\r\n",
        "0\r\nX-Checksum: abc\r\n\r\n",
        "0\r\nX-A: 1\r\nX-B:\r\nX-C: \t v \u{e9}\r\n\r\n",
        "5\r\n\r\n\r\n\r\r\n0\r\n\r\n",
    ]))
    func validChunkedBodiesEndExactlyAtTheirLastByte(_ body: Message) {
        #expect(isComplete(body.text))
    }

    @Test func whatFollowsTheBodyIsNotConsumed() {
        let body = "3\r\nabc\r\n0\r\n\r\n"
        #expect(track(body + "GET / HTTP/1.1\r\n") == .complete(consumed: body.utf8.count))
    }

    @Test func anUnfinishedBodyAsksForMoreHavingConsumedEverything() {
        #expect(track("5\r\nhel") == .needsMore(consumed: 6))
        #expect(track("5\r\nhello\r\n0\r\nX-A: 1\r\n") == .needsMore(consumed: 21))
    }

    @Test(arguments: [
        (" 5\r\nhello\r\n0\r\n\r\n", "leading whitespace before the size"),
        ("\r\n", "no size"),
        ("0x5\r\nhello\r\n0\r\n\r\n", "0x prefix"),
        ("-5\r\nhello\r\n0\r\n\r\n", "a sign"),
        ("g\r\n", "a non-hex size"),
        ("5\nhello\r\n0\r\n\r\n", "bare LF after the size"),
        ("5\rhello\r\n0\r\n\r\n", "bare CR after the size"),
        ("5\r\nhello\n0\r\n\r\n", "bare LF after the data"),
        ("5\r\nhelloX\r\n0\r\n\r\n", "data longer than its size"),
        ("5\r\nhello\r\r\n0\r\n\r\n", "CR CR LF after the data"),
        ("5 \r\nhello\r\n0\r\n\r\n", "whitespace then the line end"),
        ("5;\r\nhello\r\n0\r\n\r\n", "an empty extension name"),
        ("5;a=\r\nhello\r\n0\r\n\r\n", "an empty extension value"),
        ("5;a b\r\nhello\r\n0\r\n\r\n", "a space inside an extension"),
        ("5;a=\"b\r\nhello\r\n", "an unterminated quoted value"),
        ("5;a=\"b\u{0}\"\r\nhello\r\n", "NUL in a quoted value"),
        ("5;a\u{1}\r\nhello\r\n", "a control in an extension name"),
        ("5;a=b\"c\"\r\nhello\r\n", "a quote inside a token"),
        ("5;a=\"b\"c\r\nhello\r\n", "junk after a quoted value"),
        ("5;a=\"b\" \r\nhello\r\n", "whitespace after a quoted value, then the line end"),
        ("0000000000000000A\r\n", "seventeen hex digits"),
        ("FFFFFFFFFFFFFFFF\r\n", "a size past 2^63-1"),
        ("0\r\n X-A: 1\r\n\r\n", "obs-fold in the trailer"),
        ("0\r\nX-A : 1\r\n\r\n", "space before colon in the trailer"),
        ("0\r\n: 1\r\n\r\n", "an empty trailer field name"),
        ("0\r\nX-A 1\r\n\r\n", "a trailer line without colon"),
        ("0\r\nX-A: \u{0}\r\n\r\n", "NUL in a trailer value"),
        ("0\r\nX-A: 1\n\r\n", "bare LF in the trailer"),
        ("0\r\n\n", "bare LF as the final line"),
        ("0\r\n\rX", "CR without LF at the end"),
    ])
    func malformedChunkedFramingIsRefused(_ body: String, _ what: String) {
        #expect(refusal(body) != nil, "\(what)")
    }

    @Test func sixteenHexDigitsAreASizeUpTo2To31Minus1() {
        #expect(track("000000007FFFFFFF\r\nabc") == .needsMore(consumed: 21))
        guard case .invalid = track("7FFFFFFFFFFFFFFF\r\nabc") else {
            Issue.record("a chunk over 2 GiB was taken")
            return
        }
    }

    @Test func aChunkLineLongerThanTheLimitIsRefused() {
        let limits = WireLimits(maxChunkLineBytes: 32)
        #expect(refusal("5;a=" + String(repeating: "b", count: 26) + "\r\nhello\r\n0\r\n\r\n", limits: limits) == nil, "32 bytes with the CRLF")
        #expect(refusal("5;a=" + String(repeating: "b", count: 27) + "\r\nhello\r\n0\r\n\r\n", limits: limits) != nil)
        #expect(refusal("5;a=" + String(repeating: "b", count: 5000)) != nil, "4 KiB by default")
    }

    @Test func trailersAreBoundedLikeAHead() {
        let limits = WireLimits(maxHeaderBytes: 64, maxFieldCount: 2)
        #expect(refusal("0\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits) == nil)
        #expect(refusal("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)?.reason.description == "too many trailer fields")
        #expect(refusal("0\r\nA: " + String(repeating: "v", count: 70), limits: limits)?.reason.description == "trailer section too large")
    }

    @Test func theErrorSaysWhereInTheBytesGivenTheFaultIs() {
        #expect(refusal("5\r\nhelloX") == BodyError(reason: "chunk data without CRLF", offset: 8))
    }

    @Test func dataSpansPointAtTheChunkDataOnly() {
        let body = Array("5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\n".utf8)
        var tracker = BodyTracker(framing: .chunked)
        var spans: [Range<Int>] = []
        let progress = body.withUnsafeBytes { tracker.consume($0, dataSpans: &spans) }
        #expect(progress == .complete(consumed: body.count))
        #expect(String(decoding: spans.flatMap { body[$0] }, as: UTF8.self) == "hello world")
        #expect(tracker.isComplete)
    }

    @Test func aContentLengthBodyEndsAfterItsLengthAndIsAllData() {
        var tracker = BodyTracker(framing: .contentLength(5))
        var spans: [Range<Int>] = []
        #expect(Array("hel".utf8).withUnsafeBytes { tracker.consume($0, dataSpans: &spans) } == .needsMore(consumed: 3))
        #expect(Array("loGET".utf8).withUnsafeBytes { tracker.consume($0, dataSpans: &spans) } == .complete(consumed: 2))
        #expect(spans == [0..<3, 0..<2])
        #expect(tracker.isComplete)
    }

    @Test func noBodyOrAnEmptyOneIsCompleteAtOnce() {
        var none = BodyTracker(framing: .none)
        var empty = BodyTracker(framing: .contentLength(0))
        #expect(none.isComplete && empty.isComplete)
        #expect(Array("GET".utf8).withUnsafeBytes { none.consume($0) } == .complete(consumed: 0))
        #expect(Array("GET".utf8).withUnsafeBytes { empty.consume($0) } == .complete(consumed: 0))
    }

    @Test func aBodyUntilCloseOrATunnelTakesEverythingAndNeverEnds() {
        for framing in [BodyFraming.untilClose, .tunnel] {
            var tracker = BodyTracker(framing: framing)
            #expect(Array("0\r\n\r\nanything".utf8).withUnsafeBytes { tracker.consume($0) } == .needsMore(consumed: 13))
            #expect(!tracker.isComplete)
        }
    }
}
