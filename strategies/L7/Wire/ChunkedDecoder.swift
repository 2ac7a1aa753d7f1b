/// The chunked transfer coding (RFC 9112 §7.1) as a state machine over single bytes, so that a
/// body split anywhere is followed exactly as one delivered whole. It validates and measures; it
/// changes nothing. Strict where parsers have disagreed (each disagreement a way to smuggle a
/// request past a proxy): the size is 1 to 16 hex digits with nothing before them; extensions
/// follow the grammar (`;name[=token|quoted-string]`, whitespace only where BWS is allowed) and
/// the whole size line is bounded; CRLF exactly after the size line, after the data and after
/// each trailer line; trailer fields are checked like header fields and bounded like a head.
struct ChunkedDecoder: Sendable {
    private enum State: Sendable {
        case sizeStart, size, sizeWhitespace
        case extensionNameStart, extensionName, extensionNameEnd, extensionValueStart, extensionToken
        case extensionQuoted, extensionEscape, extensionQuotedEnd
        case sizeLF, data, dataCR, dataLF
        case trailerLineStart, trailerName, trailerValue, trailerLF, finalLF, done

        var isSizeLine: Bool {
            switch self {
            case .sizeStart, .size, .sizeWhitespace, .extensionNameStart, .extensionName, .extensionNameEnd,
                 .extensionValueStart, .extensionToken, .extensionQuoted, .extensionEscape, .extensionQuotedEnd, .sizeLF:
                true
            default:
                false
            }
        }
    }

    private let limits: WireLimits
    /// The largest chunk taken: 2^31 - 1 bytes. The size line goes to the server as it came, and
    /// a server that keeps a chunk's size in 32 bits would read a larger one differently (a
    /// desync the proxy cannot see).
    static let maxChunkSize = Int(Int32.max)

    private var state = State.sizeStart
    /// The chunk's size while reading it, then the data bytes still to come.
    private var size = 0
    private var digits = 0
    private var lineBytes = 0
    private var trailerBytes = 0
    private var trailerFields = 0

    init(limits: WireLimits) {
        self.limits = limits
    }

    mutating func consume(_ bytes: UnsafeRawBufferPointer, recordingSpans: Bool, into spans: inout [Range<Int>]) -> BodyTracker.Progress {
        var index = 0
        while index < bytes.count {
            if state == .data {
                let taken = min(size, bytes.count - index)
                if recordingSpans { spans.append(index..<index + taken) }
                size -= taken
                index += taken
                if size == 0 { state = .dataCR }
                continue
            }
            if let reason = step(bytes[index]) { return .invalid(BodyError(reason: reason, offset: index)) }
            index += 1
            if state == .done { return .complete(consumed: index) }
        }
        return .needsMore(consumed: bytes.count)
    }

    /// One byte outside chunk data: the next state, or why the body is refused.
    private mutating func step(_ byte: UInt8) -> StaticString? {
        if state.isSizeLine {
            lineBytes += 1
            if lineBytes > limits.maxChunkLineBytes { return "chunk size line too long" }
        } else if state != .dataCR, state != .dataLF {
            trailerBytes += 1
            if trailerBytes > limits.maxHeaderBytes { return "trailer section too large" }
        }
        let isSpace = ByteClass.isWhitespace(byte), isToken = ByteClass.isToken(byte)
        switch state {
        case .sizeStart:
            guard let value = ByteClass.hexValue(byte) else { return "invalid chunk size" }
            size = Int(value)
            digits = 1
            state = .size
            return nil
        case .size:
            if let value = ByteClass.hexValue(byte) {
                digits += 1
                guard digits <= 16, size <= (Self.maxChunkSize - Int(value)) / 16 else { return "chunk size too large" }
                size = size * 16 + Int(value)
                return nil
            }
            return afterSizeOrValue(byte, else: "invalid chunk size")
        case .sizeWhitespace:
            if byte == ByteClass.semicolon { state = .extensionNameStart } else if !isSpace { return "invalid chunk extension" }
            return nil
        case .extensionNameStart:
            if isToken { state = .extensionName } else if !isSpace { return "invalid chunk extension" }
            return nil
        case .extensionName:
            if byte == UInt8(ascii: "=") {
                state = .extensionValueStart
            } else if isSpace {
                state = .extensionNameEnd
            } else if !isToken {
                return afterSizeOrValue(byte, else: "invalid chunk extension")
            }
            return nil
        case .extensionNameEnd:
            if byte == UInt8(ascii: "=") {
                state = .extensionValueStart
            } else if byte == ByteClass.semicolon {
                state = .extensionNameStart
            } else if !isSpace {
                return "invalid chunk extension"
            }
            return nil
        case .extensionValueStart:
            if isToken { state = .extensionToken } else if byte == ByteClass.quote { state = .extensionQuoted } else if !isSpace {
                return "invalid chunk extension"
            }
            return nil
        case .extensionToken:
            return isToken ? nil : afterSizeOrValue(byte, else: "invalid chunk extension")
        case .extensionQuoted:
            if byte == ByteClass.quote {
                state = .extensionQuotedEnd
            } else if byte == ByteClass.backslash {
                state = .extensionEscape
            } else if !ByteClass.isFieldValue(byte) {
                return "invalid chunk extension"
            }
            return nil
        case .extensionEscape:
            guard ByteClass.isFieldValue(byte) else { return "invalid chunk extension" }
            state = .extensionQuoted
            return nil
        case .extensionQuotedEnd:
            return afterSizeOrValue(byte, else: "invalid chunk extension")
        case .sizeLF:
            guard byte == ByteClass.lf else { return "chunk size line without CRLF" }
            lineBytes = 0
            state = size == 0 ? .trailerLineStart : .data
            return nil
        case .data:
            preconditionFailure("chunk data is taken in bulk")
        case .dataCR:
            return expect(byte, ByteClass.cr, then: .dataLF, else: "chunk data without CRLF")
        case .dataLF:
            return expect(byte, ByteClass.lf, then: .sizeStart, else: "chunk data without CRLF")
        case .trailerLineStart:
            if byte == ByteClass.cr {
                state = .finalLF
            } else if isToken {
                trailerFields += 1
                if trailerFields > limits.maxFieldCount { return "too many trailer fields" }
                state = .trailerName
            } else {
                return isSpace ? "obs-fold in trailer" : "invalid trailer field name"
            }
            return nil
        case .trailerName:
            if byte == ByteClass.colon { state = .trailerValue } else if !isToken {
                return isSpace ? "whitespace before colon in trailer" : "invalid trailer field name"
            }
            return nil
        case .trailerValue:
            if byte == ByteClass.cr { state = .trailerLF } else if !ByteClass.isFieldValue(byte) { return "invalid character in trailer value" }
            return nil
        case .trailerLF:
            return expect(byte, ByteClass.lf, then: .trailerLineStart, else: "trailer line without CRLF")
        case .finalLF:
            return expect(byte, ByteClass.lf, then: .done, else: "last chunk without final CRLF")
        case .done:
            preconditionFailure("the body has ended")
        }
    }

    /// The one byte allowed here (a CR or LF of the framing), then `next`.
    private mutating func expect(_ byte: UInt8, _ expected: UInt8, then next: State, else reason: StaticString) -> StaticString? {
        guard byte == expected else { return reason }
        state = next
        return nil
    }

    /// After the size, an extension's name or value: another extension, whitespace before one,
    /// or the end of the line.
    private mutating func afterSizeOrValue(_ byte: UInt8, else reason: StaticString) -> StaticString? {
        if byte == ByteClass.semicolon {
            state = .extensionNameStart
        } else if ByteClass.isWhitespace(byte) {
            state = .sizeWhitespace
        } else if byte == ByteClass.cr {
            state = .sizeLF
        } else {
            return reason
        }
        return nil
    }
}
