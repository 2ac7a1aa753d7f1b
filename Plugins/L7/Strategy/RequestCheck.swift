import HTTPDate
import NIOHTTP1

/// The checks a request head must pass before anything of it is routed, cached or forwarded,
/// beyond what NIO's parser enforces (RFC 9112 §3.2 and §6): exactly one valid `Host` in
/// HTTP/1.1, at most one in 1.0; one `Content-Length` value however often it is repeated;
/// `Transfer-Encoding` alone, only in 1.1, and only `chunked`. Each of these, let through, gives
/// the proxy and the server different ideas of where a message ends or what host it is for:
/// request smuggling, or a request that skips the routing rules.
enum RequestCheck {
    /// Why a head was refused: the status to answer (the connection is closed after it).
    struct Refusal: Equatable {
        let status: HTTPResponseStatus
        let reason: String
    }

    static func refusal(for head: HTTPRequestHead) -> Refusal? {
        var hosts = 0
        var hostValue: String?
        var contentLength: Substring?
        var transferCodings: [Substring] = []
        var hasTransferEncoding = false
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 4 where name.equalsASCIICaseInsensitive("host"):
                hosts += 1
                hostValue = value
            case 14 where name.equalsASCIICaseInsensitive("content-length"):
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let length = item.trimmingSpaces
                    guard !length.isEmpty, length.utf8.count <= 18, length.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                        return Refusal(status: .badRequest, reason: "malformed Content-Length")
                    }
                    // Compare numerically: "05" and "5" frame alike.
                    if let seen = contentLength, Int(seen) != Int(length) {
                        return Refusal(status: .badRequest, reason: "differing Content-Length values")
                    }
                    contentLength = length
                }
            case 17 where name.equalsASCIICaseInsensitive("transfer-encoding"):
                hasTransferEncoding = true
                for coding in value.split(separator: ",", omittingEmptySubsequences: false) {
                    transferCodings.append(coding.trimmingSpaces)
                }
            default:
                break
            }
        }
        let isHTTP11 = head.version.major == 1 && head.version.minor >= 1
        if isHTTP11 && hosts == 0 { return Refusal(status: .badRequest, reason: "no Host in an HTTP/1.1 request") }
        if hosts > 1 { return Refusal(status: .badRequest, reason: "more than one Host") }
        if let hostValue, !isValidHost(hostValue) { return Refusal(status: .badRequest, reason: "invalid Host") }
        if hasTransferEncoding {
            if contentLength != nil { return Refusal(status: .badRequest, reason: "both Content-Length and Transfer-Encoding") }
            if !isHTTP11 { return Refusal(status: .badRequest, reason: "Transfer-Encoding in an HTTP/1.0 request") }
            guard let last = transferCodings.last, last.equalsASCIICaseInsensitive("chunked") else {
                // A request whose final coding is not chunked cannot be framed (RFC 9112 §6.3).
                return Refusal(status: .badRequest, reason: "Transfer-Encoding does not end in chunked")
            }
            if transferCodings.count > 1 {
                let chunkedOnly = transferCodings.allSatisfy { $0.equalsASCIICaseInsensitive("chunked") }
                return chunkedOnly
                    ? Refusal(status: .badRequest, reason: "chunked applied twice")
                    : Refusal(status: .notImplemented, reason: "transfer coding other than chunked")
            }
        }
        return nil
    }

    /// `uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2): a reg-name or IPv4 of unreserved,
    /// sub-delims and percent characters, or an IP literal in brackets; a port of digits. Empty is
    /// allowed (a target without an authority).
    static func isValidHost(_ value: String) -> Bool {
        var bytes = Substring(value).utf8[...]
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let literal = bytes[bytes.index(after: bytes.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy({ isHex($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || isRegName($0) })
            else { return false }
            bytes = bytes[bytes.index(after: close)...]
        } else {
            let end = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
            guard bytes[..<end].allSatisfy(isRegName) else { return false }
            bytes = bytes[end...]
        }
        guard let colon = bytes.first else { return true }
        guard colon == UInt8(ascii: ":") else { return false }
        let port = bytes.dropFirst()
        return port.count <= 5 && port.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
    }

    /// unreserved / pct-encoded / sub-delims.
    private static func isRegName(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"): true
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="): true
        default: false
        }
    }
}
