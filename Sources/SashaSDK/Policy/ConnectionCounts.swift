import SashaBase
import Synchronization

/// Live connection count of one server, shared by every snapshot that lists that server, so a
/// change of the server list keeps the counts of servers that stay.
///
/// A plain handle to an atomic that its `ConnectionCountRegistry` owns: copying it or reading it in
/// a loop costs no reference counting, which a least-connections scan over every server would
/// otherwise pay twice per server per pick. Valid while the registry lives.
public struct ConnectionCount: @unchecked Sendable, BitwiseCopyable {
    @usableFromInline let storage: UnsafeMutablePointer<Atomic<Int>>

    init(storage: UnsafeMutablePointer<Atomic<Int>>) { self.storage = storage }

    @inlinable public var value: Int { storage.pointee.load(ordering: .relaxed) }

    @inlinable public func opened() { storage.pointee.wrappingAdd(1, ordering: .relaxed) }

    /// Counts a close, never below zero: after a live policy swap, closes arrive for connections
    /// the new policy never saw open, and a negative count would draw every new flow.
    @inlinable public func closed() {
        var current = storage.pointee.load(ordering: .relaxed)
        while current > 0 {
            let (exchanged, original) = storage.pointee.weakCompareExchange(
                expected: current, desired: current - 1, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

/// Hands out one `ConnectionCount` per server address for the life of a policy instance, and owns
/// their storage: keep the registry alive as long as any table holding its counts (`LoadTable`
/// does). Touched only when the server list changes, never on the data path.
public final class ConnectionCountRegistry: Sendable {
    private struct State {
        var byAddress: [IPv4Address: ConnectionCount] = [:]
        /// Counters are carved from slabs of `slabSize`, so a group's counters sit in a few cache
        /// lines (a least-connections scan reads them all) and never move once handed out.
        var slabs: [UnsafeMutablePointer<Atomic<Int>>] = []
        var usedInLastSlab = ConnectionCountRegistry.slabSize
    }

    static let slabSize = 64
    private let counts = Protected(State())

    public init() {}

    /// The counters for these servers, in the same order; a server seen before keeps its count.
    /// A server no longer listed starts again from zero if it comes back: the closes of its
    /// connections while it was away were never counted.
    public func counts(for servers: [Server]) -> [ConnectionCount] {
        counts.withLock { state in
            let listed = Set(servers.map(\.address))
            for (address, count) in state.byAddress where !listed.contains(address) {
                count.storage.pointee.store(0, ordering: .relaxed)
            }
            return servers.map { server in
                if let existing = state.byAddress[server.address] { return existing }
                if state.usedInLastSlab == Self.slabSize {
                    let slab = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: Self.slabSize)
                    for index in 0..<Self.slabSize { (slab + index).initialize(to: Atomic(0)) }
                    state.slabs.append(slab)
                    state.usedInLastSlab = 0
                }
                let fresh = ConnectionCount(storage: state.slabs[state.slabs.count - 1] + state.usedInLastSlab)
                state.usedInLastSlab += 1
                state.byAddress[server.address] = fresh
                return fresh
            }
        }
    }

    deinit {
        counts.withLock { state in
            for slab in state.slabs {
                slab.deinitialize(count: Self.slabSize)
                slab.deallocate()
            }
        }
    }
}
