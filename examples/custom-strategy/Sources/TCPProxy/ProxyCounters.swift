import Synchronization

/// What `stats()` reports, counted without locks from every event loop.
final class ProxyCounters: Sendable {
    /// Client connections accepted on the VIP.
    let accepted = Atomic<Int>(0)
    /// Pairs (client and server connection) open now.
    let active = Atomic<Int>(0)
    /// Client connections closed because no server could take them.
    let failed = Atomic<Int>(0)

    var json: String {
        let accepted = accepted.load(ordering: .relaxed)
        let active = active.load(ordering: .relaxed)
        let failed = failed.load(ordering: .relaxed)
        return #"{"accepted":\#(accepted),"active":\#(active),"failed":\#(failed)}"#
    }
}
