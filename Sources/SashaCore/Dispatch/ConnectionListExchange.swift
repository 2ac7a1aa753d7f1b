#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import SashaSDK

/// State reconstruction (the spec's Figure 9) as one member takes part in it: as a new
/// dispatcher it asks every member for the connections it holds and loads their lists into the
/// strategy's map, asking again whoever has not answered in full (`ConnectionListCollector`); as
/// any member it answers a dispatcher's request with its own list (`ConnectionLists`).
///
/// Confined to the runner's queue, like every plugin call; only the paced sending of this
/// member's own list runs on a queue of its own, so that a long list does not hold up the rest.
final class ConnectionListExchange: @unchecked Sendable {
    /// Sends a ring message (`RingNode.submit`): channel, payload, one member or nil for all.
    typealias Messenger = @Sendable (_ channel: UInt8, _ payload: [UInt8], _ to: IPv4Address?) -> Void

    private let address: IPv4Address
    private let strategy: StrategyInstance
    private let queue: DispatchQueue
    private let logger: Logger
    /// Set once, before the first event (`StrategyRunner.messenger`).
    var messenger: Messenger?

    // Confined to `queue`.
    /// The current view's members (nil before the first view).
    private var members: [IPv4Address]?
    /// The lists this member asked for since it started dispatching (nil while it does not).
    private var lists: ConnectionListCollector?
    /// Whether a check of the lists is scheduled (one at a time).
    private var checkArmed = false

    /// Where this member's own list goes out, paced.
    private let listSender = DispatchQueue(label: "sasha.lists")
    /// The newest request each dispatcher made of this member: an answer still going out to an
    /// older one stops (the dispatcher would ignore it).
    private let newestRequest = Protected<[IPv4Address: UInt64]>([:])

    /// Chunks sent back to back before a 1 ms pause: about 10 MB/s per member, which the next
    /// members' ring sockets (their buffers capped by net.core.rmem_max, 208 KiB by default)
    /// absorb while several servers answer at once.
    static let chunksPerBurst = 8

    init(address: IPv4Address, strategy: StrategyInstance, queue: DispatchQueue, logger: Logger) {
        self.address = address
        self.strategy = strategy
        self.queue = queue
        self.logger = logger
    }

    /// The ring's members are now `members`.
    func viewChanged(_ members: [IPv4Address]) { self.members = members }

    // MARK: As the dispatcher

    /// This member started dispatching: it asks every member for the connections it holds.
    func startedDispatching() {
        let id = MonotonicClock.nanoseconds
        var collector = ConnectionListCollector()
        collector.asked(others(), id: id, now: id)
        lists = collector
        messenger?(RingChannel.connectionListRequest.rawValue, ConnectionLists.request(id: id), nil)
        checkLater()
    }

    /// This member stopped dispatching: lists still on their way are no longer loaded.
    func stoppedDispatching() { lists = nil }

    /// Members that joined while this member dispatches may hold connections on the VIP: after a
    /// healed partition, those the other side's dispatcher (now abdicated) gave them. Members
    /// already asked are not asked again here: a ring that just formed round a new dispatcher
    /// grows one member at a time while their lists are on the way.
    func membersJoined(_ joined: Set<IPv4Address>) {
        guard var collector = lists, let members else { return }
        collector.keep(Set(members))
        lists = collector
        let new = joined.filter { $0 != address && collector.firstAskedAt($0) == nil }
        guard !new.isEmpty else { return }
        ask(new.sorted())
        checkLater()
    }

    /// A chunk of a member's list: into the strategy's map, if it answers this member's current
    /// request.
    func received(_ payload: [UInt8], from member: IPv4Address) {
        guard let chunk = ConnectionLists.decode(payload), var collector = lists,
              let (connections, completed) = collector.received(chunk, from: member, now: MonotonicClock.nanoseconds) else { return }
        lists = collector
        if !connections.isEmpty { strategy.importConnections(connections) }
        if completed {
            let since = (MonotonicClock.nanoseconds &- (collector.firstAskedAt(member) ?? chunk.id)) / 1_000_000
            logger.notice("connection list from \(member) complete: \(collector.imported) connections loaded from \(collector.completeCount) members so far, \(since) ms after the request")
        }
    }

    /// Asks `members` (addressed) under a fresh request number.
    private func ask(_ members: [IPv4Address]) {
        guard !members.isEmpty else { return }
        let id = MonotonicClock.nanoseconds
        lists?.asked(members, id: id, now: id)
        for member in members { messenger?(RingChannel.connectionListRequest.rawValue, ConnectionLists.request(id: id), member) }
    }

    /// After `patience`, asks again every member whose list is not complete (a chunk was lost on
    /// the way), and keeps checking while any is outstanding.
    private func checkLater() {
        guard !checkArmed else { return }
        checkArmed = true
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(ConnectionListCollector.patience))) { [self] in
            checkArmed = false
            guard var collector = lists, let members else { return }
            let overdue = collector.overdue(now: MonotonicClock.nanoseconds, view: Set(members))
            lists = collector
            if !overdue.isEmpty {
                logger.warning("asking \(overdue.map(\.description).joined(separator: ", ")) again for their connection lists: incomplete, and nothing came for \(ConnectionListCollector.patience / 1_000_000) ms")
                ask(overdue)
            }
            if !collector.awaited.isEmpty { checkLater() }
        }
    }

    private func others() -> [IPv4Address] { members?.filter { $0 != address } ?? [] }

    // MARK: As any member

    /// Every member answers a dispatcher's request: a server (`serving`) with its list, in
    /// chunks, a member that does not serve with an empty one. Chunks go in bursts, so that a
    /// list of 100,000 connections (1,000 chunks) does not overflow the next members' socket
    /// buffers at once.
    func requested(_ request: [UInt8], by dispatcher: IPv4Address, serving: Bool) {
        guard let id = ConnectionLists.requestID(request) else { return }
        let connections = serving ? strategy.connections() : []
        let chunks = ConnectionLists.chunks(connections, id: id)
        let messenger = messenger
        newestRequest.withLock { $0[dispatcher] = id }
        listSender.async { [self] in
            for (index, chunk) in chunks.enumerated() {
                if index > 0 && index % Self.chunksPerBurst == 0 {
                    usleep(1_000)
                    guard newestRequest.withLock({ $0[dispatcher] }) == id else { return }
                }
                messenger?(RingChannel.connectionList.rawValue, chunk, dispatcher)
            }
        }
        if !connections.isEmpty { logger.info("sending \(connections.count) connections to the dispatcher \(dispatcher)") }
    }
}
