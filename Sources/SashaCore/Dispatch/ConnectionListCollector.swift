import SashaSDK

/// A new dispatcher's view of the lists it asked for: which member's list is complete, which
/// chunks are still missing, and whom to ask again. Pure: the runner sends the requests, keeps the
/// clock and imports what `received` hands back.
///
/// Each member is asked under a number of its own (the first request's for everyone asked
/// together, a fresh one for a member asked again), so that chunks of an abandoned answer, still
/// on their way, are not counted against the new one, whose list may have changed since.
struct ConnectionListCollector: Sendable {
    struct Progress: Sendable {
        var id: UInt64
        /// Every number the member was asked under: a chunk of an abandoned answer still shows
        /// that the member is sending (it is not silent), though it is not loaded.
        var ids: Set<UInt64>
        /// When the member was first asked (for the log), and when it was last asked or last
        /// sent a chunk (for patience: a long list still arriving is not overdue).
        var firstAskedAt: UInt64
        var lastHeard: UInt64
        var asks: Int
        var total: UInt32?
        var received: Set<UInt32> = []
        var complete: Bool { total.map { UInt32(received.count) == $0 } ?? false }
    }

    /// How long a member may stay silent with its list incomplete before it is asked again, and
    /// how often it is asked at most.
    static let patience: UInt64 = 300_000_000
    static let maximumAsks = 5

    private(set) var progress: [IPv4Address: Progress] = [:]
    /// Connections handed back for import so far.
    private(set) var imported = 0

    /// `members` were asked under `id` at `now`.
    mutating func asked(_ members: [IPv4Address], id: UInt64, now: UInt64) {
        for member in members {
            let earlier = progress[member]
            progress[member] = Progress(id: id, ids: (earlier?.ids ?? []).union([id]), firstAskedAt: earlier?.firstAskedAt ?? now,
                                        lastHeard: now, asks: (earlier?.asks ?? 0) + 1)
        }
    }

    /// A chunk from `member`: the connections to import (nil for a chunk of no current request,
    /// or a repeat), and whether it completed the member's list.
    mutating func received(_ chunk: ConnectionLists.Chunk, from member: IPv4Address, now: UInt64)
        -> (connections: [Connection], completed: Bool)? {
        guard var entry = progress[member], !entry.complete else { return nil }
        guard entry.id == chunk.id else {
            if entry.ids.contains(chunk.id) { progress[member]?.lastHeard = now }
            return nil
        }
        if let total = entry.total, total != chunk.total { return nil }
        entry.total = chunk.total
        entry.lastHeard = now
        guard entry.received.insert(chunk.index).inserted else { return nil }
        progress[member] = entry
        imported += chunk.connections.count
        return (chunk.connections, entry.complete)
    }

    /// Forgets members no longer in `view`: one that comes back (a healed partition, a restart)
    /// holds other connections now and is asked afresh.
    mutating func keep(_ view: Set<IPv4Address>) {
        progress = progress.filter { view.contains($0.key) }
    }

    /// Members whose list is incomplete `patience` after they were asked, and that may be asked
    /// again; members no longer in `view` are forgotten.
    mutating func overdue(now: UInt64, view: Set<IPv4Address>) -> [IPv4Address] {
        keep(view)
        return progress.filter { !$0.value.complete && now &- $0.value.lastHeard >= Self.patience && $0.value.asks < Self.maximumAsks }
            .keys.sorted()
    }

    var completeCount: Int { progress.values.filter(\.complete).count }
    /// Members still owing a list that may be asked again: while there are any, keep checking.
    var awaited: [IPv4Address] {
        progress.filter { !$0.value.complete && $0.value.asks < Self.maximumAsks }.keys.sorted()
    }
    var pending: [IPv4Address] { progress.filter { !$0.value.complete }.keys.sorted() }

    /// When `member` was first asked; nil if it never was.
    func firstAskedAt(_ member: IPv4Address) -> UInt64? { progress[member]?.firstAskedAt }
}
