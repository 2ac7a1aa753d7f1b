import NIOCore

/// Follows one message's body through the received bytes without changing them: says how many of
/// the bytes it is given belong to the body (framing included: chunk sizes, extensions, trailers,
/// since the proxy forwards the body exactly as it came) and whether the message has ended, so
/// that what follows is the next message.
///
/// The caller passes the bytes received after the head (or after what was consumed before), in
/// pieces of any size: the tracker keeps its place between calls, so a body split at any byte
/// gives the same answers as one delivered whole.
public struct BodyTracker: Sendable {
    public enum Progress: Sendable, Equatable {
        /// All `consumed` bytes given belong to the body, and it goes on.
        case needsMore(consumed: Int)
        /// The body ended after `consumed` of the bytes given; the rest is the next message.
        case complete(consumed: Int)
        /// The body is malformed (chunked framing only); the connection cannot be used further.
        case invalid(BodyError)
    }

    public let framing: BodyFraming
    private var remaining: Int
    private var chunked: ChunkedDecoder
    public private(set) var isComplete: Bool

    public init(framing: BodyFraming, limits: WireLimits = WireLimits()) {
        self.framing = framing
        chunked = ChunkedDecoder(limits: limits)
        switch framing {
        case .none:
            remaining = 0
            isComplete = true
        case .contentLength(let length):
            remaining = length
            isComplete = length == 0
        case .chunked, .untilClose, .tunnel:
            remaining = 0
            isComplete = false
        }
    }

    public mutating func consume(_ buffer: ByteBuffer) -> Progress {
        buffer.withUnsafeReadableBytes { consume($0) }
    }

    public mutating func consume(_ bytes: UnsafeRawBufferPointer) -> Progress {
        var ignored: [Range<Int>] = []
        return consume(bytes, recordingSpans: false, into: &ignored)
    }

    /// As `consume`, and appends the ranges (within `bytes`) that are payload: all of a
    /// Content-Length body, only the chunk data of a chunked one. For de-chunking a response to
    /// an HTTP/1.0 client, the rare case where the proxy cannot pass the body on verbatim.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer, dataSpans: inout [Range<Int>]) -> Progress {
        consume(bytes, recordingSpans: true, into: &dataSpans)
    }

    private mutating func consume(_ bytes: UnsafeRawBufferPointer, recordingSpans: Bool, into spans: inout [Range<Int>]) -> Progress {
        if isComplete { return .complete(consumed: 0) }
        switch framing {
        case .none:
            return .complete(consumed: 0)
        case .contentLength:
            let taken = min(remaining, bytes.count)
            remaining -= taken
            if recordingSpans, taken > 0 { spans.append(0..<taken) }
            isComplete = remaining == 0
            return isComplete ? .complete(consumed: taken) : .needsMore(consumed: taken)
        case .untilClose, .tunnel:
            if recordingSpans, !bytes.isEmpty { spans.append(0..<bytes.count) }
            return .needsMore(consumed: bytes.count)
        case .chunked:
            let progress = chunked.consume(bytes, recordingSpans: recordingSpans, into: &spans)
            if case .complete = progress { isComplete = true }
            return progress
        }
    }
}

/// Why a chunked body was refused: the proxy answers 400 to a request and treats a response as
/// broken (502, connection not reused).
public struct BodyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: StaticString
    /// Where in the bytes of the call that found the fault.
    public var offset: Int

    public init(reason: StaticString, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public static func == (lhs: BodyError, rhs: BodyError) -> Bool {
        lhs.offset == rhs.offset && lhs.reason.description == rhs.reason.description
    }

    public var description: String { "\(reason) at byte \(offset)" }
}
