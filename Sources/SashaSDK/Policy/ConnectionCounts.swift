import Synchronization

/// Live connection count of one server, shared by every snapshot that lists that server, so a
/// change of the server list keeps the counts of servers that stay.
public final class ConnectionCount: Sendable {
    public let active = Atomic<Int>(0)

    public init() {}

    @inlinable public var value: Int { active.load(ordering: .relaxed) }

    @inlinable public func opened() { active.wrappingAdd(1, ordering: .relaxed) }

    /// Counts a close, never below zero: after a live policy swap, closes arrive for connections
    /// the new policy never saw open, and a negative count would draw every new flow.
    @inlinable public func closed() {
        var current = active.load(ordering: .relaxed)
        while current > 0 {
            let (exchanged, original) = active.weakCompareExchange(
                expected: current, desired: current - 1, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

/// Hands out one `ConnectionCount` per server address for the life of a policy instance.
/// Touched only when the server list changes, never on the data path.
public final class ConnectionCountRegistry: Sendable {
    private let counts = Protected<[IPv4Address: ConnectionCount]>([:])

    public init() {}

    /// The counters for these servers, in the same order; a server seen before keeps its count.
    public func counts(for servers: [Server]) -> [ConnectionCount] {
        counts.withLock { table in
            servers.map { server in
                if let existing = table[server.address] { return existing }
                let fresh = ConnectionCount()
                table[server.address] = fresh
                return fresh
            }
        }
    }
}
