import NIOCore
import NIOHTTP1
@testable import L7Strategy
@testable import SashaCore
import SashaSDK
import Testing

/// Servers that refuse, drop, hang or talk nonsense.
@Suite struct FailureTests {
    @Test func aRefusedGetIsRetriedOnAnotherServer() async throws {
        let dead = try Backend("dead", listening: false), alive = try Backend("alive")
        defer { alive.close() }
        let proxy = try ProxyHarness(options: #"{"upstream": {"eject_after_failures": 100}}"#, backends: [dead, alive])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        for index in 0..<4 {
            let response = try await client.get("/r/\(index)")
            #expect(response.status == 200)
            #expect(response.text == "alive")
        }
        #expect(proxy.stat("retries") >= 2)
    }

    @Test func retriesAvoidTheFailedServerUnderAConsistentHashPolicyToo() async throws {
        let dead = try Backend("dead", listening: false), alive = try Backend("alive"), also = try Backend("also")
        defer { alive.close(); also.close() }
        let proxy = try ProxyHarness(
            options: #"{"upstream": {"eject_after_failures": 1000}, "cache": {"enabled": false}}"#,
            backends: [dead, alive, also], policy: "maglev")
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        // Maglev maps about a third of these paths to the dead server, every time.
        for index in 0..<30 { #expect(try await client.get("/k/\(index)").status == 200) }
        #expect(proxy.stat("retries") > 0)
        #expect(proxy.stat("ejections") == 0)
    }

    @Test func retriesAvoidTheFailedServerUnderLeastConnections() async throws {
        let dead = try Backend("dead", listening: false), alive = try Backend("alive")
        defer { alive.close() }
        let proxy = try ProxyHarness(
            options: #"{"upstream": {"eject_after_failures": 1000}, "cache": {"enabled": false}}"#,
            backends: [dead, alive], policy: "least-connections")
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        // The dead server never holds a connection, so it always looks least loaded: a retry must
        // still find the other one.
        for index in 0..<10 { #expect(try await client.get("/l/\(index)").status == 200) }
    }

    @Test func aDroppedGetIsRetriedButADroppedPostIsNot() async throws {
        let dropper = try Backend("dropper", behaviour: .dropOnRequest), good = try Backend("good")
        defer { dropper.close(); good.close() }
        let proxy = try ProxyHarness(options: #"{"upstream": {"eject_after_failures": 100}}"#, backends: [dropper, good])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        for index in 0..<4 { #expect(try await client.get("/g/\(index)").text == "good") }
        var statuses: [UInt] = []
        for _ in 0..<4 {
            client.send(.POST, "/p", body: ByteBuffer(string: "data"))
            statuses.append(try await client.response().status)
        }
        // Round-robin sends half the POSTs to the dropper: those are not sent again.
        #expect(statuses.filter { $0 == 502 }.count == 2)
        #expect(statuses.filter { $0 == 200 }.count == 2)
        #expect(dropper.seen.heads.filter { $0.method == .POST }.count == 2)
    }

    @Test func aServerFailingRepeatedlyIsExcludedThroughTheHost() async throws {
        let dead = try Backend("dead", listening: false), alive = try Backend("alive")
        defer { alive.close() }
        let proxy = try ProxyHarness(options: #"{"upstream": {"eject_after_failures": 3, "eject_for_ms": 60000}}"#, backends: [dead, alive])
        defer { proxy.stop() }
                let client = try await proxy.client()
        defer { client.close() }
        #expect(!proxy.services.exclusions.isExcluded(dead.address))
        for index in 0..<8 { #expect(try await client.get("/e/\(index)").status == 200) }
        #expect(proxy.services.exclusions.isExcluded(dead.address))
        #expect(!proxy.services.exclusions.isExcluded(alive.address))
        #expect(proxy.stat("ejections") >= 1)
    }

    /// One misbehaving server must not take the whole site down: the last one of a group is
    /// never left out, and at most `max_ejection_percent` of a group is.
    @Test func theLastServerIsNeverEjected() async throws {
        let dead = try Backend("dead", listening: false)
        let proxy = try ProxyHarness(options: #"{"upstream": {"eject_after_failures": 2, "eject_for_ms": 60000}}"#, backends: [dead])
        defer { proxy.stop() }
                let client = try await proxy.client()
        defer { client.close() }
        for index in 0..<6 { #expect(try await client.get("/l/\(index)").status == 502, "still tried, never 503") }
        #expect(!proxy.services.exclusions.isExcluded(dead.address))
        #expect(proxy.stat("ejections") == 0)
        #expect(proxy.stat("ejections_refused") >= 1)
    }

    /// The host lists an ejected server as down; it still counts toward its group's cap, so
    /// ejections do not cascade (at most half of four servers with the default 50%).
    @Test func theEjectionCapCountsServersAlreadyEjected() {
        let addresses = (1...4).map { IPv4Address(UInt32(0xC612_0000 + $0)) }
        var counters: [IPv4Address: ServerCounters] = [:]
        var down: Set<IPv4Address> = []
        let now: UInt64 = 1_000
        for address in addresses {
            let list = ServerList(servers: addresses.map { Server(address: $0, port: 80, isUp: !down.contains($0)) })
            let directory = ServerDirectory.build(list, rules: [], defaultTag: nil, counters: &counters).directory
            guard directory.mayEject(address, maxPercent: 50, now: now) else { break }
            counters[address]!.ejectedUntil.store(now + 10_000, ordering: .relaxed)
            down.insert(address)
        }
        #expect(down.count == 2)
    }

    @Test func aMalformedAnswerIsNotHeldAgainstTheServer() async throws {
        let garbage = try Backend("garbage", behaviour: .garbage), alive = try Backend("alive")
        defer { garbage.close(); alive.close() }
        let proxy = try ProxyHarness(options: #"{"upstream": {"eject_after_failures": 1}, "cache": {"enabled": false}}"#,
                                     backends: [garbage, alive])
        defer { proxy.stop() }
                let client = try await proxy.client()
        defer { client.close() }
        var statuses: [UInt] = []
        for index in 0..<6 { statuses.append(try await client.get("/m/\(index)").status) }
        #expect(statuses.contains(502) && statuses.contains(200))
        #expect(proxy.stat("ejections") == 0)
        #expect(!proxy.services.exclusions.isExcluded(garbage.address))
    }

    @Test func retriesExhaustedIs502() async throws {
        let one = try Backend("one", listening: false), two = try Backend("two", listening: false)
        let proxy = try ProxyHarness(options: #"{"upstream": {"retries": 2, "eject_after_failures": 100}}"#, backends: [one, two])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        #expect(try await client.get("/x").status == 502)
        #expect(proxy.stat("retries") == 2)
    }

    @Test func aMalformedResponseIs502() async throws {
        let garbage = try Backend("garbage", behaviour: .garbage)
        defer { garbage.close() }
        let proxy = try ProxyHarness(backends: [garbage])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        #expect(try await client.get("/m").status == 502)
    }

    @Test func aServerThatDoesNotAnswerInTimeIs504() async throws {
        let hang = try Backend("hang", behaviour: .hang)
        defer { hang.close() }
        let proxy = try ProxyHarness(options: #"{"upstream": {"response_timeout_ms": 300}}"#, backends: [hang])
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        let started = ContinuousClock.now
        #expect(try await client.get("/slow").status == 504)
        // Loose, for a loaded machine: without the timeout the request would hang for good.
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
