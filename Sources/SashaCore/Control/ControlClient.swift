#if canImport(Glibc)
import Glibc
#endif

/// The operator's side of the control socket: one request line out, one response line back, with
/// plain blocking POSIX calls (a CLI that asks once needs no event loop). `sasha status`, the
/// tests and the daemon's own check for a live predecessor use it.
public enum ControlClient {
    public enum Failure: Error, Sendable, Equatable {
        /// Nobody listens there: no such file, or a socket file left by a daemon that died.
        case notRunning
        /// Connected, but the daemon did not answer in time (stopped, or stuck).
        case noAnswer
        case failed(String)
    }

    /// Sends `request` (one line, newline added) and returns the response line without its newline.
    public static func request(_ request: String, at path: String, timeoutSeconds: Int = 5) throws(Failure) -> String {
        let fd = try connect(path)
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let line = Array((request + "\n").utf8)
        var sent = 0
        while sent < line.count {
            let count = line[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw failure("cannot send the request") }
            sent += count
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !response.contains(UInt8(ascii: "\n")) {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw .noAnswer }
            guard count >= 0 else { throw failure("cannot read the response") }
            if count == 0 { break }
            response += chunk[..<count]
        }
        guard let end = response.firstIndex(of: UInt8(ascii: "\n")) else {
            throw response.isEmpty ? .noAnswer : .failed("the daemon closed the connection mid-answer")
        }
        return String(decoding: response[..<end], as: UTF8.self)
    }

    /// A connected stream socket, or why not. ECONNREFUSED on a socket file means its daemon died.
    static func connect(_ path: String) throws(Failure) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let fits = withUnsafeMutableBytes(of: &address.sun_path) { room -> Bool in
            guard bytes.count < room.count else { return false }
            room.copyBytes(from: bytes)
            return true
        }
        guard fits else { throw .failed("\(path) is longer than the \(ControlSocketPath.maximumLength) bytes a Unix socket path may have") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("cannot create a socket") }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            if code == ENOENT || code == ECONNREFUSED { throw .notRunning }
            throw .failed("cannot connect to \(path): \(String(cString: strerror(code)))")
        }
        return fd
    }

    private static func failure(_ what: String) -> Failure {
        .failed("\(what): \(String(cString: strerror(errno)))")
    }
}
