@testable import SashaCore
@testable import SashaDemo
import SashaSDK
import Testing

/// The demo's live screen, drawn from made-up measurements.
@Suite("Demo screen")
struct DemoScreenTests {
    func frame(members: [DemoFrame.Member], hits: Double? = 0.5) -> DemoFrame {
        DemoFrame(cluster: "loopback", url: "http://127.0.0.100:8080/", strategy: "l7", policy: "round-robin",
                  elapsedSeconds: 7, durationSeconds: nil, members: members, answeredPerSecond: 200, cacheHitRatio: hits,
                  totals: DemoTraffic.Counts(answered: 1400, failed: 2, errors: 0, cacheHits: 700), logFolder: ".sasha/demo",
                  events: ["[1 s] 127.0.0.1 is the dispatcher"])
    }

    @Test("one line per member with its role, health and rate; bars scale to the busiest server")
    func membersAndBars() {
        let lines = DemoScreen.render(frame(members: [
            .init(address: "127.0.0.1", role: "dispatcher", healthy: true, requestsPerSecond: 0),
            .init(address: "127.0.0.2", role: "server", healthy: true, requestsPerSecond: 100),
            .init(address: "127.0.0.3", role: "server", healthy: false, requestsPerSecond: 50),
            .init(address: "127.0.0.4", role: "down", healthy: false, requestsPerSecond: 0),
        ]))
        let dispatcher = lines.first { $0.contains("127.0.0.1") } ?? ""
        let busy = lines.first { $0.contains("127.0.0.2") } ?? ""
        let half = lines.first { $0.contains("127.0.0.3") } ?? ""
        #expect(dispatcher.contains("dispatcher") && dispatcher.contains("    -") && !dispatcher.contains("#"))
        #expect(busy.hasSuffix(String(repeating: "#", count: DemoScreen.barWidth)) && busy.contains("  100  "))
        #expect(half.hasSuffix(" " + String(repeating: "#", count: DemoScreen.barWidth / 2)) && half.contains("UNHEALTHY"))
        #expect(lines.contains { $0.contains("127.0.0.4") && $0.contains("down") })
        #expect(lines.contains("  through the VIP: 200 req/s; cache: 50 % of answers from the dispatcher's cache"))
        #expect(lines.contains { $0.contains("curl -i http://127.0.0.100:8080/") })
        #expect(lines.last == "  [1 s] 127.0.0.1 is the dispatcher")
    }

    @Test("rates are the difference between two statuses, per second of the real interval")
    func ratesFromCounters() throws {
        let (loaded, _) = ConfigLoader.load(yaml: """
            cluster: { name: demo, vip: 127.0.0.100, ports: [8080] }
            ring: { members: [127.0.0.1, 127.0.0.2] }
            """, file: "t.yaml")
        var view = DemoView(config: try #require(loaded), url: "u", duration: 10, logFolder: "l")
        func status(_ requests: UInt64) -> StatusReport {
            var report = try! StatusReport.decode(#"{"node":"127.0.0.2","role":"server","state":"member","strategy":"l7","policy":{"name":"round-robin","epoch":0},"connections":0,"counters":{"packets_in":0,"packets_out":0,"bytes_in":0,"bytes_out":0,"rotations":0,"elections":0,"purges":0,"view_changes":0,"expired_messages":0,"drops":{}}}"#)
            report.service = StatusReport.Service(kind: "files", port: 8080, healthy: true, requests: requests)
            return report
        }
        let address = IPv4Address("127.0.0.2")!
        let start = ContinuousClock.now
        _ = view.next(statuses: [address: status(1000)], traffic: .init(answered: 10, cacheHits: 5), elapsed: 1, now: start)
        let frame = view.next(statuses: [address: status(1042)], traffic: .init(answered: 110, cacheHits: 30), elapsed: 2,
                              now: start + .seconds(1))
        #expect(frame.members.map(\.requestsPerSecond) == [0, 42])
        #expect(frame.members.first?.role == "down")
        #expect(frame.answeredPerSecond == 100)
        #expect(frame.cacheHitRatio == 0.25)
        // Two seconds later (a scenario step held the loop): the same counts are half the rate.
        let slow = view.next(statuses: [address: status(1084)], traffic: .init(answered: 210, cacheHits: 55), elapsed: 3,
                             now: start + .seconds(3))
        #expect(slow.members.map(\.requestsPerSecond) == [0, 21])
        #expect(slow.answeredPerSecond == 50)
    }
}
