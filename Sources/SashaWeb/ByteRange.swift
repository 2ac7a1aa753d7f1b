/// What a `Range` header asks of a file of known size (RFC 9110 §14.1.2, §14.2).
///
/// Only one `bytes` range is honoured. A header the server may ignore (another unit, bad syntax,
/// several ranges: multipart answers are not implemented) yields `.whole`, a 200 with the full
/// body, which RFC 9110 allows for any `Range` a server chooses not to serve.
public enum ByteRange: Equatable, Sendable {
    /// Serve the whole representation (200).
    case whole
    /// Serve `length` bytes from `offset` (206); `length` is never 0.
    case partial(offset: UInt64, length: UInt64)
    /// Nothing of the file matches (416 with `Content-Range: bytes */size`).
    case unsatisfiable

    /// Resolves one `Range` header value against a file of `size` bytes.
    public init(header: String, size: UInt64) {
        let text = header.utf8
        guard text.count > 6,
            text.prefix(6).map({ $0 | 0x20 }).elementsEqual("bytes=".utf8)
        else {
            self = .whole
            return
        }
        let specs = text.dropFirst(6).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .map { $0.trimmingOWS() }
            .filter { !$0.isEmpty }
        guard specs.count == 1, let dash = specs[0].firstIndex(of: UInt8(ascii: "-")) else {
            self = .whole
            return
        }
        let first = specs[0][..<dash]
        let last = specs[0][specs[0].index(after: dash)...]

        if first.isEmpty {
            // `-n`: the last n bytes.
            guard let suffix = Self.decimal(last) else { self = .whole; return }
            guard suffix > 0, size > 0 else { self = .unsatisfiable; return }
            let length = min(suffix, size)
            self = .partial(offset: size - length, length: length)
            return
        }
        guard let start = Self.decimal(first) else { self = .whole; return }
        var end = size &- 1
        if !last.isEmpty {
            guard let requestedEnd = Self.decimal(last), requestedEnd >= start else { self = .whole; return }
            end = min(requestedEnd, size &- 1)
        }
        guard start < size else { self = .unsatisfiable; return }
        self = .partial(offset: start, length: end - start + 1)
    }

    /// Digits only; saturates at `UInt64.max` (a position past any file), nil if not a number.
    private static func decimal(_ digits: some Collection<UInt8>) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            value = overflow1 || overflow2 ? UInt64.max : sum
        }
        return value
    }
}

extension Collection where Element == UInt8, SubSequence: BidirectionalCollection {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingOWS() -> SubSequence {
        let isOWS: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let start = firstIndex(where: { !isOWS($0) }) else { return self[endIndex...] }
        let rest = self[start...]
        let end = rest.lastIndex(where: { !isOWS($0) })!
        return rest[...end]
    }
}
