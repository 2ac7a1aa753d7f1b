import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds an immutable snapshot that many threads read while one thread now and then replaces it:
/// the shape of a policy's server table, read on every `pick` and replaced when the ring changes.
///
/// Readers take no lock: a read is two atomic increments on a reader count. It is a two-slot
/// read-copy-update. The current snapshot sits in slot `generation & 1`. A reader announces itself
/// on that slot's counter and checks the generation did not move meanwhile (else it retries). A
/// writer fills the *other* slot, but only once that slot's readers (who read the snapshot before
/// last) have left, then bumps the generation. So a snapshot is never freed while someone reads it.
public final class SnapshotCell<Value: AnyObject & Sendable>: @unchecked Sendable {
    @usableFromInline let generation = Atomic<UInt64>(0)
    @usableFromInline let readersOfSlot0 = Atomic<Int>(0)
    @usableFromInline let readersOfSlot1 = Atomic<Int>(0)
    /// Slots are written only by the (serialised) writer while no reader can be using that slot.
    @usableFromInline let slots: UnsafeMutablePointer<Unmanaged<Value>?>
    private let writer = Protected<Void>(())

    public init(_ initial: Value) {
        slots = .allocate(capacity: 2)
        slots.initialize(to: .passRetained(initial))
        (slots + 1).initialize(to: nil)
    }

    deinit {
        slots[0]?.release()
        slots[1]?.release()
        slots.deallocate()
    }

    /// Runs `body` with the current snapshot. The snapshot must not escape `body`.
    @inlinable
    public func read<Result>(_ body: (Value) throws -> Result) rethrows -> Result {
        while true {
            let seen = generation.load(ordering: .sequentiallyConsistent)
            let slot = Int(seen & 1)
            enter(slot)
            if generation.load(ordering: .sequentiallyConsistent) == seen {
                defer { leave(slot) }
                return try slots[slot]!._withUnsafeGuaranteedRef(body)
            }
            leave(slot)
        }
    }

    /// Publishes a new snapshot. Concurrent writers are serialised; readers never wait.
    public func replace(with value: Value) {
        writer.withLock { _ in
            let current = generation.load(ordering: .sequentiallyConsistent)
            let spare = Int((current + 1) & 1)
            // Readers still on the spare slot hold the snapshot before last: let them finish.
            while readerCount(spare) != 0 { sched_yield() }
            let retired = slots[spare]
            slots[spare] = .passRetained(value)
            generation.store(current + 1, ordering: .sequentiallyConsistent)
            // Nobody can reach `retired` any more: readers of its generation have left, and later
            // readers either see the new generation or retry.
            retired?.release()
        }
    }

    /// The current snapshot, retained: for control-path code that wants to keep it a while.
    public var value: Value { read { $0 } }

    @inlinable @inline(__always) func enter(_ slot: Int) {
        if slot == 0 {
            readersOfSlot0.wrappingAdd(1, ordering: .sequentiallyConsistent)
        } else {
            readersOfSlot1.wrappingAdd(1, ordering: .sequentiallyConsistent)
        }
    }

    @inlinable @inline(__always) func leave(_ slot: Int) {
        if slot == 0 {
            readersOfSlot0.wrappingSubtract(1, ordering: .releasing)
        } else {
            readersOfSlot1.wrappingSubtract(1, ordering: .releasing)
        }
    }

    private func readerCount(_ slot: Int) -> Int {
        slot == 0
            ? readersOfSlot0.load(ordering: .sequentiallyConsistent)
            : readersOfSlot1.load(ordering: .sequentiallyConsistent)
    }
}
