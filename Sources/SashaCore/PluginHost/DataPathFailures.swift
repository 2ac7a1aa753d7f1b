import SashaSDK

/// Where a strategy's `host->data_path_failed` goes: to whoever runs the strategy
/// (`StrategyRunner`), which hands the dispatcher role over. One per process, like
/// `ServerExclusions`: every plugin's host table reaches it, and the runner is made after the
/// plugins are loaded.
public final class DataPathFailures: @unchecked Sendable {
    public static let shared = DataPathFailures()

    private let listener = Protected<(@Sendable (String) -> Void)?>(nil)

    init() {}

    /// Called with each report's reason, on the reporting thread; replaces any earlier listener.
    public func setListener(_ listener: (@Sendable (String) -> Void)?) {
        self.listener.withLock { $0 = listener }
    }

    /// A strategy's report; dropped when nobody listens (validation-only plugin loads).
    public func report(_ reason: String) {
        listener.withLock { $0 }?(reason)
    }
}
