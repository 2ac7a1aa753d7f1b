#if canImport(Glibc)
import Glibc
#endif

/// Reads `ring.key_file` as `sasha keygen` writes it (64 hex digits and a newline) and refuses a
/// key that others could read or change: a key anyone on the host can read authenticates nothing,
/// which is also why ssh refuses a private key with such a mode. The file must belong to the
/// daemon's user (or root): its owner can rewrite it whatever its mode. It is opened with
/// `O_NOFOLLOW` and checked on the opened descriptor, so a symbolic link is refused and the file
/// checked is the file read.
public enum RingKeyFile {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The key at `path` (relative paths are from the working directory).
    public static func read(_ path: String, daemonUser: uid_t = geteuid()) throws(Problem) -> RingKey {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw openProblem(path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw Problem(description: "ring.key_file \(path): cannot read it: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Problem(description: "ring.key_file \(path): not a regular file; give the file `sasha keygen` wrote")
        }
        guard info.st_uid == daemonUser || info.st_uid == 0 else {
            throw Problem(description: "ring.key_file \(path): owned by uid \(info.st_uid), who could change the ring key; "
                + "it must belong to the user running sasha (uid \(daemonUser)) or root: run `chown \(daemonUser) \(path)`")
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw Problem(description: "ring.key_file \(path): mode \(mode) lets other users read or change the ring key; "
                + "run `chmod 600 \(path)`")
        }
        let text = try contents(of: fd, path: path)
        let digits = text.filter { !$0.isWhitespace }
        guard digits.count == RingKey.byteCount * 2, let bytes = decodeHex(digits) else {
            throw Problem(description: "ring.key_file \(path): expected \(RingKey.byteCount * 2) hex digits "
                + "(\(RingKey.byteCount) bytes), found \(digits.count) characters; make a new key with `sasha keygen --out \(path)`")
        }
        return RingKey(bytes: bytes)
    }

    private static func openProblem(_ path: String, errno code: Int32) -> Problem {
        switch code {
        case ENOENT:
            Problem(description: "ring.key_file \(path): no such file; create it with `sasha keygen --out \(path)` "
                + "and copy the same file to every member")
        case ELOOP:
            Problem(description: "ring.key_file \(path): a symbolic link, which sasha does not follow for the key; "
                + "set ring.key_file to the real file")
        case EACCES:
            Problem(description: "ring.key_file \(path): cannot open it: \(String(cString: strerror(code))); "
                + "the user running sasha must own it (mode 0600)")
        default:
            Problem(description: "ring.key_file \(path): cannot open it: \(String(cString: strerror(code)))")
        }
    }

    private static func contents(of fd: Int32, path: String) throws(Problem) -> String {
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
