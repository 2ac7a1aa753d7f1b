@testable import SashaCore
@testable import SashaDemo
import Testing

/// When the demo acts on its cluster.
@Suite("Demo scenario")
struct DemoScenarioTests {
    func timeline(_ scenario: DemoScenario) -> [Int: [DemoScenario.Step]] {
        var steps: [Int: [DemoScenario.Step]] = [:]
        for second in 0...120 where !scenario.steps(at: second).isEmpty { steps[second] = scenario.steps(at: second) }
        return steps
    }

    @Test("by default: kill -9 at 10 s, restart at 16 s, then three swaps 10 s apart ending on the configured policy")
    func both() {
        let steps = timeline(DemoScenario(failover: true, swap: true, configuredPolicy: "two-choices"))
        #expect(steps == [10: [.killDispatcher], 16: [.restartKilled], 22: [.swapPolicy("maglev")],
                          32: [.swapPolicy("least-connections")], 42: [.swapPolicy("two-choices")]])
    }

    @Test("each part can be left out; without the failover the swaps start sooner")
    func parts() {
        #expect(timeline(DemoScenario(failover: false, swap: false, configuredPolicy: "round-robin")).isEmpty)
        #expect(timeline(DemoScenario(failover: true, swap: false, configuredPolicy: "round-robin"))
            == [10: [.killDispatcher], 16: [.restartKilled]])
        #expect(timeline(DemoScenario(failover: false, swap: true, configuredPolicy: "round-robin")).keys.sorted() == [10, 20, 30])
    }
}
