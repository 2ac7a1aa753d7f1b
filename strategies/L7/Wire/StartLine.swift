/// `HTTP/1.0` or `HTTP/1.1` (case-sensitive, RFC 9112 §2.3): the version, an error 400 if the
/// bytes are no version at all, or 505 for a well-formed other version (`HTTP/2.0`, `HTTP/1.2`).
func parseVersion(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Result<ParsedHead.Version, HeadError> {
    let start = range.lowerBound
    guard range.count == 8, bytes.equals(start..<start + 5, "HTTP/"), ByteClass.isDigit(bytes[start + 5]),
          bytes[start + 6] == UInt8(ascii: "."), ByteClass.isDigit(bytes[start + 7])
    else { return .failure(HeadError(status: 400, reason: "invalid HTTP version", offset: start)) }
    switch (bytes[start + 5], bytes[start + 7]) {
    case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .success(.http1_1)
    case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .success(.http1_0)
    default: return .failure(HeadError(status: 505, reason: "HTTP version not supported", offset: start))
    }
}

/// `method SP request-target SP HTTP-version` (RFC 9112 §3), with exactly one space between the
/// parts and nothing before the method (empty lines were skipped by the scanner).
struct RequestLine {
    let bytes: UnsafeRawBufferPointer

    func parse(_ line: Range<Int>, into head: inout ParsedHead) -> HeadError? {
        var index = line.lowerBound
        while index < line.upperBound, ByteClass.isToken(bytes[index]) { index += 1 }
        guard index > line.lowerBound else { return bad("invalid method", line.lowerBound) }
        guard index < line.upperBound, bytes[index] == ByteClass.space else { return bad("invalid method", index) }
        head.methodBytes = line.lowerBound..<index
        head.method = method(head.methodBytes)
        let targetStart = index + 1
        index = targetStart
        while index < line.upperBound, ByteClass.isTarget(bytes[index]) { index += 1 }
        guard index > targetStart else { return bad("invalid request-target", targetStart) }
        guard index < line.upperBound, bytes[index] == ByteClass.space else { return bad("invalid character in request-target", index) }
        head.target = targetStart..<index
        switch parseVersion(bytes, index + 1..<line.upperBound) {
        case .success(let version): head.version = version
        case .failure(let error): return error
        }
        return RequestTarget(bytes: bytes).check(head.target, method: head.method)
    }

    /// The common methods by length and bytes; case-sensitive.
    private func method(_ range: Range<Int>) -> ParsedHead.Method {
        func spelled(_ literal: StaticString) -> Bool { bytes.equals(range, literal) }
        let known: ParsedHead.Method? = switch range.count {
        case 3: spelled("GET") ? .get : spelled("PUT") ? .put : nil
        case 4: spelled("HEAD") ? .head : spelled("POST") ? .post : nil
        case 5: spelled("TRACE") ? .trace : spelled("PATCH") ? .patch : nil
        case 6: spelled("DELETE") ? .delete : nil
        case 7: spelled("OPTIONS") ? .options : spelled("CONNECT") ? .connect : nil
        default: nil
        }
        return known ?? .other(range)
    }

    private func bad(_ reason: StaticString, _ offset: Int) -> HeadError {
        HeadError(status: 400, reason: reason, offset: offset)
    }
}

/// `HTTP-version SP status-code SP [reason-phrase]` (RFC 9112 §4). The status is three digits
/// from 100 to 999. A line that ends right after the code (no SP) is accepted: servers send it,
/// and the reason phrase carries nothing (the writer always writes the SP).
struct StatusLine {
    let bytes: UnsafeRawBufferPointer

    func parse(_ line: Range<Int>, into head: inout ParsedHead) -> HeadError? {
        let start = line.lowerBound
        guard line.count >= 12 else { return bad("invalid status line", start) }
        switch parseVersion(bytes, start..<start + 8) {
        case .success(let version): head.version = version
        case .failure(let error): return error
        }
        guard bytes[start + 8] == ByteClass.space else { return bad("invalid status line", start + 8) }
        var status = 0
        for offset in start + 9..<start + 12 {
            guard ByteClass.isDigit(bytes[offset]) else { return bad("invalid status code", offset) }
            status = status * 10 + Int(bytes[offset] - UInt8(ascii: "0"))
        }
        // Any three digits from 100 (RFC 9110 §15): a code the proxy does not know is passed on,
        // and a client treats it as the x00 of its class (nginx and HAProxy pass them too).
        guard status >= 100 else { return bad("invalid status code", start + 9) }
        head.status = status
        guard line.count > 12 else {
            head.reason = line.upperBound..<line.upperBound
            return nil
        }
        guard bytes[start + 12] == ByteClass.space else { return bad("invalid status line", start + 12) }
        head.reason = start + 13..<line.upperBound
        if let offending = head.reason.first(where: { !ByteClass.isFieldValue(bytes[$0]) }) {
            return bad("invalid character in reason phrase", offending)
        }
        return nil
    }

    private func bad(_ reason: StaticString, _ offset: Int) -> HeadError {
        HeadError(status: 502, reason: reason, offset: offset)
    }
}
