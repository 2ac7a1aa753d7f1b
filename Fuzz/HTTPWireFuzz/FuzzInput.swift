import HTTPWire
import NIOCore

/// One fuzz input: a selector byte, then the bytes of a connection. Selector bit 0 reads them as
/// requests or responses; bits 1-2 pick the method a response answers (GET, HEAD, CONNECT);
/// bits 3-7 pick where the bytes are split. The head is scanned whole and split, and both must
/// agree; a complete head must lie within the input with every range inside it; its body is
/// followed whole and split, and both must agree; and what the writers make of the head must
/// scan again as the same message. Every input also drives the proxy's connection machine
/// (`MachineRun`).
enum FuzzInput {
    static func run(_ data: UnsafeRawBufferPointer) {
        guard let selector = data.first else { return }
        let bytes = UnsafeRawBufferPointer(rebasing: data[1...])
        MachineRun.run(bytes, selector: selector)
        let kind: ParsedHead.Kind = selector & 1 == 0 ? .request : .response
        let answering: ParsedHead.Method = [.get, .head, .connect, .get][Int(selector >> 1 & 3)]
        let split = bytes.count * Int(selector >> 3) / 31

        var whole = HeadScanner(kind: kind)
        let result = whole.scan(bytes)
        var pieces = HeadScanner(kind: kind)
        var splitResult = pieces.scan(UnsafeRawBufferPointer(rebasing: bytes[0..<split]))
        if case .incomplete = splitResult { splitResult = pieces.scan(bytes) }
        precondition(Outcome(result) == Outcome(splitResult), "split scan \(Outcome(splitResult)) differs from whole \(Outcome(result))")

        switch result {
        case .incomplete:
            return
        case .invalid(let error):
            precondition(error.offset >= 0 && error.offset <= bytes.count, "error offset out of bounds")
            precondition(kind == .request ? [400, 414, 431, 501, 505].contains(error.status) : error.status == 502)
        case .complete(let head, let length):
            precondition(length > 0 && length <= bytes.count, "head length out of bounds")
            HeadInvariants(head: head, length: length).check()
            let framing = kind == .request ? MessageFraming.request(head) : MessageFraming.response(head, to: answering)
            followBody(framing, UnsafeRawBufferPointer(rebasing: bytes[length...]), split: split)
            let source = ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<length]))
            if kind == .request {
                RewriteCheck.upstreamRequest(head, source, keepingUpgrade: selector & 2 != 0)
            } else {
                RewriteCheck.clientResponse(head, source, framing: framing, selector: selector)
            }
        }
        RewriteCheck.shortResponse(status: 100 + Int(selector) * 499 / 255)
    }

    /// The body after the head, whole and split in two, must end (or fail) at the same byte.
    static func followBody(_ framing: BodyFraming, _ rest: UnsafeRawBufferPointer, split: Int) {
        var whole = BodyTracker(framing: framing)
        var spans: [Range<Int>] = []
        let wholeProgress = whole.consume(rest, dataSpans: &spans)
        for span in spans { precondition(span.lowerBound >= 0 && span.upperBound <= rest.count && !span.isEmpty, "span out of bounds") }

        var pieces = BodyTracker(framing: framing)
        let cut = min(split, rest.count)
        let first = pieces.consume(UnsafeRawBufferPointer(rebasing: rest[0..<cut]))
        let combined: BodyTracker.Progress = switch first {
        case .needsMore(let consumed):
            switch pieces.consume(UnsafeRawBufferPointer(rebasing: rest[consumed...])) {
            case .needsMore(let more): .needsMore(consumed: consumed + more)
            case .complete(let more): .complete(consumed: consumed + more)
            case .invalid(let error): .invalid(BodyError(reason: error.reason, offset: consumed + error.offset))
            }
        default: first
        }
        precondition(combined == wholeProgress, "split body \(combined) differs from whole \(wholeProgress)")
        if case .complete(let consumed) = wholeProgress { precondition(consumed <= rest.count) }
    }
}

/// What a scan's result comes to, for comparing two scans of the same bytes.
struct Outcome: Equatable, CustomStringConvertible {
    let description: String

    init(_ result: HeadScanner.Result) {
        description = switch result {
        case .incomplete: "incomplete"
        case .invalid(let error): "invalid \(error)"
        case .complete(let head, let length): "complete \(length) fields \(head.fields.count)"
        }
    }
}
