import HTTPDate
/// The validators of one file version, and the preconditions a GET or HEAD can set on them
/// (RFC 9110 §13).
public struct FileValidators: Equatable, Sendable {
    /// A strong entity tag in nginx's form, `"<hex mtime>-<hex size>"`, quotes included.
    public var entityTag: String
    /// Modification time in whole seconds since the epoch (HTTP dates have no finer grain).
    public var lastModified: Int64

    public init(size: UInt64, modified: Int64) {
        entityTag = "\"" + String(UInt64(bitPattern: modified), radix: 16) + "-" + String(size, radix: 16) + "\""
        lastModified = modified
    }

    /// Whether `If-None-Match` / `If-Modified-Since` let the server answer 304 Not Modified.
    ///
    /// `If-None-Match` takes precedence: when present, `If-Modified-Since` is ignored (§13.2.2).
    /// Both values are arrays of field lines (a client may split a list over several lines).
    public func isNotModified(ifNoneMatch: [String], ifModifiedSince: [String]) -> Bool {
        if !ifNoneMatch.isEmpty {
            return ifNoneMatch.contains { matchesWeakly(list: $0) }
        }
        guard ifModifiedSince.count == 1, let since = HTTPDate.parse(ifModifiedSince[0]) else { return false }
        return lastModified <= since
    }

    /// Whether an `If-Range` value still names this version, so the range may be served (§13.1.5).
    /// An entity tag must match strongly (a weak tag never does); a date must equal
    /// `Last-Modified` exactly.
    public func satisfiesIfRange(_ value: String) -> Bool {
        let trimmed = value.utf8.trimmingOWS()
        if trimmed.first == UInt8(ascii: "\"") || trimmed.first == UInt8(ascii: "W") {
            return trimmed.elementsEqual(entityTag.utf8)
        }
        return HTTPDate.parse(String(Substring(trimmed))) == lastModified
    }

    /// `*` or a comma-separated list of entity tags, compared weakly (the `W/` prefix ignored).
    /// A list that stops parsing part way matches only through the tags read before.
    private func matchesWeakly(list: String) -> Bool {
        let ours = entityTag.utf8.dropFirst().dropLast()  // without the quotes
        var rest = list.utf8[...]
        while true {
            rest = rest.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: ",") }
            guard let first = rest.first else { return false }
            if first == UInt8(ascii: "*") { return true }
            if rest.starts(with: "W/".utf8) { rest = rest.dropFirst(2) }
            guard rest.first == UInt8(ascii: "\"") else { return false }
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: UInt8(ascii: "\"")) else { return false }
            if rest[..<close].elementsEqual(ours) { return true }
            rest = rest[rest.index(after: close)...]
        }
    }
}
