import Foundation
import NIOCore
import NIOPosix
import SashaSDK

/// The daemon's side of the control socket: one request line of JSON in, one response line out,
/// then the connection closes. Requests: `{"command": "status"}`. Everything runs on the ring's
/// event loop, so a status is read from the machine without a lock.
enum ControlServer {
    /// Binds `socket`; every connection is first checked against `daemonUser` (`ControlPeer`).
    static func bind(_ socket: ControlSocketPath, group: any EventLoopGroup, responder: ControlResponder,
                     daemonUser: uid_t = geteuid()) -> EventLoopFuture<any Channel> {
        ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                // The peer's credentials decide the pipeline before any byte of it is read.
                ControlPeer.user(of: channel).flatMapThrowing { uid in
                    var refusal = "cannot tell who connected to the control socket (SO_PEERCRED); refused"
                    if let uid {
                        guard let problem = ControlPeer.refusal(uid: uid, daemonUser: daemonUser) else {
                            try channel.pipeline.syncOperations.addHandler(ControlHandler(responder: responder))
                            return
                        }
                        refusal = problem
                    }
                    try channel.pipeline.syncOperations.addHandler(RefusedControlPeer(message: refusal))
                }
            }
            .bind(unixDomainSocketPath: socket.path)
            .map { channel in
                socket.restrict()
                return channel
            }
    }
}

/// Answers control requests from the node's state.
struct ControlResponder: Sendable {
    let node: RingNode
    let strategy: String
    /// The policy this member records and its epoch (swaps change it).
    var policy: @Sendable () -> StatusReport.Policy
    /// What the layers above the ring add to a status: the strategy's stats, the member's service.
    var strategyStats: @Sendable () -> JSONValue? = { nil }
    var service: @Sendable () -> StatusReport.Service? = { nil }
    /// Runs a live policy swap across the ring and answers with its outcome.
    var setPolicy: (@Sendable (_ name: String, _ options: JSONValue, _ reply: @escaping @Sendable (PolicySwapOutcome) -> Void) -> Void)?

    private struct Request: Decodable {
        var command: String
        /// `policy-set`: the plugin's name and options.
        var name: String?
        var options: JSONValue?
    }

    /// Runs on the node's event loop; a swap answers later, when its rounds are done.
    func respond(to line: String, on loop: any EventLoop) -> EventLoopFuture<String> {
        guard let request = try? JSONDecoder().decode(Request.self, from: Data(line.utf8)) else {
            return loop.makeSucceededFuture(Self.error("a request is one line of JSON such as {\"command\":\"status\"}"))
        }
        switch request.command {
        case "status":
            let report = StatusReport(node.snapshot(), strategy: strategy, policy: policy(), strategyStats: strategyStats(),
                                      service: service())
            return loop.makeSucceededFuture((try? report.jsonLine()) ?? Self.error("cannot encode the status"))
        case "policy-set":
            guard let setPolicy else { return loop.makeSucceededFuture(Self.error("this member runs no strategy")) }
            guard let name = request.name, PluginName.isValid(name) else {
                return loop.makeSucceededFuture(Self.error("policy-set needs a plugin name: lower-case letters, digits, '-', '_' and '.', starting with a letter or digit"))
            }
            let options = request.options ?? .object([:])
            guard case .object = options else { return loop.makeSucceededFuture(Self.error("policy-set options must be an object")) }
            // The largest message the swap sends: the commit, with the options and the epoch.
            let commit = PolicyMessage.commit(id: .max, record: PolicyRecord(name: name, options: options, epoch: .init(number: .max, proposer: .max)))
            guard commit.bytes.count <= PolicyMessage.maximumSize else {
                return loop.makeSucceededFuture(Self.error("the options are too long to send round the ring: keep them under about 7 KiB of JSON"))
            }
            let promise = loop.makePromise(of: String.self)
            setPolicy(name, options) { outcome in promise.succeed(Self.encode(outcome)) }
            return promise.futureResult
        default:
            return loop.makeSucceededFuture(Self.error("unknown command '\(request.command)'; known: status, policy-set"))
        }
    }

    private static func encode(_ outcome: PolicySwapOutcome) -> String {
        (try? JSONEncoder().encode(outcome)).map { String(decoding: $0, as: UTF8.self) } ?? error("cannot encode the outcome")
    }

    static func error(_ message: String) -> String {
        let encoded = (try? JSONEncoder().encode(["error": message])).map { String(decoding: $0, as: UTF8.self) }
        return encoded ?? "{\"error\":\"internal\"}"
    }
}

final class ControlHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A request longer than this is not one of ours (a policy swap's options fit well inside).
    static let maximumRequest = 16_384

    private let responder: ControlResponder
    private var pending = ByteBuffer()
    private var answered = false

    init(responder: ControlResponder) { self.responder = responder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        var chunk = unwrapInboundIn(data)
        pending.writeBuffer(&chunk)
        if let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let line = pending.getString(at: pending.readerIndex, length: newline - pending.readerIndex) ?? ""
            answered = true
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            responder.respond(to: line, on: context.eventLoop).whenSuccess { response in
                Self.write(response, context: bound.value)
            }
        } else if pending.readableBytes > Self.maximumRequest {
            answer(ControlResponder.error("request too long"), context: context)
        }
    }

    private func answer(_ response: String, context: ChannelHandlerContext) {
        answered = true
        Self.write(response, context: context)
    }

    /// Writes the response line and closes: one request per connection.
    private static func write(_ response: String, context: ChannelHandlerContext) {
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.value.writeAndFlush(NIOAny(ByteBuffer(string: response + "\n"))).whenComplete { _ in
            context.value.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
