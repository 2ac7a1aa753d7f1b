import Synchronization

/// Requests answered by one server, shared by all its connections and read from any thread.
final class RequestCounter: Sendable {
    private let count = Atomic<UInt64>(0)

    func increment() { count.add(1, ordering: .relaxed) }

    var value: UInt64 { count.load(ordering: .relaxed) }
}
