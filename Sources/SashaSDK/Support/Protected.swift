import Foundation

/// A value behind a lock, for control-path state (registries, caches) that several threads touch
/// rarely. Uses a pthread mutex (NSLock) rather than `Synchronization.Mutex`: on Linux the latter
/// is built on raw futexes, which ThreadSanitizer cannot see, so it reports false races.
public final class Protected<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
