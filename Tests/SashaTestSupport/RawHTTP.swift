import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One response as a raw client saw it on the wire.
public struct WireResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public func headerCount(_ name: String) -> Int {
        headers.filter { $0.name.lowercased() == name.lowercased() }.count
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// The tests' one raw HTTP/1.1 client: it writes bytes as given (so a test can send anything,
/// malformed or pipelined) over a plain blocking socket and reads the answer with its own minimal
/// parser, independent of Sasha's and NIO's HTTP code. Its calls block: from async code, run them
/// through `onThread`; from a thread that entered a network namespace, call them directly (the
/// socket is made in that namespace).
public enum RawHTTP {
    public struct Exchange: Sendable {
        public var responses: [WireResponse]
        /// Whether the server closed the connection.
        public var closed: Bool
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// The connection was made, but no whole response came in time and it stayed open.
        public var timedOut = false

        public init(description: String, timedOut: Bool = false) {
            self.description = description
            self.timedOut = timedOut
        }
    }

    /// One `GET` (or `method`) with `Connection: close`; nil when no whole response came in
    /// `timeout`.
    public static func get(
        _ target: String, method: String = "GET", host: String = "test", headers: [(String, String)] = [],
        address: String, port: UInt16, timeout: TimeInterval = 10
    ) throws -> WireResponse? {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Connection: close\r\n\r\n"
        return try exchange(Array(text.utf8), address: address, port: port, expecting: 1,
                            headRequests: method == "HEAD" ? [0] : [], timeout: timeout).responses.first
    }

    /// Sends `bytes`, then reads until `expecting` responses are whole, the server closes, or
    /// `timeout` passes. `headRequests` are the indexes of responses that have no body (HEAD).
    /// After the last response it gives a server that is about to close up to `closeWait` to do
    /// so, so that `closed` is reliable on a busy machine.
    public static func exchange(
        _ bytes: [UInt8], address: String, port: UInt16, expecting: Int, headRequests: Set<Int> = [],
        timeout: TimeInterval = 10, closeWait: TimeInterval = 2
    ) throws -> Exchange {
        let socket = try BlockingSocket(host: address, port: port)
        socket.send(bytes)
        var received: [UInt8] = []
        var closed = socket.read(into: &received, timeout: timeout) { parse($0, headRequests: headRequests, closed: false).count >= expecting }
        if !closed, parse(received, headRequests: headRequests, closed: false).count >= expecting {
            closed = socket.read(into: &received, timeout: closeWait) { _ in false }
        }
        let responses = parse(received, headRequests: headRequests, closed: closed)
        guard responses.count >= expecting || closed else { throw Failure(description: "no whole response in \(timeout) s", timedOut: true) }
        return Exchange(responses: responses, closed: closed)
    }

    /// The whole responses in `bytes`, in order. Without a `Content-Length`, a body runs to the
    /// close.
    public static func parse(_ bytes: [UInt8], headRequests: Set<Int>, closed: Bool) -> [WireResponse] {
        var responses: [WireResponse] = []
        var index = 0
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while index < bytes.count {
            guard let end = firstIndex(of: separator, in: bytes, from: index) else { break }
            let lines = String(decoding: bytes[index..<end], as: UTF8.self).components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ", maxSplits: 2)
            guard statusParts.count >= 2, let status = Int(statusParts[1]) else { break }
            var headers: [(name: String, value: String)] = []
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            let bodyStart = end + separator.count
            var length = 0
            if !headRequests.contains(responses.count), status != 304, status != 204 {
                if let declared = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
                    length = declared
                } else if closed {
                    length = bytes.count - bodyStart
                }
            }
            guard bytes.count - bodyStart >= length else { break }
            responses.append(WireResponse(status: status, headers: headers, body: Array(bytes[bodyStart..<bodyStart + length])))
            index = bodyStart + length
        }
        return responses
    }

    private static func firstIndex(of pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        var position = start
        while position + pattern.count <= bytes.count {
            if bytes[position..<position + pattern.count].elementsEqual(pattern) { return position }
            position += 1
        }
        return nil
    }
}

/// A plain blocking TCP client, for tests that must control exactly when bytes are read (a client
/// that stops reading, a small receive window) and for `RawHTTP`.
public final class BlockingSocket: @unchecked Sendable {
    public let descriptor: CInt

    /// Connects to `host:port`; `receiveBuffer` makes the receive buffer small, so that the
    /// server's writes back up when the test does not read.
    public init(host: String, port: UInt16, receiveBuffer: CInt? = nil) throws {
        descriptor = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawHTTP.Failure(description: "socket: errno \(errno)") }
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw RawHTTP.Failure(description: "not an IPv4 address: \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            close(descriptor)
            throw RawHTTP.Failure(description: "connect to \(host):\(port): errno \(error)")
        }
    }

    deinit { close(descriptor) }

    public func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }

    public func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads until `count` bytes arrived, the peer closed, or `timeout` passed; returns the count.
    public func read(atLeast count: Int, timeout: TimeInterval) -> Int {
        var total = 0
        _ = pump(timeout: timeout, done: { total >= count }) { total += $0.count }
        return total
    }

    /// Reads until the peer closes or `timeout` passes: the byte count, and whether it closed.
    public func readToEnd(timeout: TimeInterval) -> (bytes: Int, closed: Bool) {
        var total = 0
        let closed = pump(timeout: timeout, done: { false }) { total += $0.count }
        return (total, closed)
    }

    /// Appends to `received` until `done` says so, the peer closes (true), or `timeout` passes.
    public func read(into received: inout [UInt8], timeout: TimeInterval, until done: ([UInt8]) -> Bool) -> Bool {
        var bytes = received
        defer { received = bytes }
        return pump(timeout: timeout, done: { done(bytes) }) { bytes += $0 }
    }

    /// The receive loop: hands each chunk to `consume` until `done`, a close (true) or `timeout`.
    private func pump(timeout: TimeInterval, done: () -> Bool, consume: (ArraySlice<UInt8>) -> Void) -> Bool {
        var receiveTimeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline, !done() {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                return true  // reset: the server closed
            }
            consume(buffer[0..<count])
        }
        return false
    }
}

/// Runs blocking work on a thread of its own, keeping Swift's cooperative pool free.
public func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
