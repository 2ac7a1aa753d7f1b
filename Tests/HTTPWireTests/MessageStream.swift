import HTTPWire

/// Reads a stream of messages the way the proxy will: the scanner over the bytes received since
/// the message began, then the body tracker over what follows the head, then the next message.
/// Everything it sees is written down as events, so that one stream delivered in different
/// pieces can be compared with itself delivered whole.
struct MessageStream {
    enum Event: Equatable, CustomStringConvertible {
        /// The start line and the `name: value` of each field, as text.
        case head(String, [String])
        /// The body's bytes as forwarded (framing included) and its payload.
        case body(verbatim: [UInt8], payload: [UInt8])
        /// A body still going when the stream ended (until close, a tunnel, or cut short).
        case openBody(verbatim: [UInt8], payload: [UInt8])
        case invalidHead(Int)
        case invalidBody(String)

        var description: String {
            switch self {
            case .head(let line, let fields): "head \(line) \(fields)"
            case .body(let verbatim, let payload): "body \(verbatim.count) bytes, payload \(payload.count)"
            case .openBody(let verbatim, let payload): "open body \(verbatim.count) bytes, payload \(payload.count)"
            case .invalidHead(let status): "invalid head \(status)"
            case .invalidBody(let reason): "invalid body \(reason)"
            }
        }
    }

    let kind: ParsedHead.Kind
    private(set) var events: [Event] = []
    private var scanner: HeadScanner
    private var received: [UInt8] = []
    private var messageStart = 0
    /// While in a body: its tracker, where it began and how far it has consumed.
    private var tracker: BodyTracker?
    private var bodyStart = 0
    private var consumed = 0
    private var payload: [UInt8] = []
    private var failed = false

    init(kind: ParsedHead.Kind) {
        self.kind = kind
        scanner = HeadScanner(kind: kind)
    }

    /// The events of `bytes` delivered in pieces that end at `cuts`.
    static func events(_ bytes: [UInt8], kind: ParsedHead.Kind, cuts: [Int]) -> [Event] {
        var stream = MessageStream(kind: kind)
        var start = 0
        for end in cuts + [bytes.count] where end > start {
            stream.receive(bytes[start..<end])
            start = end
        }
        stream.end()
        return stream.events
    }

    mutating func receive(_ piece: ArraySlice<UInt8>) {
        received += piece
        while !failed {
            if tracker != nil {
                guard followBody() else { return }
            } else {
                guard readHead() else { return }
            }
        }
    }

    /// The stream ends: a body in progress is written down as it stands.
    mutating func end() {
        if tracker != nil, !failed { events.append(.openBody(verbatim: Array(received[bodyStart..<consumed]), payload: payload)) }
    }

    /// True if a head was read (and the stream can go on).
    private mutating func readHead() -> Bool {
        let start = messageStart
        let result = received.withUnsafeBytes { scanner.scan(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        switch result {
        case .incomplete:
            return false
        case .invalid(let error):
            events.append(.invalidHead(error.status))
            failed = true
            return false
        case .complete(let head, let length):
            func text(_ range: Range<Int>) -> String { String(decoding: received[start + range.lowerBound..<start + range.upperBound], as: UTF8.self) }
            let startLine = kind == .request ? "\(text(head.methodBytes)) \(text(head.target))" : "\(head.status) \(text(head.reason))"
            events.append(.head(startLine, head.fields.map { "\(text($0.name)): \(text($0.value))" }))
            let framing = kind == .request ? MessageFraming.request(head) : MessageFraming.response(head, to: .get)
            tracker = BodyTracker(framing: framing)
            bodyStart = start + length
            consumed = bodyStart
            payload = []
            return true
        }
    }

    /// True if the body ended (and the next message can be read).
    private mutating func followBody() -> Bool {
        let from = consumed
        var spans: [Range<Int>] = []
        let progress = received.withUnsafeBytes { tracker!.consume(UnsafeRawBufferPointer(rebasing: $0[from...]), dataSpans: &spans) }
        for span in spans { payload += received[from + span.lowerBound..<from + span.upperBound] }
        switch progress {
        case .needsMore(let count):
            consumed += count
            return false
        case .invalid(let error):
            events.append(.invalidBody(error.reason.description))
            failed = true
            return false
        case .complete(let count):
            consumed += count
            events.append(.body(verbatim: Array(received[bodyStart..<consumed]), payload: payload))
            tracker = nil
            messageStart = consumed
            return true
        }
    }
}
