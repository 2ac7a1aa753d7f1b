import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import SashaBase
#endif

/// Holds an immutable snapshot that many threads read while one thread now and then replaces it:
/// the shape of a policy's server table, read on every `pick` and replaced when the ring changes.
///
/// Readers take no lock. It is a two-slot read-copy-update: the current snapshot sits in slot
/// `generation & 1`. A reader announces itself on that slot's reader count and checks the
/// generation did not move meanwhile (else it retries). A writer fills the *other* slot, bumps the
/// generation, waits until the old slot's readers have left, then frees the old snapshot. So a
/// snapshot is never freed while someone reads it, and not kept a moment longer.
///
/// Reader counts are striped: each thread counts on one of `stripes` counters, each on its own
/// cache line, picked by its thread id, so readers on different cores do not fight over one line
/// (measured: 45 ns per read with one shared counter on two threads, 5–8 ns striped). The writer,
/// which is rare, sums the stripes.
public final class SnapshotCell<Value: AnyObject & Sendable>: @unchecked Sendable {
    /// A reader count alone on its cache line (128 bytes: two lines, against adjacent-line prefetch).
    @usableFromInline
    struct Stripe: ~Copyable {
        @usableFromInline let count = Atomic<Int>(0)
        let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        init() {}
    }

    @usableFromInline static var stripes: Int { 16 }

    @usableFromInline let generation = Atomic<UInt64>(0)
    /// `stripes` counters for slot 0, then `stripes` for slot 1.
    @usableFromInline let readers: UnsafeMutablePointer<Stripe>
    /// Slots are written only by the (serialised) writer while no reader can be using that slot.
    @usableFromInline let slots: UnsafeMutablePointer<Unmanaged<Value>?>
    /// Serialises writers; counts the snapshots published. (Not `Protected(())`: ThreadSanitizer
    /// reported races on the empty value's accesses under the lock.)
    private let writers = Protected<UInt64>(0)

    public init(_ initial: Value) {
        slots = .allocate(capacity: 2)
        slots.initialize(to: .passRetained(initial))
        (slots + 1).initialize(to: nil)
        readers = .allocate(capacity: 2 * Self.stripes)
        for index in 0..<(2 * Self.stripes) { (readers + index).initialize(to: Stripe()) }
    }

    deinit {
        slots[0]?.release()
        slots[1]?.release()
        slots.deallocate()
        readers.deinitialize(count: 2 * Self.stripes)
        readers.deallocate()
    }

    /// Runs `body` with the current snapshot. The snapshot must not escape `body`.
    @inlinable
    public func read<Result>(_ body: (Value) throws -> Result) rethrows -> Result {
        let stripe = Self.stripeOfCurrentThread
        while true {
            let seen = generation.load(ordering: .sequentiallyConsistent)
            let slot = Int(seen & 1)
            let counter = readers + (slot * Self.stripes + stripe)
            counter.pointee.count.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if generation.load(ordering: .sequentiallyConsistent) == seen {
                defer { counter.pointee.count.wrappingSubtract(1, ordering: .releasing) }
                return try slots[slot]!._withUnsafeGuaranteedRef(body)
            }
            counter.pointee.count.wrappingSubtract(1, ordering: .releasing)
        }
    }

    /// Publishes a new snapshot and frees the one it replaces as soon as the reads that were
    /// using it have finished (the writer waits for them; they last a pick). Concurrent writers
    /// are serialised; readers never wait.
    public func replace(with value: Value) {
        writers.withLock { published in
            publish(value)
            published += 1
        }
    }

    /// Replaces the snapshot with `transform` of the current one (nil keeps it), under the
    /// writers' lock: two threads that each add something to the snapshot cannot lose one
    /// another's change, as a read followed by `replace` could.
    public func update(_ transform: (Value) -> Value?) {
        writers.withLock { published in
            let current = slots[Int(generation.load(ordering: .sequentiallyConsistent) & 1)]!.takeUnretainedValue()
            if let next = transform(current) {
                publish(next)
                published += 1
            }
        }
    }

    /// The body of `replace`; the caller holds the writers' lock.
    private func publish(_ value: Value) {
        let current = generation.load(ordering: .sequentiallyConsistent)
        let old = Int(current & 1)
        let spare = old ^ 1
        // The spare slot was emptied by the previous replace, whose readers had all left.
        slots[spare] = .passRetained(value)
        generation.store(current + 1, ordering: .sequentiallyConsistent)
        // New readers see the new generation; wait for those still on the old snapshot. A
        // reader that announces itself on the old slot from now on fails its generation check
        // and retries without touching the slot.
        while readerCount(old) != 0 { sched_yield() }
        let retired = slots[old]
        slots[old] = nil
        retired?.release()
    }

    /// The current snapshot, retained: for control-path code that wants to keep it a while.
    public var value: Value { read { $0 } }

    /// A stripe per thread: a mix of the thread's id, cheap to read (a thread-local register).
    @inlinable
    static var stripeOfCurrentThread: Int {
        #if canImport(Glibc)
        let id = UInt64(pthread_self())
        #else
        let id = UInt64(UInt(bitPattern: pthread_self()))
        #endif
        return Int(truncatingIfNeeded: FlowHash.mix(id)) & (stripes - 1)
    }

    private func readerCount(_ slot: Int) -> Int {
        var total = 0
        for stripe in 0..<Self.stripes {
            total &+= readers[slot * Self.stripes + stripe].count.load(ordering: .sequentiallyConsistent)
        }
        return total
    }
}
