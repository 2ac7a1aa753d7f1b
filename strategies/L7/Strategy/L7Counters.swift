import Synchronization

/// The strategy's counters: atomics with relaxed ordering, bumped from every event loop without
/// a lock, read by `stats()` from the control thread.
final class L7Counters: Sendable {
    let requests = Atomic<Int>(0)
    let responses1xx = Atomic<Int>(0)
    let responses2xx = Atomic<Int>(0)
    let responses3xx = Atomic<Int>(0)
    let responses4xx = Atomic<Int>(0)
    let responses5xx = Atomic<Int>(0)
    let retries = Atomic<Int>(0)
    let upstreamConnectionsOpened = Atomic<Int>(0)
    let upstreamFailures = Atomic<Int>(0)
    let ejections = Atomic<Int>(0)
    /// Ejections not made: they would have left a group with too few servers.
    let ejectionsRefused = Atomic<Int>(0)
    let activeClientConnections = Atomic<Int>(0)
    let clientConnections = Atomic<Int>(0)
    /// The most bytes seen queued in one channel's outbound buffer after the proxy wrote to it:
    /// with backpressure this stays near the channel's high-water mark plus one read.
    let maxBufferedBytes = Atomic<Int>(0)

    func bump(_ counter: borrowing Atomic<Int>) { counter.wrappingAdd(1, ordering: .relaxed) }

    func countResponse(status code: UInt) {
        switch code {
        case 100..<200: bump(responses1xx)
        case 200..<300: bump(responses2xx)
        case 300..<400: bump(responses3xx)
        case 400..<500: bump(responses4xx)
        default: bump(responses5xx)
        }
    }

    func noteBuffered(_ bytes: Int) {
        var seen = maxBufferedBytes.load(ordering: .relaxed)
        while bytes > seen {
            let (exchanged, original) = maxBufferedBytes.compareExchange(expected: seen, desired: bytes, ordering: .relaxed)
            if exchanged { return }
            seen = original
        }
    }
}
