#if canImport(Glibc)
import Glibc
#endif

/// Reads `ring.key_file` as `sasha keygen` writes it (64 hex digits and a newline) and refuses a
/// key that others could read or change: a key anyone on the host can read authenticates nothing,
/// which is also why ssh refuses a private key with such a mode.
public enum RingKeyFile {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The key at `path` (relative paths are from the working directory).
    public static func read(_ path: String) throws(Problem) -> RingKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT {
                throw Problem(description: "ring.key_file \(path): no such file; create it with `sasha keygen --out \(path)` "
                    + "and copy the same file to every member")
            }
            throw Problem(description: "ring.key_file \(path): cannot read it: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Problem(description: "ring.key_file \(path): not a regular file; give the file `sasha keygen` wrote")
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw Problem(description: "ring.key_file \(path): mode \(mode) lets other users read or change the ring key; "
                + "run `chmod 600 \(path)`")
        }
        let text = try contents(of: path)
        let digits = text.filter { !$0.isWhitespace }
        guard digits.count == RingKey.byteCount * 2, let bytes = decodeHex(digits) else {
            throw Problem(description: "ring.key_file \(path): expected \(RingKey.byteCount * 2) hex digits "
                + "(\(RingKey.byteCount) bytes), found \(digits.count) characters; make a new key with `sasha keygen --out \(path)`")
        }
        return RingKey(bytes: bytes)
    }

    private static func contents(of path: String) throws(Problem) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let hint = errno == EACCES ? "; the user running sasha must own it (mode 0600)" : ""
            throw Problem(description: "ring.key_file \(path): cannot open it: \(String(cString: strerror(errno)))\(hint)")
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 1024)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else {
            throw Problem(description: "ring.key_file \(path): cannot read it: \(String(cString: strerror(errno)))")
        }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for character in text.utf8 {
            guard let nibble = hexValue(character) else { return nil }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return high == nil ? bytes : nil
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
