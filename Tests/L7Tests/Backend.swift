import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SashaSDK
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP server standing in for a cluster member, on its own 127.0.2.x address (its
/// identity for the policy). It records what it saw and can misbehave on purpose.
final class Backend: Sendable {
    enum Behaviour: Sendable {
        /// Answers 200 with its name as the body (and `X-Backend: name`).
        case answer
        /// Answers with `size` bytes of a repeating pattern, Content-Length framed or chunked.
        case download(size: Int, chunked: Bool)
        /// Reads the request body and answers with its length and checksum (`"<bytes> <sum>"`).
        case sink
        /// Closes the connection as soon as a request head arrives.
        case dropOnRequest
        /// Answers with bytes that are not HTTP.
        case garbage
        /// Never answers.
        case hang
        /// Answers with `Cache-Control: max-age=60` and its name.
        case cacheable
        /// Answers `size` bytes of the pattern with `Cache-Control: max-age=60`.
        case cacheableDownload(size: Int)
        /// Answers `Cache-Control: no-cache` with `ETag: "v1"` and its name; a request with
        /// `If-None-Match: "v1"` gets 304 (`X-Revalidated: yes`) without a body.
        case revalidatable
        /// Answers `Cache-Control: max-age=1, stale-while-revalidate=60` and `"<name> <n>"`, n
        /// the number of requests it has seen.
        case staleWhileRevalidate
        /// Answers like `.answer`, `delay` after the request ended.
        case delayed(TimeAmount)
        /// Answers the first request on each connection with keep-alive, then closes the
        /// connection when the next request arrives: a server that dropped an idle connection
        /// just as the proxy reused it.
        case dropSecondRequest
    }

    /// What the backend saw.
    struct Log: Sendable {
        var connections = 0
        var requests = 0
        var heads: [HTTPRequestHead] = []
        var bodyBytes = 0
    }

    let name: String
    let address: IPv4Address
    let port: UInt16
    let behaviour: Behaviour
    private let log: NIOLockedValueBox<Log>
    private let channel: Channel?

    var seen: Log { log.withLockedValue { $0 } }

    /// A backend on a fresh 127.0.2.x address. `listening: false` reserves the address only, so
    /// connecting to it is refused.
    init(_ name: String, behaviour: Behaviour = .answer, listening: Bool = true, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.name = name
        self.behaviour = behaviour
        let address = TestAddresses.next()
        self.address = address
        let log = NIOLockedValueBox(Log())
        self.log = log
        guard listening else {
            channel = nil
            port = 7_799
            return
        }
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                log.withLockedValue { $0.connections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    if case .garbage = behaviour {
                        try channel.pipeline.syncOperations.addHandler(GarbageHandler(log: log))
                        return
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(BackendHandler(name: name, behaviour: behaviour, log: log))
                }
            }
            .bind(host: address.description, port: 0).wait()
        self.channel = channel
        port = UInt16(channel.localAddress!.port!)
    }

    func server(tags: UInt64 = 0, up: Bool = true) -> Server {
        Server(address: address, port: port, tagMask: tags, isUp: up)
    }

    func close() { try? channel?.close().wait() }
}

private final class BackendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let name: String
    let behaviour: Backend.Behaviour
    let log: NIOLockedValueBox<Backend.Log>
    private var head: HTTPRequestHead?
    private var requestsOnConnection = 0
    private var bodyBytes = 0
    private var checksum: UInt64 = 0

    init(name: String, behaviour: Backend.Behaviour, log: NIOLockedValueBox<Backend.Log>) {
        self.name = name
        self.behaviour = behaviour
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bodyBytes = 0
            checksum = 0
            log.withLockedValue {
                $0.requests += 1
                $0.heads.append(head)
            }
            requestsOnConnection += 1
            switch behaviour {
            case .dropOnRequest:
                context.close(promise: nil)
            case .dropSecondRequest where requestsOnConnection > 1:
                context.close(promise: nil)
            default:
                break
            }
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            checksum = PatternBytes.checksum(buffer, seed: checksum)
            let count = buffer.readableBytes
            log.withLockedValue { $0.bodyBytes += count }
        case .end:
            guard let head else { return }
            respond(context, to: head)
        }
    }

    private func respond(_ context: ChannelHandlerContext, to head: HTTPRequestHead) {
        var headers = HTTPHeaders()
        headers.add(name: "x-backend", value: name)
        switch behaviour {
        case .dropSecondRequest where requestsOnConnection > 1:
            break
        case .answer, .cacheable, .dropSecondRequest:
            if case .cacheable = behaviour { headers.add(name: "cache-control", value: "max-age=60") }
            let body = name
            headers.add(name: "content-length", value: String(body.utf8.count))
            write(context, head: head, headers: headers, body: [context.channel.allocator.buffer(string: body)])
        case .staleWhileRevalidate:
            headers.add(name: "cache-control", value: "max-age=1, stale-while-revalidate=60")
            let body = "\(name) \(log.withLockedValue { $0.requests })"
            headers.add(name: "content-length", value: String(body.utf8.count))
            write(context, head: head, headers: headers, body: [context.channel.allocator.buffer(string: body)])
        case .revalidatable:
            headers.add(name: "cache-control", value: "no-cache")
            headers.add(name: "etag", value: "\"v1\"")
            guard head.headers["if-none-match"].contains("\"v1\"") else {
                headers.add(name: "content-length", value: String(name.utf8.count))
                return write(context, head: head, headers: headers, body: [context.channel.allocator.buffer(string: name)])
            }
            headers.add(name: "x-revalidated", value: "yes")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .notModified, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .sink:
            let body = "\(bodyBytes) \(checksum)"
            headers.add(name: "content-length", value: String(body.utf8.count))
            write(context, head: head, headers: headers, body: [context.channel.allocator.buffer(string: body)])
        case .cacheableDownload(let size):
            headers.add(name: "cache-control", value: "max-age=60")
            headers.add(name: "content-length", value: String(size))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            streamPattern(context, remaining: size, offset: 0)
        case .download(let size, let chunked):
            if !chunked { headers.add(name: "content-length", value: String(size)) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            streamPattern(context, remaining: size, offset: 0)
        case .delayed(let delay):
            let body = name
            headers.add(name: "content-length", value: String(body.utf8.count))
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let delayedHeaders = headers
            context.eventLoop.scheduleTask(in: delay) {
                let (handler, context) = loopBound.value
                handler.write(context, head: head, headers: delayedHeaders, body: [context.channel.allocator.buffer(string: body)])
            }
        case .dropOnRequest, .garbage, .hang:
            break
        }
    }

    private func write(_ context: ChannelHandlerContext, head: HTTPRequestHead, headers: HTTPHeaders, body: [ByteBuffer]) {
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        for buffer in body { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Writes the pattern in 64 KiB pieces, each after the previous one left, so the backend
    /// itself holds little and a stalled reader shows as a stalled writer.
    private func streamPattern(_ context: ChannelHandlerContext, remaining: Int, offset: Int) {
        guard remaining > 0 else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let count = min(remaining, 65_536)
        let buffer = PatternBytes.buffer(offset: offset, count: count, allocator: context.channel.allocator)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer)))).whenSuccess {
            let (handler, context) = loopBound.value
            handler.streamPattern(context, remaining: remaining - count, offset: offset + count)
        }
    }
}

/// Answers any request with bytes that are not HTTP, then closes.
private final class GarbageHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let log: NIOLockedValueBox<Backend.Log>
    private var answered = false

    init(log: NIOLockedValueBox<Backend.Log>) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        log.withLockedValue { $0.requests += 1 }
        let reply = context.channel.allocator.buffer(string: "SPLAT 999 whatever\r\nnot: http\r\n\r\n")
        context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

/// A deterministic byte pattern, so a receiver can check a large body without keeping it. It
/// repeats every `period` bytes (a prime, so it does not line up with read sizes) and is copied
/// and compared in blocks: debug builds are slow per byte.
enum PatternBytes {
    static let period = 65_521
    /// Three periods, so any block of up to two periods starts inside the first.
    static let table: [UInt8] = (0..<(3 * period)).map { UInt8(truncatingIfNeeded: ($0 % period) &* 7 &+ ($0 % period) >> 9) }

    static func byte(at offset: Int) -> UInt8 { table[offset % period] }

    static func buffer(offset: Int, count: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        precondition(count <= 2 * period)
        var buffer = allocator.buffer(capacity: count)
        let start = offset % period
        _ = table.withUnsafeBufferPointer { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[start..<start + count])) }
        return buffer
    }

    /// Whether `buffer` holds the pattern from `offset` on.
    static func matches(_ buffer: ByteBuffer, at offset: Int) -> Bool {
        var checked = 0
        return buffer.withUnsafeReadableBytes { bytes in
            while checked < bytes.count {
                let count = min(bytes.count - checked, period)
                let start = (offset + checked) % period
                let same = table.withUnsafeBytes { memcmp($0.baseAddress! + start, bytes.baseAddress! + checked, count) == 0 }
                if !same { return false }
                checked += count
            }
            return true
        }
    }

    /// A rolling checksum over a buffer's bytes (through a raw pointer: fast in debug builds).
    static func checksum(_ buffer: ByteBuffer, seed: UInt64) -> UInt64 {
        buffer.withUnsafeReadableBytes { bytes in
            var sum = seed
            for index in 0..<bytes.count { sum = sum &* 31 &+ UInt64(bytes[index]) }
            return sum
        }
    }
}

/// Fresh loopback addresses in 127.0.2.0/24 for each backend and proxy, so that tests running in
/// parallel never share an address (server identities, exclusions and ports stay apart).
enum TestAddresses {
    private static let counter = Atomic<UInt32>(0)

    static func next() -> IPv4Address {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        precondition(n < 254, "out of 127.0.2.x test addresses")
        return IPv4Address(0x7F00_0200 | n)
    }
}
