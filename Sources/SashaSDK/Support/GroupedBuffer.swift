/// Per-group lists of trivial values in one flat allocation, for tables read on every pick.
///
/// Why not `[[T]]`: taking `lists[group]` out of a Swift array retains its buffer, an atomic
/// increment on a reference count that every picking thread shares, so two threads picking at
/// once bounce that cache line between cores (measured: 106 ns a pick on one thread, ~390 ns on
/// two). A raw buffer is read without any reference counting.
public final class GroupedBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline let elements: UnsafeMutableBufferPointer<Element>
    /// `starts[g] ..< starts[g + 1]` are group g's elements.
    @usableFromInline let starts: UnsafeMutableBufferPointer<Int>

    public init(_ groups: [[Element]]) {
        elements = .allocate(capacity: max(1, groups.reduce(0) { $0 + $1.count }))
        starts = .allocate(capacity: groups.count + 1)
        var next = 0
        for (index, group) in groups.enumerated() {
            starts[index] = next
            for element in group {
                elements[next] = element
                next += 1
            }
        }
        starts[groups.count] = next
    }

    deinit {
        elements.deallocate()
        starts.deallocate()
    }

    public var groupCount: Int { starts.count - 1 }

    /// Group `group`'s elements, valid while this buffer lives (use inside `SnapshotCell.read`).
    @inlinable
    public subscript(group: Int) -> UnsafeBufferPointer<Element> {
        let start = starts[group]
        return UnsafeBufferPointer(rebasing: elements[start..<starts[group + 1]])
    }
}
