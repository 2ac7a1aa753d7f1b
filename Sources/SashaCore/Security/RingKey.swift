#if canImport(Glibc)
import Glibc
#endif

/// The ring's shared secret. On disk: 64 hex digits (32 bytes) and a newline, mode 0600, so it can
/// be checked by eye and copied with any tool.
public struct RingKey: Sendable, Equatable {
    public static let byteCount = 32
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A fresh key from the system's cryptographic random source.
    public static func generate() -> RingKey {
        var generator = SystemRandomNumberGenerator()
        return RingKey(bytes: (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public var hex: String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes the key to a new file with mode 0600. Refuses to replace a file unless `replacing`.
    public func write(to path: String, replacing: Bool) throws(WriteError) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (replacing ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == EEXIST {
                throw WriteError(description: "\(path) already exists; pass --force to replace it (every member then needs the new key)")
            }
            throw WriteError(description: "cannot create \(path): \(reason)")
        }
        defer { close(fd) }
        // O_CREAT's mode does not apply to an existing file, and the umask may have narrowed it.
        fchmod(fd, 0o600)
        let text = Array((hex + "\n").utf8)
        let written = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == text.count else {
            throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
