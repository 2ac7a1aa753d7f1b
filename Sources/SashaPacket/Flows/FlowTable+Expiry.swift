extension FlowTable {
    /// Removes expired connections among the next `budget` slots, resuming where the previous
    /// call stopped; returns how many were removed. `removing` sees each entry as it goes (the
    /// dispatcher tells the policy when an open connection ends by going idle).
    ///
    /// Bounded so a million-entry table never pauses the packet path: call it every few
    /// milliseconds with a budget of a few thousand slots, and the whole table is swept every
    /// capacity / budget calls. A removal shifts a later entry into the slot just looked at, so
    /// that slot is looked at again.
    @inlinable
    @discardableResult
    public mutating func expire(now: UInt64, budget: Int, removing: (Entry) -> Void = { _ in }) -> Int {
        var removed = 0
        var remaining = budget
        var cursor = _sweepCursor & _mask
        while remaining > 0 {
            remaining &-= 1
            let entry = _slots[cursor]
            if !entry._isEmpty, _isExpired(entry, now: now) {
                removing(entry)
                _removeSlot(cursor)
                removed &+= 1
            } else {
                cursor = (cursor &+ 1) & _mask
            }
        }
        _sweepCursor = cursor
        return removed
    }

    /// Removes every expired connection in one pass (for tests and shutdown, not the packet path).
    @discardableResult
    public mutating func expireAll(now: UInt64) -> Int {
        var removed = 0
        var index = 0
        while index < _slots.count {
            let entry = _slots[index]
            if !entry._isEmpty, _isExpired(entry, now: now) {
                _removeSlot(index)
                removed += 1
            } else {
                index += 1
            }
        }
        return removed
    }
}
