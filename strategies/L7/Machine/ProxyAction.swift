import HTTPWire
import NIOCore

/// What `ProxyMachine` asks its I/O handler to do. The handler carries these out in order and
/// decides nothing about HTTP itself: framing, keep-alive, refusals and deadlines are the
/// machine's.
public enum ProxyAction: Sendable {
    /// A request head arrived: route it (cache, rules, policy), then call `serverAttached` or
    /// `answerLocally` / `answerFromCache`.
    case route(RequestStart)
    case writeToServer(ByteBuffer)
    case flushServer
    case writeToClient(ByteBuffer)
    case flushClient
    /// The response head is on its way to the client (for counters and the cache).
    case responseStarted(status: Int)
    /// The server's response head, for a cache fill the handler asked for (`collectPayload`): the
    /// parsed head and the bytes it refers to.
    case responseHeadForCache(ParsedHead, ByteBuffer)
    /// A response head the handler asked to intercept (`ProxyMachine.intercept`): nothing of it
    /// went to the client, the server connection is released, and the handler answers the
    /// request itself (`answerFromCache` or `answerLocally`).
    case interceptedResponse(ParsedHead, ByteBuffer)
    /// Response payload (chunk framing removed) for a cache fill the handler asked for.
    case responsePayload(ByteBuffer)
    /// The response ended (whoever answered it).
    case responseEnded
    /// Done with the server connection: back to the pool when `reusable`, else close it.
    case releaseServer(reusable: Bool)
    /// The server did not give a usable answer: retry elsewhere if the handler may (see
    /// `mayRetry`), else call `answerLocally` with 502/504.
    case serverFailed(ServerFailure)
    /// Close the client connection once what was written is flushed.
    case closeClient
    case pauseClientReads
    case resumeClientReads
    /// The server accepted the WebSocket upgrade: from here the two connections are a byte
    /// tunnel. The buffers hold what either side sent past the handshake.
    case openTunnel(fromClient: ByteBuffer, fromServer: ByteBuffer)
}

/// Why a server did not answer.
public enum ServerFailure: Equatable, Sendable {
    /// Connect refused or timed out.
    case connect
    /// The connection closed before a response head.
    case dropped
    /// The response could not be parsed, or its framing was ambiguous.
    case malformed
    /// No response head within the response timeout.
    case timeout
}

/// A new request, as routing sees it: the parsed head and the bytes it refers to (a slice of what
/// the client sent: no copy). The handler reads what it needs while handling the action and lets
/// go of it, so the scanner's storage is reused for the next head.
public struct RequestStart: Sendable {
    public let head: ParsedHead
    public let bytes: ByteBuffer
}
