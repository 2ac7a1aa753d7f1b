import HTTPWire
import NIOCore

extension ProxyMachine {
    /// Reads what the server sent: interim 1xx heads are dropped, the final head is rewritten for
    /// the client, the body goes on as it came (de-chunked only for an HTTP/1.0 client), and the
    /// end of the response frees the server connection.
    mutating func processServerInput(now: UInt64, into actions: inout [ProxyAction]) {
        while phase == .http, let exchange, exchange.serverAttached {
            switch exchange.response {
            case .awaitingHead:
                guard serverInput.readableBytes > 0, startResponse(now: now, into: &actions) else { return }
            case .body(var tracker, let dechunk):
                guard serverInput.readableBytes > 0 || tracker.isComplete else { return }
                let progress = consumeResponseBody(&tracker, dechunk: dechunk, into: &actions)
                self.exchange?.response = .body(tracker, dechunk: dechunk)
                switch progress {
                case .invalid:
                    actions.append(.releaseServer(reusable: false))
                    return close(into: &actions)
                case .needsMore:
                    arm(.responseBody, now: now)
                    return
                case .complete:
                    // A byte past the response is a server out of step with us: never reuse it.
                    let clean = serverInput.readableBytes == 0 && self.exchange?.serverKeepAlive == true
                    return finishResponse(serverReusable: clean, now: now, into: &actions)
                }
            case .done:
                return
            }
        }
    }

    /// Scans for the response head; false when there is nothing more to do now.
    private mutating func startResponse(now: UInt64, into actions: inout [ProxyAction]) -> Bool {
        guard var exchange else { return false }
        switch responseScanner.scan(serverInput) {
        case .incomplete:
            return false
        case .invalid:
            // Conflicting framing, or not HTTP: 502, and the connection is never reused.
            failServer(.malformed, now: now, into: &actions)
            return false
        case .complete(let head, let length):
            if head.status == 101 {
                guard exchange.upgradesToWebSocket, head.upgradesToWebSocket else {
                    failServer(.malformed, now: now, into: &actions)
                    return false
                }
                return openTunnel(head, length: length, now: now, into: &actions)
            }
            if head.status < 200 {
                // 100 Continue (the proxy answered the client's own) and other interim answers.
                serverInput.moveReaderIndex(forwardBy: length)
                return true
            }
            let framing = MessageFraming.response(head, to: exchange.method)
            guard framing != .tunnel else {
                failServer(.malformed, now: now, into: &actions)
                return false
            }
            if exchange.intercept.takes(status: head.status) {
                return interceptResponse(head, length: length, framing: framing, now: now, into: &actions)
            }
            let dechunk = framing == .chunked && exchange.clientVersion == .http1_0
            // A server that declined an upgrade may have stopped parsing HTTP on that connection
            // (NIO's decoder does): it is not reused.
            exchange.serverKeepAlive = head.keepAlive && framing != .untilClose && !exchange.upgradesToWebSocket
            // A body read until the server closes reaches the client the same way.
            if framing == .untilClose || dechunk { exchange.clientKeepAlive = false }
            var out = allocator.buffer(capacity: length + 96)
            HeadWriter.writeClientResponse(head: head, from: serverInput, into: &out, clientVersion: exchange.clientVersion,
                                           keepAlive: willKeepAlive(exchange), dechunking: dechunk,
                                           extraFields: configuration.responseFields)
            if exchange.collectPayload || exchange.intercept.contains(.head) {
                actions.append(.responseHeadForCache(head, serverInput.getSlice(at: serverInput.readerIndex, length: length)!))
            }
            serverInput.moveReaderIndex(forwardBy: length)
            exchange.response = .body(BodyTracker(framing: framing, limits: configuration.limits), dechunk: dechunk)
            self.exchange = exchange
            actions.append(.responseStarted(status: head.status))
            actions.append(.writeToClient(out))
            arm(.responseBody, now: now)
            return true
        }
    }

    /// Passes the next body bytes on: as they came, or their payload alone when de-chunking; the
    /// payload to a cache fill when one collects it.
    private mutating func consumeResponseBody(_ tracker: inout BodyTracker, dechunk: Bool,
                                              into actions: inout [ProxyAction]) -> BodyTracker.Progress {
        let collect = exchange?.collectPayload == true
        let needsSpans = (dechunk || collect) && tracker.framing == .chunked
        spans.removeAll(keepingCapacity: true)
        let progress = needsSpans
            ? serverInput.withUnsafeReadableBytes { tracker.consume($0, dataSpans: &spans) }
            : tracker.consume(serverInput)
        let consumed: Int
        switch progress {
        case .invalid: return progress
        case .needsMore(let count), .complete(let count): consumed = count
        }
        let raw = serverInput.readSlice(length: consumed)!
        if needsSpans {
            for span in spans {
                // A slice counts from 0: the spans index it directly.
                let payload = raw.getSlice(at: raw.readerIndex + span.lowerBound, length: span.count)!
                if dechunk { actions.append(.writeToClient(payload)) }
                if collect { actions.append(.responsePayload(payload)) }
            }
        } else if collect, consumed > 0 {
            actions.append(.responsePayload(raw))
        }
        if !dechunk, consumed > 0 { actions.append(.writeToClient(raw)) }
        return progress
    }

    /// The server said 101 to a WebSocket handshake: the head goes to the client and both
    /// connections become a tunnel, with whatever either side already sent past the handshake.
    private mutating func openTunnel(_ head: ParsedHead, length: Int, now: UInt64, into actions: inout [ProxyAction]) -> Bool {
        guard let exchange else { return false }
        var out = allocator.buffer(capacity: length + 64)
        HeadWriter.writeClientResponse(head: head, from: serverInput, into: &out, clientVersion: exchange.clientVersion,
                                       keepAlive: true, keepingUpgrade: true)
        serverInput.moveReaderIndex(forwardBy: length)
        actions.append(.responseStarted(status: 101))
        actions.append(.writeToClient(out))
        actions.append(.flushClient)
        actions.append(.openTunnel(fromClient: clientInput, fromServer: serverInput))
        phase = .tunnel
        arm(.idle, now: now)
        self.exchange = nil
        clientInput = ByteBuffer()
        serverInput = ByteBuffer()
        return false
    }

    /// The cache takes this response (a 304 to its revalidation, a 5xx it replaces): nothing goes
    /// to the client, the server connection is released (reused only after a bodiless answer
    /// that ended cleanly), and the handler answers. Reading a 5xx's body only to drop it is not
    /// worth it: that connection is closed.
    private mutating func interceptResponse(_ head: ParsedHead, length: Int, framing: BodyFraming, now: UInt64,
                                            into actions: inout [ProxyAction]) -> Bool {
        guard var exchange else { return false }
        let bytes = serverInput.readSlice(length: length)!
        let clean = framing == .none && head.keepAlive && serverInput.readableBytes == 0 && exchange.requestEnded
        exchange.serverAttached = false
        self.exchange = exchange
        resetServerSide()
        armForExchange(now: now)
        actions.append(.releaseServer(reusable: clean))
        actions.append(.interceptedResponse(head, bytes))
        return false
    }

    /// The server's answer is unusable before any of it reached the client: the handler retries
    /// or answers 502/504.
    private mutating func failServer(_ failure: ServerFailure, now: UInt64, into actions: inout [ProxyAction]) {
        exchange?.serverAttached = false
        resetServerSide()
        armForExchange(now: now)
        actions.append(.releaseServer(reusable: false))
        actions.append(.serverFailed(failure))
    }
}
