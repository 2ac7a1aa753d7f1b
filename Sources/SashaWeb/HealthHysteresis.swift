/// Turns a stream of probe results into a health state that does not flap: healthy falls after
/// `failuresToFall` consecutive failures and rises again after `successesToRise` consecutive
/// successes. Pure; the monitor feeds it.
///
/// Before the first result the state is unknown, and the first result decides it at once: with
/// nothing to protect yet, waiting would only delay the first report.
public struct HealthHysteresis: Equatable, Sendable {
    public let failuresToFall: Int
    public let successesToRise: Int
    /// Nil until the first result.
    public private(set) var isHealthy: Bool?
    private var streak = 0

    public init(failuresToFall: Int = 2, successesToRise: Int = 1) {
        self.failuresToFall = max(1, failuresToFall)
        self.successesToRise = max(1, successesToRise)
    }

    /// Records one probe result; returns the new state when it changed (or was first decided).
    public mutating func record(success: Bool) -> Bool? {
        guard let current = isHealthy else {
            isHealthy = success
            return success
        }
        guard success != current else {
            streak = 0
            return nil
        }
        streak += 1
        guard streak >= (success ? successesToRise : failuresToFall) else { return nil }
        streak = 0
        isHealthy = success
        return success
    }
}
