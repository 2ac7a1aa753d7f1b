import Testing

@testable import SashaWeb

@Suite("HealthHysteresis")
struct HealthHysteresisTests {
    @Test func theFirstResultIsReportedAtOnce() {
        var up = HealthHysteresis()
        #expect(up.isHealthy == nil)
        #expect(up.record(success: true) == true)
        var down = HealthHysteresis()
        #expect(down.record(success: false) == false)
        #expect(down.isHealthy == false)
    }

    @Test func fallsOnlyAfterConsecutiveFailures() {
        var health = HealthHysteresis(failuresToFall: 3, successesToRise: 1)
        _ = health.record(success: true)
        #expect(health.record(success: false) == nil)
        #expect(health.record(success: false) == nil)
        #expect(health.record(success: true) == nil)  // the streak is broken
        #expect(health.record(success: false) == nil)
        #expect(health.record(success: false) == nil)
        #expect(health.record(success: false) == false)
        #expect(health.isHealthy == false)
        #expect(health.record(success: false) == nil)  // no repeat report
    }

    @Test func risesAfterConsecutiveSuccesses() {
        var health = HealthHysteresis(failuresToFall: 1, successesToRise: 2)
        _ = health.record(success: false)
        #expect(health.record(success: true) == nil)
        #expect(health.record(success: false) == nil)
        #expect(health.record(success: true) == nil)
        #expect(health.record(success: true) == true)
        #expect(health.record(success: true) == nil)
    }

    @Test func defaultsFallAfterTwoAndRiseAfterOne() {
        var health = HealthHysteresis()
        _ = health.record(success: true)
        #expect(health.record(success: false) == nil)
        #expect(health.record(success: false) == false)
        #expect(health.record(success: true) == true)
    }

    @Test func thresholdsBelowOneActAsOne() {
        var health = HealthHysteresis(failuresToFall: 0, successesToRise: -3)
        _ = health.record(success: true)
        #expect(health.record(success: false) == false)
        #expect(health.record(success: true) == true)
    }
}
