/// Iterating and bulk import: "which connections do you hold?" lists, and handing connections to
/// another member (or a restarted process) without losing them.
extension FlowTable: Sequence {
    /// Walks the slots in table order (which is hash order: unordered for the caller).
    public struct Iterator: IteratorProtocol {
        @usableFromInline let _slots: ContiguousArray<Entry>
        @usableFromInline var _index: Int

        @inlinable
        init(_slots: ContiguousArray<Entry>) {
            self._slots = _slots
            self._index = 0
        }

        @inlinable
        public mutating func next() -> Entry? {
            while _index < _slots.count {
                let entry = _slots[_index]
                _index &+= 1
                if !entry._isEmpty { return entry }
            }
            return nil
        }
    }

    @inlinable
    public func makeIterator() -> Iterator { Iterator(_slots: _slots) }

    @inlinable
    public var underestimatedCount: Int { _count }

    /// Adds `entries`, keeping their times and states. Where a key is already held, the entry
    /// seen most recently wins. Grows once for the whole batch.
    @inlinable
    public mutating func importEntries(_ entries: some Sequence<Entry>) {
        reserve(_count &+ entries.underestimatedCount)
        for var entry in entries {
            // Normalise the state byte: an imported empty marker must not be stored as empty.
            entry.state = entry.state
            if let index = _find(entry._key), _slots[index].lastSeen >= entry.lastSeen { continue }
            _ = _insert(entry)
        }
    }
}
