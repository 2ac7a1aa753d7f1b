import HTTPDate
import NIOHTTP1

/// What a stored response is filed under: the host (lower-cased) and the request target (path
/// with query). GET and HEAD share a key, so a HEAD can be answered from a GET entry; other
/// methods are never stored.
struct CacheKey: Hashable, Sendable {
    var host: String
    var target: String

    init(host: String, target: String) {
        self.host = host
        self.target = target
    }

    init(_ request: HTTPRequestHead) {
        let host = request.headers.first(name: "host") ?? ""
        // Lower-case only when needed: nearly every Host header already is.
        self.host = host.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? host.lowercased() : host
        target = request.uri
    }

    /// Bytes charged to the store for the key itself.
    var cost: Int { host.utf8.count + target.utf8.count }
}

/// A response's `Vary` and the leading request's values of the headers it names (RFC 9111
/// §4.1): a later request may use the entry only when its values are equal.
struct VarySelection: Sendable, Equatable {
    /// Lower-cased, trimmed, sorted, without duplicates.
    var names: [String]
    /// One per name; `nil` when the request lacked the header (which then matches only absence).
    var values: [String?]

    static let none = VarySelection(names: [], values: [])

    /// The names a response varies on, or `nil` for `Vary: *` (never served from cache).
    static func names(of response: HTTPHeaders) -> [String]? {
        var names: [String] = []
        for (name, value) in response where name.equalsASCIICaseInsensitive("vary") {
            for element in value.split(separator: ",") {
                let field = element.trimmingWhitespace()
                if field == "*" { return nil }
                if !field.isEmpty { names.append(field.lowercased()) }
            }
        }
        return Array(Set(names)).sorted()
    }

    init(names: [String], values: [String?]) {
        self.names = names
        self.values = values
    }

    init(names: [String], request: HTTPHeaders) {
        self.names = names
        values = names.map { Self.value(of: $0, in: request) }
    }

    func matches(_ request: HTTPHeaders) -> Bool {
        for (name, value) in zip(names, values) where Self.value(of: name, in: request) != value { return false }
        return true
    }

    /// All lines of the field, each comma-separated element trimmed, joined by "," so that
    /// `gzip, br` and `gzip,br` select the same variant.
    static func value(of name: String, in headers: HTTPHeaders) -> String? {
        var result: String?
        for (headerName, value) in headers where headerName.equalsASCIICaseInsensitive(name) {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                if result == nil {
                    result = String(element.trimmingWhitespace())
                } else {
                    result! += ","
                    result! += element.trimmingWhitespace()
                }
            }
        }
        return result
    }

    /// Bytes charged to the store.
    var cost: Int {
        zip(names, values).reduce(0) { $0 + $1.0.utf8.count + ($1.1?.utf8.count ?? 0) + 2 }
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.utf8.first, first.isWhitespace { result = result.dropFirst() }
        while let last = result.utf8.last, last.isWhitespace { result = result.dropLast() }
        return result
    }
}
