import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// One parsed response as the test client saw it on the wire.
struct WireResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func headerCount(_ name: String) -> Int {
        headers.filter { $0.name.lowercased() == name.lowercased() }.count
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A deliberately dumb HTTP/1.1 client: writes raw bytes (so tests can send anything, malformed
/// or pipelined) and parses what comes back with its own minimal reader, independent of the
/// server's NIO code.
enum RawHTTPClient {
    struct Exchange {
        var responses: [WireResponse]
        /// Whether the server closed the connection.
        var closed: Bool
    }

    struct TimedOut: Error {}

    /// A single `GET` (or `method`) with `Connection: close`.
    static func request(
        _ target: String, method: String = "GET", headers: [(String, String)] = [], to address: SocketAddress
    ) async throws -> WireResponse {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: test\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Connection: close\r\n\r\n"
        let exchange = try await send(Array(text.utf8), to: address, expecting: 1, headRequests: method == "HEAD" ? [0] : [])
        guard let response = exchange.responses.first else { throw TimedOut() }
        return response
    }

    /// Sends `bytes`, then reads until `expecting` responses are complete, the server closes, or
    /// `timeout` passes. `headRequests` are the indexes of responses that have no body (HEAD).
    static func send(
        _ bytes: [UInt8], to address: SocketAddress, expecting: Int, headRequests: Set<Int> = [],
        timeout: TimeAmount = .seconds(10)
    ) async throws -> Exchange {
        let group = MultiThreadedEventLoopGroup.singleton
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: Exchange.self)
        let collector = { @Sendable (received: [UInt8], closed: Bool) -> Void in
            let responses = parse(received, headRequests: headRequests, closed: closed)
            if responses.count >= expecting || closed {
                promise.succeed(Exchange(responses: responses, closed: closed))
            }
        }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Collector(onData: collector))
                    }
                }
                .connect(to: address).get()
        } catch {
            // A refused connection: the promise must not be left pending (NIO traps on a leak).
            promise.fail(error)
            throw error
        }
        let timer = eventLoop.scheduleTask(in: timeout) { promise.fail(TimedOut()) }
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        var exchange = try await promise.futureResult.get()
        if !exchange.closed {
            // Give a server that is about to close a moment to do so, so `closed` is reliable: up
            // to 2 s, because on a busy CI machine the close came after the 50 ms this once waited.
            let deadline = ContinuousClock.now + .seconds(2)
            while channel.isActive, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            exchange.closed = !channel.isActive
        }
        return exchange
    }

    /// Complete responses in `bytes`, in order.
    static func parse(_ bytes: [UInt8], headRequests: Set<Int>, closed: Bool) -> [WireResponse] {
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
        guard bytes.count >= pattern.count else { return nil }
        var position = start
        while position + pattern.count <= bytes.count {
            if bytes[position..<position + pattern.count].elementsEqual(pattern) { return position }
            position += 1
        }
        return nil
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private var received: [UInt8] = []
        private let onData: @Sendable ([UInt8], Bool) -> Void

        init(onData: @escaping @Sendable ([UInt8], Bool) -> Void) { self.onData = onData }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received += buffer.readBytes(length: buffer.readableBytes) ?? []
            onData(received, false)
        }

        func channelInactive(context: ChannelHandlerContext) {
            onData(received, true)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
