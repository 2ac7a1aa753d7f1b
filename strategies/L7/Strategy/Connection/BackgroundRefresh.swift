import HTTPCache
import HTTPWire
import L7Machine
import NIOCore
import SashaSDK

/// A `stale-while-revalidate` refresh (RFC 5861 §3): the client already got the stale entry, and
/// this asks a server for the entry again on its own, with nobody waiting. The HTTP is a
/// `ProxyMachine`'s, fed the client's request head as if a client sent it: the conditional fields
/// go upstream, a 304 updates the entry, a new answer replaces it, and what the machine would
/// write to a client is dropped.
///
/// Lives on one event loop. Kept alive by its own deadline task (the connection holds its owner
/// weakly), which also bounds it: past the response timeout the refresh is abandoned.
final class BackgroundRefresh: UpstreamOwner {
    private var machine: ProxyMachine
    private let fill: CacheFill
    private let pool: UpstreamPool
    private let host: PluginHost
    private let server: IPv4Address
    private var connection: UpstreamConnection?
    private var deadline: Scheduled<Void>?
    private var finished = false

    private let loop: LoopState

    private init(fill: CacheFill, configuration: ProxyMachine.Configuration, environment: ProxyEnvironment, loop: LoopState,
                 server: IPv4Address) {
        self.fill = fill
        self.loop = loop
        pool = loop.pool
        host = environment.host
        self.server = server
        machine = ProxyMachine(configuration: configuration, allocator: ByteBufferAllocator(), now: Self.now)
    }

    private static var now: UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Sends `request` (a whole GET head, as the client sent it) to `server` for `fill`, with the
    /// client connection's machine `configuration` (its forwarding fields: the server sees the
    /// client the refresh is for).
    static func start(_ request: ByteBuffer, fill: CacheFill, server: IPv4Address, port: UInt16,
                      configuration: ProxyMachine.Configuration, environment: ProxyEnvironment, loop: LoopState) {
        let eventLoop = loop.eventLoop
        let pool = loop.pool
        let refresh = BackgroundRefresh(fill: fill, configuration: configuration, environment: environment, loop: loop, server: server)
        loop.refreshesInFlight += 1
        let timeout = environment.machineConfiguration.responseTimeout
        let bound = NIOLoopBound(refresh, eventLoop: eventLoop)
        refresh.deadline = eventLoop.scheduleTask(in: .nanoseconds(Int64(clamping: timeout))) { bound.value.finish() }
        refresh.perform { $0.clientBytes(request, now: now, into: &$1) }
        // A 304 is taken only in answer to the refresh's own conditional fields.
        if let fields = fill.conditionalFields {
            refresh.machine.addUpstreamFields(fields)
            refresh.machine.intercept(.notModified)
        }
        environment.host.connectionOpened(on: server)
        if let connection = pool.take(server, port: port) { return refresh.attach(connection) }
        pool.connect(server, port: port) { result in
            switch result {
            case .success(let connection) where !refresh.finished: refresh.attach(connection)
            case .success(let connection): pool.giveBack(connection)
            case .failure: refresh.finish()
            }
        }
    }

    private func attach(_ connection: UpstreamConnection) {
        self.connection = connection
        connection.handler.owner = self
        perform { $0.serverAttached(now: Self.now, collectPayload: true, into: &$1) }
    }

    private func perform(_ event: (inout ProxyMachine, inout [ProxyAction]) -> Void) {
        var actions: [ProxyAction] = []
        event(&machine, &actions)
        let now = host.monotonicNanoseconds
        for action in actions {
            switch action {
            case .writeToServer(let buffer): connection?.write(buffer)
            case .flushServer: connection?.flush()
            case .responseHeadForCache(let head, let bytes): fill.begin(HeadBridge.response(head, bytes), now: now)
            case .responsePayload(let buffer): fill.append(buffer)
            case .interceptedResponse(let head, let bytes):
                _ = fill.notModified(HeadBridge.response(head, bytes), now: now)
                finish()
            case .responseEnded:
                fill.finish(now: now)
                finish()
            case .releaseServer(let reusable): release(reusable: reusable)
            case .serverFailed, .closeClient: finish()
            case .route, .writeToClient, .flushClient, .responseStarted, .pauseClientReads, .resumeClientReads, .openTunnel: break
            }
        }
    }

    private func release(reusable: Bool) {
        guard let connection else { return }
        self.connection = nil
        connection.handler.owner = nil
        if reusable { pool.giveBack(connection) } else { connection.close() }
    }

    /// Done, whichever way: the fill ends (storing nothing if it did not store already).
    private func finish() {
        guard !finished else { return }
        finished = true
        loop.refreshesInFlight -= 1
        deadline?.cancel()
        deadline = nil
        fill.abandon()
        release(reusable: false)
        host.connectionClosed(on: server)
    }

    // MARK: UpstreamOwner

    func upstreamRead(_ buffer: ByteBuffer) { perform { $0.serverBytes(buffer, now: Self.now, into: &$1) } }
    func upstreamReadComplete() {}
    func upstreamWritabilityChanged(isWritable: Bool) {}
    func upstreamClosed(_ connection: UpstreamConnection, error: Error?) {
        guard connection === self.connection else { return }
        perform { $0.serverClosed(now: Self.now, into: &$1) }
    }
}
