import HTTPWire
import NIOCore

/// What the writers make of a head must scan again as the same message: same method and target
/// (or status and reason), same framing. The limits are widened for the re-scan by what the
/// writers may add (forwarding fields, Via, Connection, Host).
enum RewriteCheck {
    static let widened = WireLimits(maxHeaderBytes: WireLimits().maxHeaderBytes + 4096, maxFieldCount: WireLimits().maxFieldCount + 8)
    static let forwarding = Forwarding(client: "2001:db8::7", proxy: "192.0.2.1")

    static func upstreamRequest(_ head: ParsedHead, _ source: ByteBuffer, keepingUpgrade: Bool) {
        var out = ByteBuffer()
        HeadWriter.writeUpstreamRequest(head: head, from: source, into: &out, forwarding: forwarding, keepingUpgrade: keepingUpgrade)
        let again = rescan(out, .request)
        precondition(slice(out, again.methodBytes) == slice(source, head.methodBytes), "method changed")
        precondition(slice(out, again.target) == slice(source, head.target), "target changed")
        precondition(again.version == .http1_1)
        precondition(again.contentLength == head.contentLength && again.isChunked == head.isChunked, "request framing changed")
        precondition(!again.expectsContinue, "Expect forwarded")
        precondition(MessageFraming.request(again) == MessageFraming.request(head))
    }

    static func clientResponse(_ head: ParsedHead, _ source: ByteBuffer, framing: BodyFraming, selector: UInt8) {
        let dechunking = framing == .chunked && selector & 4 != 0
        let clientVersion: ParsedHead.Version = dechunking || selector & 8 != 0 ? .http1_0 : .http1_1
        var out = ByteBuffer()
        HeadWriter.writeClientResponse(head: head, from: source, into: &out, clientVersion: clientVersion, keepAlive: selector & 16 != 0,
                                       dechunking: dechunking, keepingUpgrade: head.status == 101, extraFields: Array("X-Cache: MISS\r\n".utf8))
        let again = rescan(out, .response)
        precondition(again.status == head.status && again.version == clientVersion, "status line changed")
        precondition(slice(out, again.reason) == slice(source, head.reason), "reason changed")
        precondition(again.contentLength == head.contentLength, "Content-Length changed")
        precondition(again.isChunked == (head.isChunked && clientVersion == .http1_1), "chunked framing changed")
        if head.status != 101, dechunking || selector & 16 == 0 { precondition(!again.keepAlive, "a closing connection said keep-alive") }
    }

    static func shortResponse(status: Int) {
        var out = ByteBuffer()
        HeadWriter.writeShortResponse(status: status, reason: "Fuzz", closing: status & 1 == 0, into: &out)
        let again = rescan(out, .response)
        precondition(again.status == status)
    }

    private static func rescan(_ out: ByteBuffer, _ kind: ParsedHead.Kind) -> ParsedHead {
        var scanner = HeadScanner(kind: kind, limits: widened)
        switch scanner.scan(out) {
        case .complete(let head, let length):
            precondition(length <= out.readableBytes, "re-scan ran past the written head")
            return head
        case .incomplete:
            preconditionFailure("written head incomplete: \(String(buffer: out).debugDescription)")
        case .invalid(let error):
            preconditionFailure("written head invalid (\(error)): \(String(buffer: out).debugDescription)")
        }
    }

    private static func slice(_ buffer: ByteBuffer, _ range: Range<Int>) -> [UInt8] {
        buffer.getBytes(at: buffer.readerIndex + range.lowerBound, length: range.count) ?? []
    }
}
