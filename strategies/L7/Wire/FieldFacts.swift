/// What the fields mean for a proxy, read in one pass over the parsed fields, then judged: the
/// host, the framing (Content-Length, Transfer-Encoding), the Connection options, Expect and
/// Upgrade. The framing rules are RFC 9112 §6, applied strictly, because a proxy and the server
/// behind it must agree byte for byte on where a message ends:
///
/// - Content-Length: every line and list member must be the same decimal number (no sign, no
///   empty member, at most 2^63-1); `1, 1` is one length, `1, 2` is refused.
/// - Transfer-Encoding and Content-Length together are refused (§6.1 allows a recipient to
///   refuse them, and the proxy forwards the fields unchanged, so it must).
/// - A request's Transfer-Encoding must end with `chunked` (§6.3: otherwise it cannot be framed),
///   name it once, and carry no other coding (501: the proxy does not decode); an HTTP/1.0
///   request must not carry it at all.
/// - A response is held to the same framing rules but refused with 502 (the server is broken,
///   and its connection is not reused); other codings before `chunked` are the client's concern.
struct FieldFacts {
    let bytes: UnsafeRawBufferPointer
    let kind: ParsedHead.Kind
    private var hosts = 0
    private var transferEncodings = 0
    private var chunkedCount = 0
    private var lastCodingIsChunked = false
    private var otherCoding = false

    init(bytes: UnsafeRawBufferPointer, kind: ParsedHead.Kind) {
        self.bytes = bytes
        self.kind = kind
    }

    mutating func read(into head: inout ParsedHead) -> HeadError? {
        for field in head.fields {
            let error: HeadError? = switch field.known {
            case .host: readHost(field, into: &head)
            case .contentLength: readContentLength(field, into: &head)
            case .transferEncoding: readTransferEncoding(field)
            case .connection: readConnection(field, into: &head.connection)
            case .upgrade: readUpgrade(field, into: &head)
            case .expect: readExpect(field, into: &head)
            default: nil
            }
            if let error { return error }
        }
        return judge(&head)
    }

    private func judge(_ head: inout ParsedHead) -> HeadError? {
        let at = head.fields.first?.line.lowerBound ?? 0
        if kind == .request {
            if hosts == 0, head.version == .http1_1 { return bad(400, "HTTP/1.1 request without Host", at) }
            if let host = head.host, !HostSyntax(bytes: bytes).isValid(host, requiringPort: false) {
                return bad(400, "invalid Host", host.lowerBound)
            }
        }
        guard transferEncodings > 0 else { return nil }
        if head.version == .http1_0 { return bad(400, "Transfer-Encoding in HTTP/1.0", at) }
        if head.contentLength != nil { return bad(400, "Content-Length and Transfer-Encoding", at) }
        if chunkedCount > 1 { return bad(400, "chunked more than once", at) }
        if !lastCodingIsChunked { return bad(400, "Transfer-Encoding does not end with chunked", at) }
        if otherCoding, kind == .request { return bad(501, "transfer coding not implemented", at) }
        head.isChunked = true
        return nil
    }

    private mutating func readHost(_ field: ParsedHead.Field, into head: inout ParsedHead) -> HeadError? {
        guard kind == .request else { return nil }
        hosts += 1
        if hosts > 1 { return bad(400, "more than one Host", field.line.lowerBound) }
        head.host = field.value
        return nil
    }

    private func readContentLength(_ field: ParsedHead.Field, into head: inout ParsedHead) -> HeadError? {
        for member in ListElements(bytes, field.value) {
            guard !member.isEmpty, member.count <= 19, member.allSatisfy({ ByteClass.isDigit(bytes[$0]) }) else {
                return bad(400, "invalid Content-Length", field.value.lowerBound)
            }
            var length = 0
            for index in member {
                let (times10, overflow) = length.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
                guard !overflow, !overflow2 else { return bad(400, "invalid Content-Length", index) }
                length = sum
            }
            if let known = head.contentLength, known != length { return bad(400, "differing Content-Length", field.value.lowerBound) }
            head.contentLength = length
        }
        return nil
    }

    /// Codings are counted across every Transfer-Encoding line, in order.
    private mutating func readTransferEncoding(_ field: ParsedHead.Field) -> HeadError? {
        transferEncodings += 1
        for member in ListElements(bytes, field.value) where !member.isEmpty {
            var nameEnd = member.lowerBound
            while nameEnd < member.upperBound, ByteClass.isToken(bytes[nameEnd]) { nameEnd += 1 }
            let name = member.lowerBound..<nameEnd
            let parameters = bytes.trimmingWhitespace(nameEnd..<member.upperBound)
            guard !name.isEmpty, parameters.isEmpty || bytes[parameters.lowerBound] == ByteClass.semicolon else {
                return bad(400, "invalid transfer coding", member.lowerBound)
            }
            lastCodingIsChunked = bytes.equalsIgnoringCase(name, "chunked")
            if lastCodingIsChunked {
                chunkedCount += 1
                if !parameters.isEmpty { return bad(400, "chunked with parameters", parameters.lowerBound) }
            } else {
                otherCoding = true
            }
        }
        return nil
    }

    private func readConnection(_ field: ParsedHead.Field, into options: inout ConnectionOptions) -> HeadError? {
        for member in ListElements(bytes, field.value) where !member.isEmpty {
            guard bytes.isToken(member) else { return bad(400, "invalid Connection option", member.lowerBound) }
            if bytes.equalsIgnoringCase(member, "close") {
                options.close = true
            } else if bytes.equalsIgnoringCase(member, "keep-alive") {
                options.keepAlive = true
            } else if bytes.equalsIgnoringCase(member, "upgrade") {
                options.upgrade = true
            } else {
                let named = KnownField(name: member, in: bytes)
                if named == .other { options.otherNames.append(member) } else { options.namedFields.insert(named) }
            }
        }
        return nil
    }

    /// `protocol-name ["/" protocol-version]`, both tokens (RFC 9110 §7.8).
    private func readUpgrade(_ field: ParsedHead.Field, into head: inout ParsedHead) -> HeadError? {
        head.hasUpgrade = true
        for member in ListElements(bytes, field.value) where !member.isEmpty {
            let slash = member.first { bytes[$0] == ByteClass.slash } ?? member.upperBound
            let name = member.lowerBound..<slash
            guard bytes.isToken(name), slash == member.upperBound || bytes.isToken(slash + 1..<member.upperBound) else {
                return bad(400, "invalid Upgrade protocol", member.lowerBound)
            }
            if bytes.equalsIgnoringCase(name, "websocket") { head.upgradesToWebSocket = true }
        }
        return nil
    }

    private func readExpect(_ field: ParsedHead.Field, into head: inout ParsedHead) -> HeadError? {
        for member in ListElements(bytes, field.value) where bytes.equalsIgnoringCase(member, "100-continue") {
            head.expectsContinue = true
        }
        return nil
    }

    private func bad(_ status: Int, _ reason: StaticString, _ offset: Int) -> HeadError {
        HeadError(status: status, reason: reason, offset: offset)
    }
}
