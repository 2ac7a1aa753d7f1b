import SashaSDK

/// One content-routing rule from `strategy_options.rules`: requests it matches go to the servers
/// carrying `tag`. Every matcher the rule names must match (an absent matcher matches anything);
/// within one matcher, any listed value may match.
struct RoutingRule: Sendable, Equatable {
    struct HeaderMatch: Sendable, Equatable {
        /// Lower-cased header name.
        var name: String
        /// The value to compare (case-insensitively), or nil when the header's presence suffices.
        var value: String?
    }

    var tag: String
    /// Lower-cased host names, without port.
    var hosts: [String] = []
    var pathPrefixes: [String] = []
    /// Lower-cased file extensions, without the dot.
    var extensions: [String] = []
    /// Upper-cased method names.
    var methods: [String] = []
    var header: HeaderMatch?

    init(tag: String, hosts: [String] = [], pathPrefixes: [String] = [], extensions: [String] = [],
         methods: [String] = [], header: HeaderMatch? = nil) {
        self.tag = tag
        self.hosts = hosts.map { $0.lowercased() }
        self.pathPrefixes = pathPrefixes
        self.extensions = extensions.map { $0.lowercased() }
        self.methods = methods.map { $0.uppercased() }
        self.header = header.map { HeaderMatch(name: $0.name.lowercased(), value: $0.value) }
    }

    /// `path` is the rule's dotted key ("rules.0"), for errors this type raises itself.
    init(options: PluginOptions, path: String) throws(OptionError) {
        guard let tag = try options.string("tag", default: nil), !tag.isEmpty else {
            throw OptionError(key: "\(path).tag", "every rule needs a tag: the servers (nodes.*.tags) that take what it matches")
        }
        var header: HeaderMatch?
        if let section = try options.section("header") {
            guard let name = try section.string("name", default: nil), !name.isEmpty else {
                throw OptionError(key: "\(path).header.name", "a header rule needs the header's name")
            }
            header = HeaderMatch(name: name, value: try section.string("value", default: nil))
            try section.rejectUnknownKeys()
        }
        let extensions = try options.oneOrMany("extension").map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }
        self.init(
            tag: tag, hosts: try options.oneOrMany("host"), pathPrefixes: try options.oneOrMany("path_prefix"),
            extensions: extensions, methods: try options.oneOrMany("method"), header: header)
        try options.rejectUnknownKeys()
        if hosts.isEmpty, pathPrefixes.isEmpty, self.extensions.isEmpty, methods.isEmpty, header == nil {
            throw OptionError(key: "\(path).tag", "rule for '\(tag)' matches nothing: give it host, path_prefix, extension, method or header")
        }
        for (index, prefix) in pathPrefixes.enumerated() where !prefix.hasPrefix("/") {
            throw OptionError(key: "\(path).path_prefix" + (pathPrefixes.count > 1 ? ".\(index)" : ""), "a path prefix starts with '/', got '\(prefix)'")
        }
    }

    /// Whether a request matches every matcher of the rule.
    func matches(_ request: RequestFacts) -> Bool {
        if !methods.isEmpty, !methods.contains(request.method) { return false }
        if !hosts.isEmpty, !hosts.contains(where: { Self.equalIgnoringCase($0, request.host) }) { return false }
        if !pathPrefixes.isEmpty, !pathPrefixes.contains(where: { request.path.hasPrefix($0) }) { return false }
        if !extensions.isEmpty {
            guard let pathExtension = request.pathExtension,
                  extensions.contains(where: { Self.equalIgnoringCase($0, pathExtension) }) else { return false }
        }
        if let header {
            let values = request.headers[header.name]
            if values.isEmpty { return false }
            if let wanted = header.value, !values.contains(where: { Self.equalIgnoringCase(wanted, Substring($0)) }) { return false }
        }
        return true
    }

    /// ASCII case-insensitive comparison (`lowered` is already lower case for extensions; header
    /// values compare both sides folded).
    static func equalIgnoringCase(_ lowered: String, _ text: Substring) -> Bool {
        lowered.utf8.elementsEqual(text.utf8) { a, b in asciiLower(a) == asciiLower(b) }
    }
}

@inline(__always)
func asciiLower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte | 0x20 : byte }

extension PluginOptions {
    /// A matcher given as one text or a list of texts.
    fileprivate func oneOrMany(_ key: String) throws(OptionError) -> [String] {
        if case .string = values[key] { return [try string(key, default: nil)!] }
        return try strings(key)
    }
}
