import Synchronization

/// What a capture session has seen, as a snapshot.
public struct CaptureCounters: Sendable, Equatable {
    /// Frames handed to the handler.
    public var received: UInt64
    /// Frames the kernel dropped because the ring buffer was full (pcap_stats ps_drop): the
    /// handler is too slow or the buffer too small.
    public var droppedByKernel: UInt64
    /// Frames the interface or driver dropped (pcap_stats ps_ifdrop).
    public var droppedByInterface: UInt64
    /// Frames longer than the snap length, not handed on: a frame cut short must not be
    /// forwarded. On a real NIC this means GRO or LRO is on (`ethtool -K IFACE gro off lro off`).
    public var truncated: UInt64

    public init(received: UInt64 = 0, droppedByKernel: UInt64 = 0, droppedByInterface: UInt64 = 0, truncated: UInt64 = 0) {
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
        self.truncated = truncated
    }
}

/// What an injection handle has sent, as a snapshot.
public struct InjectionCounters: Sendable, Equatable {
    /// Frames the kernel accepted.
    public var injected: UInt64
    /// Frames pcap_inject refused (link down, frame too long, buffer full).
    public var failed: UInt64

    public init(injected: UInt64 = 0, failed: UInt64 = 0) {
        self.injected = injected
        self.failed = failed
    }
}

/// Counters written by one thread and read by any, without a lock.
///
/// Each counter has a single writer (the receive thread, or the injecting thread), so a relaxed
/// load and store is enough to count: no read-modify-write, no lock, nothing per frame but two
/// plain memory accesses. Readers see a recent value, which is all a statistics page needs.
final class RelaxedCounter: Sendable {
    private let value = Atomic<UInt64>(0)

    /// Adds `amount`; call from the counter's one writer thread only.
    @inline(__always)
    func add(_ amount: UInt64 = 1) {
        value.store(value.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    /// Adds `amount` from any thread (an atomic add: no lock, but a locked bus cycle).
    @inline(__always)
    func addShared(_ amount: UInt64 = 1) {
        value.wrappingAdd(amount, ordering: .relaxed)
    }

    /// Replaces the value (for totals that the kernel keeps, such as drops).
    @inline(__always)
    func set(_ newValue: UInt64) { value.store(newValue, ordering: .relaxed) }

    var current: UInt64 { value.load(ordering: .relaxed) }
}
