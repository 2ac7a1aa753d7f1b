import SashaABI

extension OptionError {
    /// Copies this error into the caller-owned `sasha_error`, truncating at a character boundary.
    public func write(to error: UnsafeMutablePointer<sasha_error>?) {
        guard let error else { return }
        withUnsafeMutableBytes(of: &error.pointee.key) { copyCString(key, into: $0) }
        withUnsafeMutableBytes(of: &error.pointee.message) { copyCString(message, into: $0) }
    }

    /// Reads an error a plugin wrote.
    public init(_ error: sasha_error) {
        var error = error
        let key = withUnsafeBytes(of: &error.key) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let message = withUnsafeBytes(of: &error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        self.init(key: key, message)
    }
}

/// Writes `text` NUL-terminated into a fixed C buffer, dropping whole characters that do not fit.
func copyCString(_ text: String, into buffer: UnsafeMutableRawBufferPointer) {
    guard buffer.count > 0 else { return }
    var length = 0
    for scalar in text.unicodeScalars {
        let size = UTF8.width(scalar)
        guard length + size < buffer.count else { break }
        length += size
    }
    buffer.copyBytes(from: text.utf8.prefix(length))
    buffer[length] = 0
}

/// Reads a plugin's JSON options and builds something from them: the one path that `validate`
/// and `create` share for policies and strategies, so options are read and unknown keys refused
/// the same way everywhere. On failure the error goes to the caller's `sasha_error`.
func build<Made>(
    fromJSON json: UnsafePointer<CChar>?, error out: UnsafeMutablePointer<sasha_error>?,
    _ make: (PluginOptions) throws(OptionError) -> Made
) -> Made? {
    do throws(OptionError) {
        let options = try PluginOptions(json: json.map { String(cString: $0) } ?? "")
        let made = try make(options)
        try options.rejectUnknownKeys()
        return made
    } catch {
        error.write(to: out)
        return nil
    }
}
