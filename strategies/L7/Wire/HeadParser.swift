/// Parses a complete head whose line endings the scanner has already checked: the start line,
/// each field line, then the facts (`FieldFacts`). One pass over the bytes; the first fault ends
/// it with the status to answer.
struct HeadParser {
    let bytes: UnsafeRawBufferPointer
    let kind: ParsedHead.Kind

    init(bytes: UnsafeRawBufferPointer, kind: ParsedHead.Kind) {
        self.bytes = bytes
        self.kind = kind
    }

    mutating func parse(startLine: Range<Int>, fieldLineEnds: [Int], into head: inout ParsedHead) -> HeadError? {
        head.reset(kind: kind)
        let startError = switch kind {
        case .request: RequestLine(bytes: bytes).parse(startLine, into: &head)
        case .response: StatusLine(bytes: bytes).parse(startLine, into: &head)
        }
        if let startError { return refuse(startError) }
        var lineStart = startLine.upperBound + 2
        for lineEnd in fieldLineEnds {
            switch FieldLine.parse(bytes, lineStart..<lineEnd) {
            case .success(let field): head.fields.append(field)
            case .failure(let error): return refuse(error)
            }
            lineStart = lineEnd + 2
        }
        var facts = FieldFacts(bytes: bytes, kind: kind)
        return facts.read(into: &head).map(refuse)
    }

    /// A response's faults are all the server's: the proxy answers 502 whatever they are.
    private func refuse(_ error: HeadError) -> HeadError {
        kind == .request ? error : HeadError(status: 502, reason: error.reason, offset: error.offset)
    }
}

/// `field-name ":" OWS field-value OWS` (RFC 9112 §5), strictly: no whitespace before the colon
/// (§5.1 says to refuse it: some parsers would take `Host :` for another field), no obs-fold
/// (a line starting with whitespace), no control characters but HTAB in the value.
enum FieldLine {
    static func parse(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> Result<ParsedHead.Field, HeadError> {
        if ByteClass.isWhitespace(bytes[line.lowerBound]) { return .failure(bad("obs-fold (line starts with whitespace)", line.lowerBound)) }
        var index = line.lowerBound
        while index < line.upperBound, ByteClass.isToken(bytes[index]) { index += 1 }
        guard index < line.upperBound, bytes[index] == ByteClass.colon else {
            if index < line.upperBound, ByteClass.isWhitespace(bytes[index]) { return .failure(bad("whitespace before colon", index)) }
            return .failure(bad("invalid field name", index))
        }
        guard index > line.lowerBound else { return .failure(bad("empty field name", index)) }
        let name = line.lowerBound..<index
        let rawValue = index + 1..<line.upperBound
        if let offending = rawValue.first(where: { !ByteClass.isFieldValue(bytes[$0]) }) {
            return .failure(bad("invalid character in field value", offending))
        }
        return .success(ParsedHead.Field(name: name, value: bytes.trimmingWhitespace(rawValue), line: line.lowerBound..<line.upperBound + 2,
                                         known: KnownField(name: name, in: bytes)))
    }

    private static func bad(_ reason: StaticString, _ offset: Int) -> HeadError {
        HeadError(status: 400, reason: reason, offset: offset)
    }
}
