/// One seed's whole run, of either kind: built from the seed, played, and summed up as an outcome
/// (a failure becomes the outcome's message, with the virtual time it happened at).
protocol SimulationRun {
    init(seed: UInt64, trace: TraceLog?)
    var cluster: SimulatedCluster { get }
    var outcome: RunOutcome { get set }
    mutating func play() throws(SimulationFailure)
}

extension SimulationRun {
    static func run(seed: UInt64, trace: TraceLog? = nil) -> RunOutcome {
        let started = ContinuousClock.now
        var run = Self(seed: seed, trace: trace)
        do {
            try run.play()
        } catch {
            run.outcome.failure = "at \(formatTime(run.cluster.now)): \(error.description)"
        }
        run.outcome.events = run.cluster.eventsHandled
        run.outcome.virtualTime = run.cluster.now
        run.outcome.wallTime = ContinuousClock.now - started
        return run.outcome
    }
}
