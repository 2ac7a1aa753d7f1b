import Synchronization

/// One atomic counter per server group: the rotors that round-robin style policies turn on every
/// pick. Relaxed increments: each pick needs a distinct ticket, not an ordering with other memory.
public final class GroupCounters: Sendable {
    @usableFromInline let counters: [Ticket]

    public final class Ticket: Sendable {
        @usableFromInline let value = Atomic<UInt>(0)
        init() {}
    }

    public init(count: Int) { counters = (0..<count).map { _ in Ticket() } }

    /// The next ticket of group `group`: 0, 1, 2, ... (wrapping).
    @inlinable
    public func next(_ group: Int) -> UInt {
        counters[group].value.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
