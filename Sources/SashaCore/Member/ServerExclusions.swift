import Foundation
import SashaSDK

/// Servers a strategy asked to leave out of new flows for a while (`host->exclude_server`), with
/// the time each comes back. One per member (`HostServices`), like `CurrentPolicy`. Whoever owns
/// the server list (`StrategyRunner`) listens for changes and hands the policy and the strategy a
/// list with those servers marked down.
public final class ServerExclusions: @unchecked Sendable {
    private struct State {
        var until: [IPv4Address: UInt64] = [:]
        var listener: (@Sendable () -> Void)?
    }

    private let state = Protected(State())
    private let timers = DispatchQueue(label: "sasha.server-exclusions")

    public init() {}

    /// Called on every change, on an arbitrary thread; replaces any earlier listener.
    public func setListener(_ listener: (@Sendable () -> Void)?) {
        state.withLock { $0.listener = listener }
    }

    /// Whether `server` is excluded at `now` (monotonic nanoseconds).
    public func isExcluded(_ server: IPv4Address, now: UInt64 = MonotonicClock.nanoseconds) -> Bool {
        state.withLock { ($0.until[server] ?? 0) > now }
    }

    /// Leaves `server` out until `duration` nanoseconds from now; 0 puts it back at once.
    public func exclude(_ server: IPv4Address, forNanoseconds duration: UInt64) {
        let now = MonotonicClock.nanoseconds
        let listener = state.withLock { state -> (@Sendable () -> Void)? in
            if duration == 0 { state.until[server] = nil } else { state.until[server] = now &+ duration }
            return state.listener
        }
        listener?()
        guard duration > 0 else { return }
        timers.asyncAfter(deadline: .now() + .nanoseconds(Int(min(duration, UInt64(Int.max))))) { [self] in
            // Put it back unless a later call changed its time.
            let listener = state.withLock { state -> (@Sendable () -> Void)? in
                guard let until = state.until[server], until <= MonotonicClock.nanoseconds else { return nil }
                state.until[server] = nil
                return state.listener
            }
            listener?()
        }
    }
}
