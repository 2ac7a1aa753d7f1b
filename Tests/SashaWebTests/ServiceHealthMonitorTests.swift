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

        /// Waits (up to 10 s) until the reports equal `expected`.
        func wait(for expected: [Bool]) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while all != expected, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(all == expected)
        }
    }

    private func monitor(port: UInt16, host: String, path: String = "/health", reports: Reports) -> ServiceHealthMonitor {
        ServiceHealthMonitor(
            options: .init(
                address: IPv4Address(host)!, port: port, healthPath: path,
                interval: .milliseconds(100), timeout: .milliseconds(300), failures: 2, successes: 1
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
        try await reports.wait(for: [true])
        service.setStatus(500)
        try await reports.wait(for: [true, false])
        #expect(monitor.isHealthy == false)
        service.setStatus(204)  // any 2xx is healthy
        try await reports.wait(for: [true, false, true])
        service.setStatus(404)
        try await reports.wait(for: [true, false, true, false])
        await monitor.stop()
        await service.stop()
    }

    @Test func aServiceThatNeverAnswersTimesOut() async throws {
        let service = try await StatusServer(host: "127.0.3.6")
        let reports = Reports()
        let monitor = monitor(port: service.port, host: "127.0.3.6", reports: reports)
        await monitor.start()
        try await reports.wait(for: [true])
        service.setSilent(true)
        try await reports.wait(for: [true, false])
        service.setSilent(false)
        try await reports.wait(for: [true, false, true])
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
        try await reports.wait(for: [true])
        await server.stop()  // refused from now on
        try await reports.wait(for: [true, false])
        let restarted = try await site.startServer(address: "127.0.3.7", port: port)
        try await reports.wait(for: [true, false, true])
        await monitor.stop()
        await restarted.stop()
    }

    @Test func aRemovedRootMakesTheEmbeddedServerUnhealthy() async throws {
        let site = try TestSite()
        let server = try await site.startServer(address: "127.0.3.8")
        let reports = Reports()
        let monitor = monitor(port: server.port, host: "127.0.3.8", reports: reports)
        await monitor.start()
        try await reports.wait(for: [true])
        try FileManager.default.removeItem(atPath: site.root)
        try await reports.wait(for: [true, false])
        await monitor.stop()
        await server.stop()
    }

    @Test func nothingIsReportedAfterStop() async throws {
        let service = try await StatusServer(host: "127.0.3.9")
        let reports = Reports()
        let monitor = monitor(port: service.port, host: "127.0.3.9", reports: reports)
        await monitor.start()
        try await reports.wait(for: [true])
        await monitor.stop()
        service.setStatus(500)
        try await Task.sleep(for: .milliseconds(500))
        #expect(reports.all == [true])
        await service.stop()
    }
}
