import NIOCore

/// Finds the end of a message head in the bytes received so far, then parses the head once.
///
/// One per connection and direction. Each time bytes arrive, the caller passes everything
/// received from the start of the message (the same bytes, grown). The scanner remembers how far
/// it has looked, so a head that trickles in byte by byte costs O(n), not O(n²). Line endings are
/// checked on the way (CRLF only: a bare LF or CR is refused the moment it is seen), and so are
/// the limits: a head longer than `maxHeaderBytes`, a request line longer than
/// `maxRequestLineBytes` or more than `maxFieldCount` fields is refused before its end arrives,
/// so a peer cannot make the proxy hold more than the limits.
///
/// Before a request line, empty lines (CRLF) are skipped, as RFC 9112 §2.2 asks of servers (a
/// client may send a stray CRLF after a body); spaces there are refused. A response must start
/// with its status line.
///
/// After `.complete` or `.invalid` the scanner starts afresh: the next call scans the next
/// message, from its first byte.
public struct HeadScanner: Sendable {
    public enum Result: Sendable {
        /// Not all of the head yet; call again with more bytes.
        case incomplete
        /// `length` is the bytes of the head, the final CRLFCRLF (and any empty lines skipped
        /// before a request line) included: the body or the next message starts there.
        case complete(ParsedHead, length: Int)
        case invalid(HeadError)
    }

    public let kind: ParsedHead.Kind
    public var limits: WireLimits
    /// Bytes already looked at: every line before `lineStart` ended with CRLF.
    private var searched = 0
    private var lineStart = 0
    /// The start line without its CRLF, once it has ended.
    private var startLine: Range<Int>?
    /// Where each field line ends (its CR), so the parse does not look for them again.
    private var fieldLineEnds: [Int] = []
    /// Reused from message to message.
    private var head: ParsedHead

    public init(kind: ParsedHead.Kind, limits: WireLimits = WireLimits()) {
        self.kind = kind
        self.limits = limits
        head = ParsedHead(kind: kind)
    }

    /// Scans `buffer`'s readable bytes; ranges in the head count from its reader index.
    public mutating func scan(_ buffer: ByteBuffer) -> Result {
        buffer.withUnsafeReadableBytes { scan($0) }
    }

    /// Scans `bytes`: everything received since the message started (a prefix grown since the
    /// last call, never shorter).
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Result {
        precondition(bytes.count >= searched, "HeadScanner: the bytes must grow from the same start")
        let result: Result
        switch findEnd(bytes) {
        case nil:
            return .incomplete
        case .failure(let error):
            result = .invalid(error)
        case .success(let length):
            var parser = HeadParser(bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<length]), kind: kind)
            if let error = parser.parse(startLine: startLine!, fieldLineEnds: fieldLineEnds, into: &head) {
                result = .invalid(error)
            } else {
                result = .complete(head, length: length)
            }
        }
        restart()
        return result
    }

    /// Forgets the message in progress (the connection moved on, or was closed).
    public mutating func restart() {
        searched = 0
        lineStart = 0
        startLine = nil
        fieldLineEnds.removeAll(keepingCapacity: true)
    }

    /// Looks at the bytes not yet searched: the head's length once its empty line is found, an
    /// error, or nil to wait for more. Every check is made at the byte that breaks the rule, in
    /// order, so the answer cannot depend on how the bytes were split into calls.
    private mutating func findEnd(_ bytes: UnsafeRawBufferPointer) -> Swift.Result<Int, HeadError>? {
        var index = searched
        while index < bytes.count {
            if index >= limits.maxHeaderBytes { return .failure(refuse(431, "head too large", at: index)) }
            let byte = bytes[index]
            if byte == ByteClass.lf {
                guard index > lineStart, bytes[index - 1] == ByteClass.cr else {
                    return .failure(refuse(400, "LF without CR", at: index))
                }
                let lineEnd = index - 1
                if lineEnd == lineStart {
                    if startLine != nil { return .success(index + 1) }
                    guard kind == .request else { return .failure(refuse(400, "empty line before the status line", at: lineStart)) }
                } else if startLine == nil {
                    startLine = lineStart..<lineEnd
                } else {
                    fieldLineEnds.append(lineEnd)
                    if fieldLineEnds.count > limits.maxFieldCount { return .failure(refuse(431, "too many fields", at: lineStart)) }
                }
                lineStart = index + 1
            } else if index > 0, bytes[index - 1] == ByteClass.cr {
                return .failure(refuse(400, "CR without LF", at: index - 1))
            } else if startLine == nil, byte != ByteClass.cr, index - lineStart >= limits.maxRequestLineBytes {
                // A CR may end the line; any other byte past the limit makes it too long.
                return .failure(refuse(414, "start line too long", at: index))
            }
            index += 1
        }
        searched = index
        return nil
    }

    private func refuse(_ status: Int, _ reason: StaticString, at offset: Int) -> HeadError {
        HeadError(status: kind == .request ? status : 502, reason: reason, offset: offset)
    }
}
