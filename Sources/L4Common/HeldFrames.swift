/// Frames of connections the map does not know yet, copied out of the capture ring while the
/// servers' connection lists arrive, to be sent on once they have (the spec's Figure 9: a new
/// dispatcher holds such frames briefly rather than dropping them).
///
/// A fixed pool allocated once: holding costs one copy and no allocation. First in, first out.
/// Used by the input capture's thread only.
@usableFromInline
final class HeldFrames {
    static let capacity = 256
    /// Room for a frame of a 2,000-byte MTU; a longer one is not held.
    static let slotSize = 2_048

    private let storage: UnsafeMutableRawPointer
    private var lengths: [Int]
    private var arrivals: [UInt64]
    private var head = 0
    private(set) var count = 0
    /// While `release` hands a frame over: when it first arrived, which it keeps if held again.
    private var releasedArrival: UInt64?

    init() {
        storage = UnsafeMutableRawPointer.allocate(byteCount: Self.capacity * Self.slotSize, alignment: 16)
        lengths = Array(repeating: 0, count: Self.capacity)
        arrivals = Array(repeating: 0, count: Self.capacity)
    }

    deinit { storage.deallocate() }

    @usableFromInline var isEmpty: Bool { count == 0 }

    /// Copies `frame` in; false when the pool is full or the frame does not fit.
    @usableFromInline func hold(_ frame: UnsafeMutableRawBufferPointer, now: UInt64) -> Bool {
        guard count < Self.capacity, frame.count <= Self.slotSize, let source = frame.baseAddress else { return false }
        let slot = (head + count) % Self.capacity
        let destination = storage + slot * Self.slotSize
        // A frame replayed from the slot that is the tail again (a full pool) stays where it is.
        if destination != source { destination.copyMemory(from: source, byteCount: frame.count) }
        lengths[slot] = frame.count
        arrivals[slot] = releasedArrival ?? now
        count += 1
        return true
    }

    /// Hands over each frame held when called, oldest first, and forgets it; one older than
    /// `maximumAge` goes to `expired` instead. `send` may hold a frame again (it goes to the back).
    func release(now: UInt64, maximumAge: UInt64, expired: () -> Void, send: (UnsafeMutableRawBufferPointer) -> Void) {
        for _ in 0..<count {
            let slot = head
            head = (head + 1) % Self.capacity
            count -= 1
            if now &- arrivals[slot] > maximumAge {
                expired()
                continue
            }
            releasedArrival = arrivals[slot]
            send(UnsafeMutableRawBufferPointer(start: storage + slot * Self.slotSize, count: lengths[slot]))
            releasedArrival = nil
        }
    }
}
