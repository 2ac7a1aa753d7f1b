import HTTPWire
import NIOCore
import Testing

/// The framing a server sees is written by the proxy in one form, whatever spelling the client
/// used: a server that reads the list or the repeated lines differently from the scanner (e.g.
/// one that compares the whole Transfer-Encoding value with "chunked", or takes the last line)
/// still finds the body where the proxy did. From a security review of the byte path.
@Suite struct CanonicalFramingTests {
    let forwarding = Forwarding(client: "192.0.2.7", proxy: "192.0.2.1")

    func upstream(_ message: String) throws -> (BodyFraming, String) {
        let scanned = try #require(Wire.parse(message))
        var out = ByteBuffer()
        HeadWriter.writeUpstreamRequest(head: scanned.head, from: Wire.buffer(message), into: &out, forwarding: forwarding)
        return (MessageFraming.request(scanned.head), String(buffer: out))
    }

    @Test(arguments: [
        "Transfer-Encoding: chunked,\r\n",
        "Transfer-Encoding: , chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: ,\r\n",
    ])
    func anyAcceptedSpellingOfChunkedGoesUpstreamAsOneLine(_ te: String) throws {
        let (framing, written) = try upstream("POST / HTTP/1.1\r\nHost: a\r\n" + te + "\r\n")
        #expect(framing == .chunked)
        #expect(written.hasSuffix("\r\nTransfer-Encoding: chunked\r\n\r\n"))
        #expect(written.split(separator: "Transfer-Encoding", omittingEmptySubsequences: false).count == 2, "\(written)")
    }

    @Test(arguments: [
        "Content-Length: 5, 5\r\n",
        "Content-Length: 5\r\nContent-Length: 5\r\n",
        "Content-Length: 0000000000000000005\r\n",
    ])
    func anyAcceptedSpellingOfALengthGoesUpstreamAsOneLine(_ cl: String) throws {
        let (framing, written) = try upstream("POST / HTTP/1.1\r\nHost: a\r\n" + cl + "\r\n")
        #expect(framing == .contentLength(5))
        #expect(written.hasSuffix("\r\nContent-Length: 5\r\n\r\n"))
        #expect(written.split(separator: "Content-Length", omittingEmptySubsequences: false).count == 2, "\(written)")
    }

    /// A server that keeps a chunk's size in 32 bits would read `100000000` as 0.
    @Test func chunksOver2GiBAreRefused() {
        var tracker = BodyTracker(framing: .chunked)
        let progress = Array("100000000\r\nab".utf8).withUnsafeBytes { tracker.consume($0) }
        guard case .invalid = progress else {
            Issue.record("a 4 GiB chunk was taken: \(progress)")
            return
        }
        var largest = BodyTracker(framing: .chunked)
        #expect(Array("7fffffff\r\nab".utf8).withUnsafeBytes { largest.consume($0) } == .needsMore(consumed: 12))
    }
}
