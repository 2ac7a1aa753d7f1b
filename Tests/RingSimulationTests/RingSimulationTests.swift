import Foundation
import Testing

/// The deterministic simulator: real `RingMachine`s on virtual time. Each seed is one whole run;
/// a failing seed prints one line with how to replay it alone, and the last events of that seed.
///
///     SASHA_SIM_SEEDS=5000 swift test --scratch-path .build-sim --filter RingSimulationTests   # longer run
///     SASHA_SIM_SEED=1234  swift test --scratch-path .build-sim --filter RingSimulationTests   # one seed
@Suite struct RingSimulation {
    static let environment = ProcessInfo.processInfo.environment

    /// `SASHA_SIM_SEED=S`: that seed alone; else `SASHA_SIM_SEEDS=N` (default `ciSeeds`) seeds from 1.
    static func seeds(ciSeeds: UInt64) -> [UInt64] {
        if let one = environment["SASHA_SIM_SEED"].flatMap(UInt64.init) { return [one] }
        let count = environment["SASHA_SIM_SEEDS"].flatMap(UInt64.init) ?? ciSeeds
        return Array(1...max(1, count))
    }

    @Test func randomFaultSchedules() async {
        await Self.play(RandomRun.self, ciSeeds: 500, test: "randomFaultSchedules", title: "random schedules")
    }

    @Test func singleFaultInAQuietRing() async {
        await Self.play(SingleFaultRun.self, ciSeeds: 140, test: "singleFaultInAQuietRing", title: "single fault in a quiet ring")
    }

    /// Runs the seeds of one kind of run on every core, reports each failure with its replay line
    /// and trace, and prints the figures.
    static func play<Run: SimulationRun>(_: Run.Type, ciSeeds: UInt64, test: String, title: String) async {
        let started = ContinuousClock.now
        let outcomes = await runInParallel(seeds(ciSeeds: ciSeeds)) { Run.run(seed: $0) }
        for outcome in outcomes where outcome.failure != nil {
            report(outcome, test: test) { Run.run(seed: $0, trace: $1) }
        }
        printFigures(title, outcomes, elapsed: ContinuousClock.now - started)
    }

    /// One seed replays exactly: the same events, the same virtual time, the same convergence
    /// times, whether it runs alone or beside others.
    @Test func aSeedReplaysExactly() {
        for seed: UInt64 in [3] {
            let first = RandomRun.run(seed: seed), second = RandomRun.run(seed: seed)
            #expect(first.events == second.events && first.virtualTime == second.virtualTime && first.failure == second.failure)
            #expect(first.convergences.map(\.time) == second.convergences.map(\.time))
            let single = SingleFaultRun.run(seed: seed), again = SingleFaultRun.run(seed: seed)
            #expect(single.events == again.events && single.virtualTime == again.virtualTime)
        }
    }

    /// Runs seeds on every core; each seed's run is independent of the others and of the order.
    /// Plain threads rather than a task group: the runs are long synchronous work that should not
    /// hold the cooperative pool's threads.
    static func runInParallel(_ seeds: [UInt64], _ body: @escaping @Sendable (UInt64) -> RunOutcome) async -> [RunOutcome] {
        let workers = max(1, min(seeds.count, ProcessInfo.processInfo.activeProcessorCount))
        // The biggest rings first, so that none of them is left running alone at the end.
        let shared = SharedResults(seeds.filter { $0 % 500 == 0 } + seeds.filter { $0 % 500 != 0 })
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let finished = SharedCounter()
            for _ in 0..<workers {
                let thread = Thread {
                    while let seed = shared.nextSeed() { shared.add(body(seed)) }
                    if finished.increment() == workers { done.resume() }
                }
                thread.stackSize = 8 << 20
                thread.start()
            }
        }
        return shared.results.sorted { $0.seed < $1.seed }
    }
}

/// Prints the one line and the trace of a failed seed, after replaying it with a trace (which
/// also proves the run deterministic: the replay must fail the same way).
func report(_ outcome: RunOutcome, test: String, replay: (UInt64, TraceLog) -> RunOutcome) {
    let trace = TraceLog(limit: RingSimulation.environment["SASHA_SIM_TRACE"].flatMap(Int.init) ?? 40)
    let again = replay(outcome.seed, trace)
    let command = "SASHA_SIM_SEED=\(outcome.seed) swift test --scratch-path .build-sim --filter 'RingSimulation/\(test)'"
    var line = "RING SIM FAILED seed=\(outcome.seed) \(outcome.summary): \(outcome.failure!) -- replay: \(command)"
    if again.failure != outcome.failure {
        line += " -- NOT DETERMINISTIC: the replay gave \(again.failure ?? "success")"
    }
    print(line)
    print(trace.last.map { "    " + $0 }.joined(separator: "\n"))
    Issue.record(Comment(rawValue: line))
}

func printFigures(_ name: String, _ outcomes: [RunOutcome], elapsed: Duration) {
    let failed = outcomes.filter { $0.failure != nil }.count
    let sizes = outcomes.map(\.members)
    let checks = outcomes.flatMap(\.convergences)
    let ratios = checks.map { Double($0.time) / Double($0.bound) }.sorted()
    func percentile(_ p: Double) -> String {
        ratios.isEmpty ? "-" : String(format: "%.2f", ratios[min(ratios.count - 1, Int(Double(ratios.count) * p))])
    }
    let overBound = ratios.filter { $0 > 1 }.count
    let events = outcomes.map(\.events).reduce(0, +)
    let virtual = Double(outcomes.map(\.virtualTime).reduce(0, +)) / 1e9
    print("""
        ring simulator, \(name): \(outcomes.count) seeds (\(failed) failed), members \(sizes.min() ?? 0)-\(sizes.max() ?? 0) \
        (\(sizes.filter { $0 <= 20 }.count) of <=20, \(sizes.filter { $0 >= 50 }.count) of >=50, \(sizes.filter { $0 >= 254 }.count) of 254), \
        \(checks.count) checks, convergence/bound p50 \(percentile(0.5)) p99 \(percentile(0.99)) max \(percentile(1)) \
        (\(overBound) over 1x), \(events) events, \(String(format: "%.0f", virtual)) s virtual in \(elapsed)
        """)
    if RingSimulation.environment["SASHA_SIM_VERBOSE"] != nil {
        for (name, range) in [("1-20", 1...20), ("21-49", 21...49), ("50-100", 50...100), ("254", 101...254)] {
            let bucket = outcomes.filter { range.contains($0.members) }
            print("  \(name) members: \(bucket.count) seeds, \(bucket.map(\.wallTime).reduce(.zero, +)) of CPU")
        }
        for outcome in outcomes.sorted(by: { $0.wallTime > $1.wallTime }).prefix(10) {
            print("  seed \(outcome.seed) \(outcome.summary): \(outcome.wallTime), \(outcome.events) events, \(outcome.virtualTime / 1_000_000) ms virtual")
        }
    }
}

final class SharedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var seeds: IndexingIterator<[UInt64]>
    private var collected: [RunOutcome] = []

    init(_ seeds: [UInt64]) { self.seeds = seeds.makeIterator() }

    func nextSeed() -> UInt64? { lock.withLock { seeds.next() } }
    func add(_ outcome: RunOutcome) { lock.withLock { collected.append(outcome) } }
    var results: [RunOutcome] { lock.withLock { collected } }
}

final class SharedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int { lock.withLock { value += 1; return value } }
}
