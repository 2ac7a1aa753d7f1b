import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain blocking TCP client for tests that must control exactly when bytes are read (a
/// client that stops reading, a small receive window). Its calls block, so tests run it on a
/// thread of its own through `onThread`.
final class BlockingSocket: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let descriptor: CInt

    /// Connects to `host:port` with a small receive buffer, so the server's writes back up.
    init(host: String, port: UInt16, receiveBuffer: CInt = 4096) throws {
        descriptor = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(errno)") }
        var size = receiveBuffer
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "connect: \(errno)")
        }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// Reads until `count` bytes arrived, the peer closed, or `timeout` passed; returns the count read.
    func read(atLeast count: Int, timeout: TimeInterval) -> Int {
        readUntil(timeout: timeout) { $0 >= count }.bytes
    }

    /// Reads until the peer closes or `timeout` passes.
    func readToEnd(timeout: TimeInterval) -> (bytes: Int, closed: Bool) {
        readUntil(timeout: timeout) { _ in false }
    }

    private func readUntil(timeout: TimeInterval, done: (Int) -> Bool) -> (bytes: Int, closed: Bool) {
        var receiveTimeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = Date().addingTimeInterval(timeout)
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline, !done(total) {
            let received = recv(descriptor, &buffer, buffer.count, 0)
            if received == 0 { return (total, true) }
            if received < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                return (total, true)  // reset: the server closed
            }
            total += received
        }
        return (total, false)
    }
}

/// Runs blocking work on a thread of its own, keeping Swift's cooperative pool free.
func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
