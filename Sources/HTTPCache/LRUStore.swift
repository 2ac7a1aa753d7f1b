import NIOHTTP1

/// The bounded store: for each key its variants, newest first, and one least-recently-used list
/// through all entries (indices into a slot array, so a hit moves an entry without allocating).
/// Not thread-safe: `ResponseCache` keeps it behind its lock.
struct LRUStore {
    /// Why entries left the store (the cache's statistics).
    struct Removals: Equatable {
        var evictions = 0
        var expirations = 0
        var invalidations = 0
    }

    private struct Slot {
        var key: CacheKey
        var entry: StoredResponse
        var newer: Int
        var older: Int
    }

    private static let none = -1

    /// Variants kept per key. A lookup walks a key's variants under the cache's lock, so a
    /// response that varies on something like `User-Agent` must not grow that walk without end:
    /// past this many, the oldest variant of the key makes room.
    static let maxVariantsPerKey = 16

    let capacity: Int
    private var slots: [Slot?] = []
    private var freeSlots: [Int] = []
    private var newest = none
    private var oldest = none
    private var variants: [CacheKey: [Int]] = [:]
    private(set) var bytes = 0
    private(set) var count = 0
    private(set) var removals = Removals()

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The newest variant of `key` for `request`, moved to the front of the LRU list: fresh, or
    /// stale but still of use (to revalidate, or to serve stale for a while). Stale variants of no
    /// more use met on the way are dropped.
    mutating func find(_ key: CacheKey, request: HTTPHeaders, isHead: Bool, now: UInt64) -> StoredResponse? {
        guard let indices = variants[key] else { return nil }
        for index in indices {
            let entry = slots[index]!.entry
            guard entry.isFresh(at: now) || entry.staleUse.keeps(staleness: entry.staleness(at: now)) else {
                remove(index)
                removals.expirations += 1
                continue
            }
            if entry.answers(request, isHead: isHead) {
                touch(index)
                return entry
            }
        }
        return nil
    }

    /// Stores `entry`, replacing the variants it supersedes (those the leading request would
    /// have used), evicting the least recently used until it fits. Returns false when the entry
    /// alone exceeds the capacity.
    @discardableResult
    mutating func insert(_ entry: StoredResponse, for key: CacheKey, request: HTTPHeaders) -> Bool {
        guard entry.cost <= capacity else { return false }
        for index in variants[key] ?? [] {
            let old = slots[index]!.entry
            // A GET entry supersedes HEAD-only ones too; a HEAD-only entry leaves GET entries be.
            if old.vary.matches(request), old.isBodyless || !entry.isBodyless {
                remove(index)
                removals.invalidations += 1
            }
        }
        if let indices = variants[key], indices.count >= Self.maxVariantsPerKey, let oldestVariant = indices.last {
            remove(oldestVariant)
            removals.evictions += 1
        }
        while bytes + entry.cost > capacity, oldest != Self.none {
            remove(oldest)
            removals.evictions += 1
        }
        let slot = Slot(key: key, entry: entry, newer: Self.none, older: newest)
        let index: Int
        if let free = freeSlots.popLast() {
            index = free
            slots[index] = slot
        } else {
            index = slots.count
            slots.append(slot)
        }
        if newest != Self.none { slots[newest]!.newer = index }
        newest = index
        if oldest == Self.none { oldest = index }
        variants[key, default: []].insert(index, at: 0)
        bytes += entry.cost
        count += 1
        return true
    }

    /// Drops every variant of `key` (an unsafe method went through to it).
    mutating func invalidate(_ key: CacheKey) {
        guard let indices = variants[key] else { return }
        for index in indices { remove(index) }
        removals.invalidations += indices.count
    }

    private mutating func touch(_ index: Int) {
        guard index != newest else { return }
        unlink(index)
        slots[index]!.older = newest
        slots[index]!.newer = Self.none
        slots[newest]!.newer = index
        newest = index
        if oldest == Self.none { oldest = index }
    }

    private mutating func remove(_ index: Int) {
        unlink(index)
        let slot = slots[index]!
        slots[index] = nil
        freeSlots.append(index)
        bytes -= slot.entry.cost
        count -= 1
        if var indices = variants.removeValue(forKey: slot.key) {
            indices.removeAll { $0 == index }
            if !indices.isEmpty { variants[slot.key] = indices }
        }
    }

    private mutating func unlink(_ index: Int) {
        let newer = slots[index]!.newer
        let older = slots[index]!.older
        if newer != Self.none { slots[newer]!.older = older } else { newest = older }
        if older != Self.none { slots[older]!.newer = newer } else { oldest = newer }
    }
}
