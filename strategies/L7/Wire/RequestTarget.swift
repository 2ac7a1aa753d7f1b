/// The four forms of request-target (RFC 9112 §3.2), each where it belongs: origin-form
/// (`/path?query`) for any method, absolute-form (`scheme:...`) for any method, asterisk-form
/// (`*`) for OPTIONS only, authority-form (`host:port`) for CONNECT only, and CONNECT with nothing
/// else. The bytes were already checked (`ByteClass.isTarget`).
struct RequestTarget {
    let bytes: UnsafeRawBufferPointer

    func check(_ target: Range<Int>, method: ParsedHead.Method) -> HeadError? {
        let first = bytes[target.lowerBound]
        if method == .connect {
            return HostSyntax(bytes: bytes).isValid(target, requiringPort: true) ? nil : bad("CONNECT needs authority-form", target.lowerBound)
        }
        if first == ByteClass.slash { return nil }
        if target.count == 1, first == UInt8(ascii: "*") {
            return method == .options ? nil : bad("asterisk-form is for OPTIONS only", target.lowerBound)
        }
        return hasScheme(target) ? nil : bad("invalid request-target form", target.lowerBound)
    }

    /// `scheme ":"` at the start, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1).
    private func hasScheme(_ target: Range<Int>) -> Bool {
        guard ByteClass.isAlpha(bytes[target.lowerBound]) else { return false }
        for index in target.dropFirst() {
            let byte = bytes[index]
            if byte == ByteClass.colon { return true }
            guard ByteClass.isAlpha(byte) || ByteClass.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: ".") else { return false }
        }
        return false
    }

    private func bad(_ reason: StaticString, _ offset: Int) -> HeadError {
        HeadError(status: 400, reason: reason, offset: offset)
    }
}

/// `uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP literal in brackets, or a
/// reg-name of unreserved characters, sub-delims and percent-escapes (an IPv4 address is one).
/// Routing reads the host, so a value another parser could split differently (`a b`, `a@b`,
/// `a/b`) is refused.
struct HostSyntax {
    let bytes: UnsafeRawBufferPointer

    /// An empty value is valid as a Host field (RFC 9110 §7.2: a target without authority), never
    /// with a port, and never as a CONNECT target (`requiringPort`).
    func isValid(_ range: Range<Int>, requiringPort: Bool) -> Bool {
        if range.isEmpty { return !requiringPort }
        var index = range.lowerBound
        if bytes[index] == UInt8(ascii: "[") {
            guard let close = range.first(where: { bytes[$0] == UInt8(ascii: "]") }), close > index + 1,
                  (index + 1..<close).allSatisfy({ isIPLiteral(bytes[$0]) }) else { return false }
            index = close + 1
        } else {
            while index < range.upperBound, bytes[index] != ByteClass.colon {
                if bytes[index] == UInt8(ascii: "%") {
                    guard index + 2 < range.upperBound, ByteClass.hexValue(bytes[index + 1]) != nil,
                          ByteClass.hexValue(bytes[index + 2]) != nil else { return false }
                    index += 3
                    continue
                }
                guard isRegName(bytes[index]) else { return false }
                index += 1
            }
            guard index > range.lowerBound else { return false }
        }
        if index == range.upperBound { return !requiringPort }
        guard bytes[index] == ByteClass.colon else { return false }
        let port = index + 1..<range.upperBound
        return (!requiringPort || !port.isEmpty) && port.count <= 5 && port.allSatisfy { ByteClass.isDigit(bytes[$0]) }
    }

    /// IPv6address and IPvFuture characters, loosely: hex digits, `:`, `.`, and `v`.
    private func isIPLiteral(_ byte: UInt8) -> Bool {
        ByteClass.hexValue(byte) != nil || byte == ByteClass.colon || byte == UInt8(ascii: ".") || ByteClass.lowercased(byte) == UInt8(ascii: "v")
    }

    /// unreserved / sub-delims.
    private func isRegName(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }
}
