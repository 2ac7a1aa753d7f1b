import HTTPWire
import Testing

/// Every hostile or malformed request shape, refused with the status the client is answered.
@Suite struct RequestRefusalTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let message: String
        let status: Int
        var testDescription: String { name }
    }

    /// A request with the given field lines (after the Host).
    static func with(_ fields: String...) -> String {
        "POST / HTTP/1.1\r\nHost: a\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
    }

    static let syntax: [Case] = [
        Case(name: "obs-fold", message: with("X-A: a", " folded"), status: 400),
        Case(name: "obs-fold with a tab", message: with("X-A: a", "\tfolded"), status: 400),
        Case(name: "bare CR in a value", message: with("X-A: a\rb"), status: 400),
        Case(name: "CR CR LF", message: with("X-A: a\r"), status: 400),
        Case(name: "NUL in a value", message: with("X-A: a\u{0}b"), status: 400),
        Case(name: "DEL in a value", message: with("X-A: a\u{7f}b"), status: 400),
        Case(name: "a control character in a value", message: with("X-A: a\u{1b}b"), status: 400),
        Case(name: "space before colon", message: with("Content-Length : 5"), status: 400),
        Case(name: "tab before colon", message: with("X-A\t: 5"), status: 400),
        Case(name: "empty field name", message: with(": 5"), status: 400),
        Case(name: "a space in a field name", message: with("X A: 5"), status: 400),
        Case(name: "a field without colon", message: with("X-A"), status: 400),
        Case(name: "a non-token byte in a field name", message: with("X(A): 5"), status: 400),
        Case(name: "lone LF after the request line", message: "GET / HTTP/1.1\nHost: a\r\n\r\n", status: 400),
        Case(name: "lone LF after a field", message: "GET / HTTP/1.1\r\nHost: a\n\r\n", status: 400),
        Case(name: "lone LF as the final empty line", message: "GET / HTTP/1.1\r\nHost: a\r\n\n", status: 400),
        Case(name: "lone LFs throughout", message: "GET / HTTP/1.1\nHost: a\n\n", status: 400),
        Case(name: "a lone LF before the request line", message: "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a space before the request line", message: " GET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a tab before the request line", message: "\tGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a blank line of spaces before the request line", message: "  \r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a non-token byte in the method", message: "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "two spaces after the method", message: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "two spaces before the version", message: "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a space after the version", message: "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a tab as separator", message: "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "HTTP/0.9", message: "GET /\r\n\r\n", status: 400),
        Case(name: "lower-case version", message: "GET / http/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "version without dot", message: "GET / HTTP/11\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "two-digit minor version", message: "GET / HTTP/1.10\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "HTTP/2.0", message: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505),
        Case(name: "HTTP/1.2", message: "GET / HTTP/1.2\r\nHost: a\r\n\r\n", status: 505),
        Case(name: "HTTP/0.9 spelled out", message: "GET / HTTP/0.9\r\nHost: a\r\n\r\n", status: 505),
        Case(name: "a fragment in the target", message: "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a space in the target", message: "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a NUL in the target", message: "GET /a\u{0}b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a DEL in the target", message: "GET /a\u{7f} HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a byte above 0x7E in the target", message: "GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a relative target", message: "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "asterisk-form for GET", message: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "origin-form for CONNECT", message: "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "CONNECT without a port", message: "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "CONNECT with an empty port", message: "CONNECT example.com: HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "CONNECT with absolute-form", message: "CONNECT http://a:80/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "a scheme that starts with a digit", message: "GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
    ]

    static let hosts: [Case] = [
        Case(name: "no Host in HTTP/1.1", message: "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", status: 400),
        Case(name: "no field at all in HTTP/1.1", message: "GET / HTTP/1.1\r\n\r\n", status: 400),
        Case(name: "two Hosts", message: with("Host: b"), status: 400),
        Case(name: "two identical Hosts", message: with("Host: a"), status: 400),
        Case(name: "a space inside the host", message: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400),
        Case(name: "userinfo in the host", message: "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", status: 400),
        Case(name: "a path in the host", message: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400),
        Case(name: "a port that is not digits", message: "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", status: 400),
        Case(name: "a port too long", message: "GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", status: 400),
        Case(name: "an unclosed IP literal", message: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", status: 400),
        Case(name: "junk after an IP literal", message: "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", status: 400),
        Case(name: "a bad percent-escape", message: "GET / HTTP/1.1\r\nHost: a%2\r\n\r\n", status: 400),
        Case(name: "a port without host", message: "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", status: 400),
        Case(name: "a comma list of hosts", message: "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", status: 400),
    ]

    static let framing: [Case] = [
        Case(name: "differing Content-Length lines", message: with("Content-Length: 1", "Content-Length: 2"), status: 400),
        Case(name: "a differing Content-Length list", message: with("Content-Length: 1, 2"), status: 400),
        Case(name: "a signed Content-Length", message: with("Content-Length: +5"), status: 400),
        Case(name: "a negative Content-Length", message: with("Content-Length: -1"), status: 400),
        Case(name: "an empty Content-Length", message: with("Content-Length: "), status: 400),
        Case(name: "an empty Content-Length member", message: with("Content-Length: 1,,1"), status: 400),
        Case(name: "a hex Content-Length", message: with("Content-Length: 0x10"), status: 400),
        Case(name: "a Content-Length with a space inside", message: with("Content-Length: 1 2"), status: 400),
        Case(name: "a Content-Length past 2^63-1", message: with("Content-Length: 9223372036854775808"), status: 400),
        Case(name: "a Content-Length of twenty digits", message: with("Content-Length: 18446744073709551616"), status: 400),
        Case(name: "Content-Length and Transfer-Encoding", message: with("Content-Length: 5", "Transfer-Encoding: chunked"), status: 400),
        Case(name: "Transfer-Encoding then Content-Length", message: with("Transfer-Encoding: chunked", "Content-Length: 5"), status: 400),
        Case(name: "gzip, chunked", message: with("Transfer-Encoding: gzip, chunked"), status: 501),
        Case(name: "gzip then chunked on two lines", message: with("Transfer-Encoding: gzip", "Transfer-Encoding: chunked"), status: 501),
        Case(name: "chunked, gzip", message: with("Transfer-Encoding: chunked, gzip"), status: 400),
        Case(name: "gzip alone", message: with("Transfer-Encoding: gzip"), status: 400),
        Case(name: "identity", message: with("Transfer-Encoding: identity"), status: 400),
        Case(name: "chunked, chunked", message: with("Transfer-Encoding: chunked, chunked"), status: 400),
        Case(name: "chunked on two lines", message: with("Transfer-Encoding: chunked", "Transfer-Encoding: chunked"), status: 400),
        Case(name: "an empty Transfer-Encoding", message: with("Transfer-Encoding: "), status: 400),
        Case(name: "chunked with a parameter", message: with("Transfer-Encoding: chunked;q=1"), status: 400),
        Case(name: "a coding that is no token", message: with("Transfer-Encoding: \"chunked\""), status: 400),
        Case(name: "chunked with junk after it", message: with("Transfer-Encoding: chunked x"), status: 400),
        Case(name: "Transfer-Encoding in HTTP/1.0",
             message: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
        Case(name: "a Connection option that is no token", message: with("Connection: a b"), status: 400),
        Case(name: "an Upgrade protocol that is no token", message: with("Upgrade: a b"), status: 400),
        Case(name: "an Upgrade version that is no token", message: with("Upgrade: websocket/"), status: 400),
    ]

    @Test(arguments: syntax)
    func malformedSyntaxIsRefused(_ refused: Case) throws {
        let error = try #require(Wire.refusal(refused.message))
        #expect(error.status == refused.status, "\(error)")
        #expect(error.offset >= 0 && error.offset <= refused.message.utf8.count)
    }

    @Test(arguments: hosts)
    func aMissingDuplicateOrInvalidHostIsRefused(_ refused: Case) throws {
        #expect(try #require(Wire.refusal(refused.message)).status == refused.status)
    }

    @Test(arguments: framing)
    func ambiguousFramingIsRefusedWithTheStatusRFC9112Gives(_ refused: Case) throws {
        #expect(try #require(Wire.refusal(refused.message)).status == refused.status)
    }

    @Test func theOffsetPointsAtTheFault() throws {
        #expect(try #require(Wire.refusal("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{0}b\r\n\r\n")).offset == 31)
        #expect(try #require(Wire.refusal("GET / HTTP/1.1\nHost: a\r\n\r\n")).offset == 14)
        #expect(try #require(Wire.refusal("GET / HTTP/1.1\r\nHost : a\r\n\r\n")).offset == 20)
    }

    /// Refused at once: the bare LF is seen before the head could end, and nothing more is awaited.
    @Test func aBareLineEndingIsRefusedBeforeTheHeadEnds() throws {
        #expect(try #require(Wire.refusal("GET / HTTP/1.1\nHost: a")).status == 400)
        #expect(try #require(Wire.refusal("GET / HTTP/1.1\r\nHost: a\rX")).status == 400)
        #expect(Wire.scan("GET / HTTP/1.1\r\nHost: a\r").summary == "incomplete")
    }
}
