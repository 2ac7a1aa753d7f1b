import SashaSDK

/// Where a strategy's `host->data_path_failed` goes: to whoever runs the strategy
/// (`StrategyRunner`), which hands the dispatcher role over. One per member (`HostServices`):
/// the member's host tables reach it, and the runner listens once it is made.
public final class DataPathFailures: @unchecked Sendable {
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
