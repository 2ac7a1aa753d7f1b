import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SashaSDK

/// A raw TCP server standing in for a cluster member that keeps the exact bytes it receives on
/// each connection, and answers every request it finds in them, in order, as a plain server
/// would: framed by `Content-Length` or chunked, and nothing else (no length means no body). Each
/// answer's body names the request it answers (`METHOD TARGET`), so a request smuggled inside
/// another's body shows up both here and in what the client gets back.
final class RecordingServer: Sendable {
    /// One request as the server delimited it.
    struct Request: Sendable, Equatable {
        var line: String
        var head: String
        var body: String
    }

    let address: IPv4Address
    let port: UInt16
    private let channel: Channel
    private let state: NIOLockedValueBox<[Int: (bytes: String, requests: [Request])]>

    init() throws {
        address = TestAddresses.next()
        port = try FreePort.on(address)
        let state = NIOLockedValueBox<[Int: (bytes: String, requests: [Request])]>([:])
        self.state = state
        let counter = NIOLockedValueBox(0)
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let number = counter.withLockedValue { $0 += 1; return $0 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(connection: number, state: state))
                }
            }
            .bind(host: address.description, port: Int(port)).wait()
    }

    func close() { channel.close(promise: nil) }

    /// Every request, on every connection, in the order each connection got them.
    var requests: [Request] { state.withLockedValue { state in state.keys.sorted().flatMap { state[$0]!.requests } } }

    /// The bytes each connection received, by connection number.
    var received: [String] { state.withLockedValue { state in state.keys.sorted().map { state[$0]!.bytes } } }

    var connections: Int { state.withLockedValue { $0.count } }

    func server(tags: UInt64 = 0) -> Server {
        Server(address: address, port: port, tagMask: tags, isUp: true)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let connection: Int
        let state: NIOLockedValueBox<[Int: (bytes: String, requests: [Request])]>
        /// Received bytes not yet delimited into a request.
        private var pending: [UInt8] = []

        init(connection: Int, state: NIOLockedValueBox<[Int: (bytes: String, requests: [Request])]>) {
            self.connection = connection
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            let text = String(decoding: bytes, as: Unicode.ASCII.self)
            pending += bytes
            var answered: [Request] = []
            while let (request, used) = RecordingServer.nextRequest(in: pending) {
                pending.removeFirst(used)
                answered.append(request)
            }
            state.withLockedValue { state in
                state[connection, default: ("", [])].bytes += text
                state[connection, default: ("", [])].requests += answered
            }
            for request in answered {
                let body = request.line.split(separator: " ").prefix(2).joined(separator: " ")
                let answer = "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                context.write(wrapOutboundOut(context.channel.allocator.buffer(string: answer)), promise: nil)
            }
            if !answered.isEmpty { context.flush() }
        }
    }

    /// The first whole request in `bytes` and how many bytes it took, as a naive server reads it.
    static func nextRequest(in bytes: [UInt8]) -> (Request, Int)? {
        func find(_ needle: String, from start: Int) -> Int? {
            let pattern = Array(needle.utf8)
            guard bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return nil }
            return (start...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
        }
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: Unicode.ASCII.self) }
        guard let headEnd = find("\r\n\r\n", from: 0) else { return nil }
        let head = text(0..<headEnd)
        let lines = head.components(separatedBy: "\r\n")
        var fields: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let bodyStart = headEnd + 4
        var position = bodyStart
        if fields.contains(where: { $0.0 == "transfer-encoding" && $0.1.lowercased().hasSuffix("chunked") }) {
            // Chunks until the last one, then trailers until an empty line.
            while true {
                guard let sizeEnd = find("\r\n", from: position) else { return nil }
                let sizeText = text(position..<sizeEnd).split(separator: ";").first.map(String.init) ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                position = sizeEnd + 2
                if size == 0 {
                    if find("\r\n", from: position) == position {
                        position += 2
                    } else {
                        guard let trailersEnd = find("\r\n\r\n", from: position) else { return nil }
                        position = trailersEnd + 4
                    }
                    break
                }
                guard bytes.count >= position + size + 2 else { return nil }
                position += size + 2
            }
        } else if let length = fields.first(where: { $0.0 == "content-length" }).flatMap({ Int($0.1) }) {
            guard bytes.count >= position + length else { return nil }
            position += length
        }
        return (Request(line: lines[0], head: head, body: text(bodyStart..<position)), position)
    }
}
