import NIOCore
import NIOHTTP1

/// What every connection of one server shares: where files come from, the health path, limits,
/// the request counter, and the member's name for `X-Served-By`.
struct ServedSite: Sendable {
    let resolver: FileResolver
    let servedBy: String
    let healthPath: String
    let maxDiscardedBodyBytes: Int
    let idleTimeout: TimeAmount
    let counter: RequestCounter
    /// `Cache-Control: max-age` sent with files (`service.max_age_s`); nil sends none.
    var maxAgeSeconds: Int? = nil
}

/// Answers the requests of one HTTP/1.1 connection from the served root.
///
/// Sits after NIO's `HTTPServerPipelineHandler`, which hands it one request at a time even when
/// the client pipelines, so it answers each request once its `.end` has arrived. Bodies up to
/// `FileTransfer.inlineLimit` are read and sent with the head in one write; larger ones go out as
/// a chain of `FileRegion`s (sendfile: no copy through user space, never a whole file in memory).
///
/// Idle connections are closed after `idleTimeout`, counted from the last request head or the
/// end of the last file body. While a body is being written the connection is not idle, but it
/// is closed when no chunk completes within `idleTimeout` (the client stopped reading) or the
/// file became shorter than promised (see `FileTransfer`).
final class StaticFileHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, discardedBodyBytes: Int)
        /// A response that closes the connection has been sent; nothing more is read.
        case closing
    }

    private let site: ServedSite
    private var state = State.idle
    private var stamp: ResponseStamp
    /// The file body being written, if any (one at a time: the pipelining handler holds the
    /// next request back until this response's `.end`).
    private var transfer: FileTransfer?
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?

    init(site: ServedSite) {
        self.site = site
        self.stamp = ResponseStamp(servedBy: site.servedBy)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { scheduleIdleCheck(context: context, at: .now() + site.idleTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if idleCheck == nil { scheduleIdleCheck(context: context, at: .now() + site.idleTimeout) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            lastActivity = .now()
            state = .receiving(head, discardedBodyBytes: 0)
        case (.body(let chunk), .receiving(let head, let discarded)):
            let total = discarded + chunk.readableBytes
            guard total <= site.maxDiscardedBodyBytes else {
                state = .closing
                respond(.payloadTooLarge, "request body too large\n", to: head, closing: true, context: context)
                return
            }
            state = .receiving(head, discardedBodyBytes: total)
        case (.end, .receiving(let head, _)):
            state = .idle
            respond(to: head, context: context)
        default:
            break  // closing: the rest of the connection is ignored
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Protocol errors were answered by `ProtocolErrorResponder`; anything reaching here (a
        // reset, a failed read) ends the connection.
        context.close(promise: nil)
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard head.method == .GET || head.method == .HEAD else {
            site.counter.increment()
            let allow = [("Allow", "GET, HEAD")]
            respond(.methodNotAllowed, "method not allowed\n", to: head, extra: allow, context: context)
            return
        }
        if Self.pathOnly(head.uri) == site.healthPath {
            let healthy = site.resolver.rootIsServable()
            let (status, text): (HTTPResponseStatus, String) =
                healthy ? (.ok, "ok\n") : (.serviceUnavailable, "root not readable\n")
            respond(status, text, to: head, context: context)
            return
        }
        site.counter.increment()
        let path: RequestPath
        do {
            path = try RequestPath(target: head.uri)
        } catch {
            respond(.badRequest, "bad request path\n", to: head, context: context)
            return
        }
        switch site.resolver.resolve(path) {
        case .notFound:
            respond(.notFound, "not found\n", to: head, context: context)
        case .forbidden:
            respond(.forbidden, "forbidden\n", to: head, context: context)
        case .redirectToDirectory:
            let location = [("Location", DirectoryRedirect.location(for: path, target: head.uri))]
            respond(.movedPermanently, "moved permanently\n", to: head, extra: location, context: context)
        case .file(let file):
            sendFile(file, to: head, context: context)
        }
    }

    private func sendFile(_ file: FileResolver.OpenFile, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let plan = FileResponsePlan(
            method: request.method, requestHeaders: request.headers, size: file.size, modified: file.modified,
            mediaType: MediaTypes.type(forFileName: file.name)
        )
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: file.descriptor)
        let keepAlive = request.isKeepAlive
        var headers = plan.headers
        if let maxAge = site.maxAgeSeconds, plan.status != .rangeNotSatisfiable {
            // Explicit freshness: shared caches in front (the l7 dispatcher's) may keep the file
            // this long without guessing from Last-Modified.
            headers.add(name: "Cache-Control", value: "max-age=\(maxAge)")
        }
        stamp.stamp(&headers, version: request.version, keepAlive: keepAlive)
        let responseHead = HTTPResponseHead(version: request.version, status: plan.status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        transfer = FileTransfer(handle: handle, offset: plan.bodyOffset, length: plan.bodyLength, keepAlive: keepAlive)
        guard plan.bodyLength > 0 else {
            if let text = plan.textBody, request.method != .HEAD {
                writeText(text, context: context)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { result in
                self.transferEnded(succeeded: result.isSuccess, context: context)
            }
            return
        }
        if plan.bodyLength <= FileTransfer.inlineLimit {
            writeInlineBody(context: context)
            return
        }
        writeNextChunk(context: context)
        if transfer != nil {
            // The socket is backed up: watch this transfer closely (stall, truncated file).
            idleCheck?.cancel()
            scheduleIdleCheck(context: context, at: .now() + min(Self.transferCheckInterval, site.idleTimeout))
        }
    }

    /// How often a transfer that did not finish at once is checked for a stall or a short file.
    private static let transferCheckInterval = TimeAmount.seconds(1)

    private func writeInlineBody(context: ChannelHandlerContext) {
        guard let body = transfer?.readInline(allocator: context.channel.allocator) else {
            transferEnded(succeeded: false, context: context)  // the file shrank since fstat
            return
        }
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { result in
            self.transferEnded(succeeded: result.isSuccess, context: context)
        }
    }

    private func writeNextChunk(context: ChannelHandlerContext) {
        guard var current = transfer else { return }
        guard !current.fileShrank() else {
            transferEnded(succeeded: false, context: context)
            return
        }
        let (region, isLast) = current.nextRegion()
        transfer = current
        if isLast {
            context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { result in
                self.transferEnded(succeeded: result.isSuccess, context: context)
            }
        } else {
            context.writeAndFlush(wrapOutboundOut(.body(.fileRegion(region)))).assumeIsolated().whenComplete { result in
                guard result.isSuccess else {
                    self.transferEnded(succeeded: false, context: context)
                    return
                }
                self.transfer?.lastProgress = .now()
                self.writeNextChunk(context: context)
            }
        }
    }

    /// Closes the file; closes the connection too if the body was cut short or must not be kept.
    private func transferEnded(succeeded: Bool, context: ChannelHandlerContext) {
        guard let finished = transfer else { return }
        transfer = nil
        try? finished.handle.close()
        lastActivity = .now()
        if !succeeded || !finished.keepAlive { context.close(promise: nil) }
    }

    /// A short text answer (errors, health, redirects).
    private func respond(
        _ status: HTTPResponseStatus, _ text: String, to request: HTTPRequestHead,
        extra: [(String, String)] = [], closing: Bool = false, context: ChannelHandlerContext
    ) {
        let keepAlive = request.isKeepAlive && !closing
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        stamp.stamp(&headers, version: request.version, keepAlive: keepAlive)
        let responseHead = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if request.method != .HEAD {
            writeText(text, context: context)
        }
        lastActivity = .now()
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private func writeText(_ text: String, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
    }

    private func scheduleIdleCheck(context: ChannelHandlerContext, at deadline: NIODeadline) {
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.idleCheckFired(context: context)
        }
    }

    private func idleCheckFired(context: ChannelHandlerContext) {
        idleCheck = nil
        let now = NIODeadline.now()
        if let transfer {
            // Closing fails the pending write, whose completion then closes the file.
            if now - transfer.lastProgress >= site.idleTimeout || transfer.fileShrank() {
                context.close(promise: nil)
            } else {
                scheduleIdleCheck(context: context, at: now + min(Self.transferCheckInterval, site.idleTimeout))
            }
        } else if now >= lastActivity + site.idleTimeout {
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(context: context, at: lastActivity + site.idleTimeout)
        }
    }

    /// The target without its query or fragment.
    static func pathOnly(_ target: String) -> Substring {
        let end = target.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? target.endIndex
        return target[..<end]
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { true } else { false }
    }
}
