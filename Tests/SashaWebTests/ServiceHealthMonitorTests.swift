import Foundation
import Logging
import NIOPosix
import SashaSDK
import Synchronization
import Testing

@testable import SashaWeb

/// The monitor against real services on loopback: a tiny server whose answer we choose, and the
/// embedded server itself.
@Suite("ServiceHealthMonitor")
struct ServiceHealthMonitorTests {
    /// Everything `onChange` reported, in order.
    final class Reports: Sendable {
        private let values = Mutex<[Bool]>([])
        func append(_ value: Bool) { values.withLock { $0.append(value) } }
        var all: [Bool] { values.withLock { $0 } }

        /// Waits (up to 10 s) until the latest report is `healthy`, then checks that every report
        /// was a change. (On a loaded machine a probe may time out where the test did not mean it
        /// to, so the exact history can hold an extra flip; what must hold is no report repeats.)
        func wait(until healthy: Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while all.last != healthy, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let reports = all
            #expect(reports.last == healthy, "\(reports)")
            #expect(zip(reports, reports.dropFirst()).allSatisfy { $0 != $1 }, "\(reports)")
        }
    }

    private func monitor(port: UInt16, host: String, path: String = "/health", reports: Reports) -> ServiceHealthMonitor {
        ServiceHealthMonitor(
            options: .init(
                address: IPv4Address(host)!, port: port, healthPath: path,
                interval: .milliseconds(100), timeout: .milliseconds(500), failures: 2, successes: 1
            ),
            group: MultiThreadedEventLoopGroup.singleton, logger: TestSite.quietLogger,
            onChange: { reports.append($0) }
        )
    }

    @Test func flipsUnhealthyOnA500AndBackOnA200() async throws {
        let service = try await StatusServer(host: "127.0.3.5")
        let reports = Reports()
        let monitor = monitor(port: service.port, host: "127.0.3.5", reports: reports)
        await monitor.start()
        try await reports.wait(until: true)
        service.setStatus(500)
        try await reports.wait(until: false)
        #expect(monitor.isHealthy == false)
        service.setStatus(204)  // any 2xx is healthy
        try await reports.wait(until: true)
        service.setStatus(404)
        try await reports.wait(until: false)
        await monitor.stop()
        await service.stop()
    }

    @Test func aServiceThatNeverAnswersTimesOut() async throws {
        let service = try await StatusServer(host: "127.0.3.6")
        let reports = Reports()
        let monitor = monitor(port: service.port, host: "127.0.3.6", reports: reports)
        await monitor.start()
        try await reports.wait(until: true)
        service.setSilent(true)
        try await reports.wait(until: false)
        service.setSilent(false)
        try await reports.wait(until: true)
        await monitor.stop()
        await service.stop()
    }

    @Test func followsTheEmbeddedServerThroughStopAndRestart() async throws {
        let site = try TestSite()
        let server = try await site.startServer(address: "127.0.3.7")
        let port = server.port
        let reports = Reports()
        let monitor = monitor(port: port, host: "127.0.3.7", reports: reports)
        await monitor.start()
        try await reports.wait(until: true)
        await server.stop()  // refused from now on
        try await reports.wait(until: false)
        let restarted = try await site.startServer(address: "127.0.3.7", port: port)
        try await reports.wait(until: true)
        await monitor.stop()
        await restarted.stop()
    }

    @Test func aRemovedRootMakesTheEmbeddedServerUnhealthy() async throws {
        let site = try TestSite()
        let server = try await site.startServer(address: "127.0.3.8")
        let reports = Reports()
        let monitor = monitor(port: server.port, host: "127.0.3.8", reports: reports)
        await monitor.start()
        try await reports.wait(until: true)
        try FileManager.default.removeItem(atPath: site.root)
        try await reports.wait(until: false)
        await monitor.stop()
        await server.stop()
    }

    @Test func nothingIsReportedAfterStop() async throws {
        let service = try await StatusServer(host: "127.0.3.9")
        let reports = Reports()
        let monitor = monitor(port: service.port, host: "127.0.3.9", reports: reports)
        await monitor.start()
        try await reports.wait(until: true)
        await monitor.stop()
        service.setStatus(500)
        let before = reports.all
        try await Task.sleep(for: .milliseconds(800))
        #expect(reports.all == before)
        await service.stop()
    }
}
