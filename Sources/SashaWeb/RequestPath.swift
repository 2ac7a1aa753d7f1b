/// A request target reduced to the path segments a file lookup may use, or refused.
///
/// This is the first of two walls around the served root. It works on the text alone: it
/// percent-decodes each segment exactly once (so `%252e%252e` becomes the harmless literal name
/// `%2e%2e`, never `..`), and refuses anything that could climb or smuggle a separator: a `..`
/// segment (raw or encoded), an encoded `/`, a backslash, a NUL byte. The second wall is
/// `FileResolver`, which compares real paths after the file system has followed symlinks.
public struct RequestPath: Equatable, Sendable {
    /// Decoded segments, without empty and `.` segments; never `..`, never containing `/`.
    public var segments: [String]
    /// Whether the path ended in `/` (a directory URL); true for the root itself.
    public var hasTrailingSlash: Bool

    /// Why a target was refused. Every case answers 400: the request is malformed or hostile.
    public enum Rejection: Error, Equatable, Sendable {
        /// Neither `/path` nor `http(s)://host/path` (for example `*` or `index.html`).
        case notAPath
        /// A `%` not followed by two hexadecimal digits.
        case badPercentEncoding
        case nulByte
        case dotDotSegment
        /// `%2F` decoded to a separator inside one segment.
        case encodedSeparator
        case backslash
        /// The decoded bytes are not UTF-8.
        case notUTF8
    }

    public init(segments: [String], hasTrailingSlash: Bool) {
        self.segments = segments
        self.hasTrailingSlash = hasTrailingSlash
    }

    /// The segments joined with `/`, relative to the root (empty for the root itself).
    public var relativePath: String { segments.joined(separator: "/") }

    /// Parses a request target (origin or absolute form); the query and fragment are ignored.
    public init(target: String) throws(Rejection) {
        var path = Array(target.utf8)
        if let end = path.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            path.removeSubrange(end...)
        }
        if path.first != UInt8(ascii: "/") {
            path = try Self.droppingSchemeAndAuthority(path)
        }

        var segments: [String] = []
        for raw in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            let decoded = try Self.percentDecoded(raw)
            if decoded.contains(0) { throw .nulByte }
            if decoded.contains(UInt8(ascii: "/")) { throw .encodedSeparator }
            if decoded.contains(UInt8(ascii: "\\")) { throw .backslash }
            if decoded == [UInt8(ascii: ".")] { continue }
            if decoded == [UInt8(ascii: "."), UInt8(ascii: ".")] { throw .dotDotSegment }
            guard let segment = String(validating: decoded, as: UTF8.self) else { throw .notUTF8 }
            segments.append(segment)
        }
        self.init(segments: segments, hasTrailingSlash: path.last == UInt8(ascii: "/"))
    }

    /// `http://host:port/a/b` → `/a/b` (`http://host` → `/`); anything else is not a path.
    private static func droppingSchemeAndAuthority(_ target: [UInt8]) throws(Rejection) -> [UInt8] {
        let lowered = target.prefix(8).map { $0 | 0x20 }
        let schemeLength =
            lowered.starts(with: "http://".utf8) ? 7 : lowered.starts(with: "https://".utf8) ? 8 : 0
        guard schemeLength > 0 else { throw .notAPath }
        let afterScheme = target.dropFirst(schemeLength)
        guard let slash = afterScheme.firstIndex(of: UInt8(ascii: "/")) else { return [UInt8(ascii: "/")] }
        return Array(afterScheme[slash...])
    }

    private static func percentDecoded(_ raw: ArraySlice<UInt8>) throws(Rejection) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var iterator = raw.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw .badPercentEncoding
            }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}

/// The value of one hexadecimal digit, or nil.
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
