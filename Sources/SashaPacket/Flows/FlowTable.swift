import SashaBase

/// The L4 strategies' connection map: (client address, client port, cluster port) → server, with
/// the time each connection last carried a packet and whether it is closing.
///
/// Open addressing with linear probing over one flat array of 24-byte entries: a lookup is a hash
/// and, usually, one or two adjacent slots; nothing is allocated per packet (the table grows by
/// doubling only past its load factor, and `reserve(_:)` makes even that happen up front).
/// Deletion shifts the following entries of the run back (no tombstones), so lookups never slow
/// down as connections come and go.
///
/// Time is the caller's: `now` is any monotonic UInt64 (nanoseconds by default, since the default
/// timeouts are in nanoseconds; pass timeouts in ticks when using ticks). Tests run it on virtual
/// time. A value type; keep one per strategy instance, touched by one thread.
///
/// A NAT reply (source = server:clusterPort, destination = client:clientPort) maps back with the
/// same key as the request, because the server listens on the cluster port: see
/// `FlowKey.init(reply:)`.
public struct FlowTable: Sendable {
    /// Default idle timeout: 15 minutes, in nanoseconds.
    public static let defaultIdleTimeout: UInt64 = 15 * 60 * 1_000_000_000
    /// Default linger after a FIN or RST: 2 seconds, in nanoseconds.
    public static let defaultLinger: UInt64 = 2 * 1_000_000_000

    /// An open entry expires once more than this has passed since its last packet.
    public var idleTimeout: UInt64
    /// A closing entry expires once more than this has passed since its FIN or RST.
    public var linger: UInt64
    /// An embryonic entry (SYN only) expires once more than this has passed since its last SYN.
    public var embryonicTimeout: UInt64
    /// Default embryonic timeout: 10 seconds (a client's SYN retransmissions, 1, 2 and 4 s apart,
    /// keep a real one alive meanwhile).
    public static let defaultEmbryonicTimeout: UInt64 = 10 * 1_000_000_000

    @usableFromInline var _slots: ContiguousArray<Entry>
    @usableFromInline var _mask: Int
    @usableFromInline var _count: Int
    /// Keys are chosen by clients; a per-table secret in the hash keeps them from building long
    /// probe runs on purpose.
    @usableFromInline let _seed: UInt64
    /// Where the incremental sweep resumes.
    @usableFromInline var _sweepCursor: Int

    /// - Parameters:
    ///   - minimumCapacity: entries the table holds before it first grows.
    ///   - seed: hash secret; random by default, fixed in tests for reproducible layouts.
    public init(
        minimumCapacity: Int = 1024, idleTimeout: UInt64 = defaultIdleTimeout, linger: UInt64 = defaultLinger,
        embryonicTimeout: UInt64 = defaultEmbryonicTimeout, seed: UInt64 = UInt64.random(in: .min ... .max)
    ) {
        self.idleTimeout = idleTimeout
        self.linger = linger
        self.embryonicTimeout = embryonicTimeout
        self._seed = seed
        let capacity = Self._slotCount(for: minimumCapacity)
        self._slots = ContiguousArray(repeating: Entry(_empty: ()), count: capacity)
        self._mask = capacity - 1
        self._count = 0
        self._sweepCursor = 0
    }

    /// Connections held.
    @inlinable public var count: Int { _count }
    @inlinable public var isEmpty: Bool { _count == 0 }
    /// Slots allocated (a power of two).
    @inlinable public var capacity: Int { _slots.count }
    /// Bytes of the slot array: capacity × entry stride. What a million connections cost.
    @inlinable public var byteCount: Int { _slots.count &* MemoryLayout<Entry>.stride }

    /// At most 3/4 of the slots are used: linear probing's expected probe length stays short
    /// (about 2.5 slots for a miss at the limit, fewer on average).
    @inlinable
    static func _fits(_ count: Int, in slots: Int) -> Bool { count &* 4 <= slots &* 3 }

    @inlinable
    static func _slotCount(for entries: Int) -> Int {
        var slots = 16
        while !_fits(entries, in: slots) { slots &*= 2 }
        return slots
    }

    @inlinable
    func _home(_ packed: UInt64) -> Int { Int(truncatingIfNeeded: FlowHash.mix(packed ^ _seed)) & _mask }

    @inlinable
    func _isExpired(_ entry: Entry, now: UInt64) -> Bool {
        // A clock behind the entry (imported from another member) counts as fresh.
        guard now > entry.lastSeen else { return false }
        let age = now &- entry.lastSeen
        switch entry._state {
        case FlowState.closing.rawValue: return age > linger
        case FlowState.embryonic.rawValue: return age > embryonicTimeout
        default: return age > idleTimeout
        }
    }

    /// The slot holding `packed`, or nil.
    @inlinable
    func _find(_ packed: UInt64) -> Int? {
        var index = _home(packed)
        while true {
            let entry = _slots[index]
            if entry._isEmpty { return nil }
            if entry._key == packed { return index }
            index = (index &+ 1) & _mask
        }
    }

    // MARK: Per packet

    /// The server of a live connection, refreshing its last-seen time; nil when unknown or
    /// expired (an expired entry is removed on the spot).
    ///
    /// Pass the client segment's flags: FIN or RST moves the connection to `.closing`, which ends
    /// it `linger` later instead of at once, so retransmitted FINs and the last ACKs still reach
    /// the same server. A closing entry's time is not refreshed, so the linger is counted from the
    /// first FIN or RST.
    @inlinable
    public mutating func lookup(_ key: FlowKey, now: UInt64, flags: TCPFlags = []) -> IPv4Address? {
        var transition = Transition.none
        return lookup(key, now: now, flags: flags, transition: &transition)
    }

    /// `lookup`, saying what the segment did to the connection's state. An embryonic entry is
    /// refreshed by each SYN and established by the client's ACK; its FIN or RST removes it (it
    /// was never counted open, so there is nothing to count closed).
    @inlinable
    public mutating func lookup(_ key: FlowKey, now: UInt64, flags: TCPFlags, transition: inout Transition) -> IPv4Address? {
        transition = .none
        guard let index = _find(key.packed) else { return nil }
        let entry = _slots[index]
        if _isExpired(entry, now: now) {
            _removeSlot(index)
            if entry._state == FlowState.open.rawValue { transition = .expired(server: IPv4Address(entry._server)) }
            return nil
        }
        switch entry._state {
        case FlowState.open.rawValue:
            _slots[index].lastSeen = now
            if flags.endsConnection {
                _slots[index]._state = FlowState.closing.rawValue
                transition = .ended
            }
        case FlowState.embryonic.rawValue:
            if flags.endsConnection {
                _removeSlot(index)
            } else {
                _slots[index].lastSeen = now
                if flags.contains(.ack), !flags.contains(.syn) {
                    _slots[index]._state = FlowState.open.rawValue
                    transition = .established
                }
            }
        default:
            break
        }
        return IPv4Address(entry._server)
    }

    /// The entry for `key` as stored, expired or not, without refreshing it.
    @inlinable
    public func entry(for key: FlowKey) -> Entry? {
        guard let index = _find(key.packed) else { return nil }
        return _slots[index]
    }

    /// Removes every connection, keeping the slots allocated.
    public mutating func removeAll() {
        _slots = ContiguousArray(repeating: Entry(_empty: ()), count: _slots.count)
        _count = 0
        _sweepCursor = 0
    }

    /// Whether `entry` has outlived its state's timeout at `now` (the sweep has not removed it yet).
    @inlinable
    public func isExpired(_ entry: Entry, now: UInt64) -> Bool { _isExpired(entry, now: now) }

    /// Adds a connection or replaces the one with the same key (a reused client port starts a
    /// new, open connection). Returns true when the key was new. Allocates only when the table
    /// grows past its load factor (see `reserve(_:)`).
    @inlinable
    @discardableResult
    public mutating func insert(_ key: FlowKey, server: IPv4Address, now: UInt64, state: FlowState = .open) -> Bool {
        _insert(Entry(key: key, server: server, lastSeen: now, state: state))
    }

    /// Stores `entry` under its key; true when the key was new.
    @inlinable
    mutating func _insert(_ entry: Entry) -> Bool {
        if !Self._fits(_count &+ 1, in: _slots.count) { _resize(to: _slots.count &* 2) }
        var index = _home(entry._key)
        while true {
            let slot = _slots[index]
            if slot._isEmpty {
                _slots[index] = entry
                _count &+= 1
                return true
            }
            if slot._key == entry._key {
                _slots[index] = entry
                return false
            }
            index = (index &+ 1) & _mask
        }
    }

    /// Removes the connection and returns it, or nil when absent.
    @inlinable
    @discardableResult
    public mutating func remove(_ key: FlowKey) -> Entry? {
        guard let index = _find(key.packed) else { return nil }
        let entry = _slots[index]
        _removeSlot(index)
        return entry
    }

    /// Backward-shift deletion: walks the run after the hole and moves back every entry whose
    /// home slot is at or before the hole (cyclically), so no run is ever broken and no tombstone
    /// is needed.
    @inlinable
    mutating func _removeSlot(_ index: Int) {
        var hole = index
        var next = index
        while true {
            next = (next &+ 1) & _mask
            let entry = _slots[next]
            if entry._isEmpty { break }
            let fromHome = (next &- _home(entry._key)) & _mask
            let fromHole = (next &- hole) & _mask
            if fromHome >= fromHole {
                _slots[hole] = entry
                hole = next
            }
        }
        _slots[hole] = Entry(_empty: ())
        _count &-= 1
    }

    // MARK: Capacity

    /// Makes room for `entries` connections without growing again (the allocation happens now,
    /// not on a packet).
    public mutating func reserve(_ entries: Int) {
        let needed = Self._slotCount(for: entries)
        if needed > _slots.count { _resize(to: needed) }
    }

    @usableFromInline
    mutating func _resize(to capacity: Int) {
        let old = _slots
        _slots = ContiguousArray(repeating: Entry(_empty: ()), count: capacity)
        _mask = capacity - 1
        _count = 0
        _sweepCursor = 0
        for entry in old where !entry._isEmpty { _ = _insert(entry) }
    }
}
