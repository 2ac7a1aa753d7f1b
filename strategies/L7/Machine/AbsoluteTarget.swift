import HTTPWire
import NIOCore

/// A request in absolute form (`GET http://example.com/a HTTP/1.1`) names its host twice: in the
/// target and in `Host`. Routing reads the target's (as RFC 9112 §3.2.2 asks of a proxy), a
/// server usually reads `Host`; the two must agree, or one host is routed and another served.
enum AbsoluteTarget {
    /// True for origin-form and asterisk-form targets, and for an absolute-form target whose
    /// authority is the Host field's value (ASCII case-insensitive).
    static func agreesWithHost(_ head: ParsedHead, _ bytes: ByteBuffer) -> Bool {
        bytes.withUnsafeReadableBytes { raw in
            let target = head.target
            guard let first = target.first.map({ raw[$0] }), first != UInt8(ascii: "/"), first != UInt8(ascii: "*") else {
                return true
            }
            guard let host = head.host, let authority = authority(of: target, in: raw) else { return false }
            guard authority.count == host.count else { return false }
            return zip(authority, host).allSatisfy { lower(raw[$0]) == lower(raw[$1]) }
        }
    }

    /// The bytes between `://` and the first `/`, `?` or `#` that follows.
    static func authority(of target: Range<Int>, in raw: UnsafeRawBufferPointer) -> Range<Int>? {
        var index = target.lowerBound
        while index + 2 < target.upperBound {
            if raw[index] == UInt8(ascii: ":"), raw[index + 1] == UInt8(ascii: "/"), raw[index + 2] == UInt8(ascii: "/") {
                let start = index + 3
                var end = start
                while end < target.upperBound, ![UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#")].contains(raw[end]) {
                    end += 1
                }
                return start..<end
            }
            index += 1
        }
        return nil
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte | 0x20 : byte }
}
