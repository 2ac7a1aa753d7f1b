import Foundation
import NIOCore
import NIOPosix
@testable import L7Strategy
@testable import SashaCore
import SashaSDK
import SashaTestSupport
import Testing

/// Becoming and ceasing to be the dispatcher, and the plugin as the daemon loads it.
@Suite struct LifecycleTests {
    @Test func startStopStartServesEachTime() async throws {
        let backend = try Backend("life")
        defer { backend.close() }
        let proxy = try ProxyHarness(backends: [backend])
        defer { proxy.stop() }
        #expect(try await proxy.client().get("/1").text == "life")
        proxy.stop()
        #expect(proxy.stats["running"] as? Bool == false)
        await #expect(throws: (any Error).self) { _ = try await proxy.client().get("/2") }
        try proxy.strategy.start()
        #expect(try await proxy.client().get("/3").text == "life")
        // Starting twice is harmless.
        try proxy.strategy.start()
        #expect(try await proxy.client().get("/4").text == "life")
    }

    @Test func serversMayChangeBeforeStartAndWhileRunning() async throws {
        let a = try Backend("a"), b = try Backend("b")
        defer { a.close(); b.close() }
        let proxy = try ProxyHarness(options: #"{"cache": {"enabled": false}}"#, backends: [a], start: false)
        try proxy.strategy.start()
        defer { proxy.stop() }
        let client = try await proxy.client()
        defer { client.close() }
        #expect(try await client.get("/x").text == "a")
        proxy.setServers([b.server()])
        for _ in 0..<3 { #expect(try await client.get("/x").text == "b") }
        proxy.setServers([a.server(), b.server(up: false)])
        for _ in 0..<3 { #expect(try await client.get("/x").text == "a") }
    }

    @Test func aTakenPortIsRefusedWithTheAddressAndTheFix() throws {
        let proxy = try ProxyHarness(start: false)
        // SO_REUSEADDR so that connections of an earlier run in TIME_WAIT do not stop it; two
        // listeners still cannot share an address and port.
        let squatter = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: proxy.vip.description, port: Int(proxy.port)).wait()
        defer { try? squatter.close().wait() }
        do {
            try proxy.strategy.start()
            Issue.record("start should fail on a taken port")
        } catch {
            #expect(error.message.contains("\(proxy.vip):\(proxy.port)"))
            #expect(error.message.contains("cluster.ports"))
            #expect(!error.message.contains("\n"))
        }
        #expect(proxy.stats["running"] as? Bool == false)
    }

    @Test func stopLetsARequestInFlightFinish() async throws {
        let slow = try Backend("slow", behaviour: .delayed(.milliseconds(1_000)))
        defer { slow.close() }
        let proxy = try ProxyHarness(backends: [slow])
        let client = try await proxy.client()
        defer { client.close() }
        client.send(.GET, "/slow")
        // stop() blocks: it runs on a thread of its own (not on the test's cooperative pool, which
        // other tests may keep busy), as soon as the server has the request.
        let strategy = proxy.strategy
        let stopped = DispatchGroup()
        stopped.enter()
        Thread.detachNewThread {
            for _ in 0..<500 where slow.seen.requests == 0 { usleep(10_000) }
            strategy.stop()
            stopped.leave()
        }
        let response = try await client.response()
        #expect(response.status == 200 && response.text == "slow")
        #expect(response.header("connection") == "close")
        await withCheckedContinuation { continuation in stopped.notify(queue: .global()) { continuation.resume() } }
        #expect(proxy.stat("active") == 0)
    }

    /// The built libl7.so through the daemon's own loader: it links, exports its entry and
    /// stamp, refuses bad options with their key, and runs behind the C boundary.
    @Test func theSharedLibraryLoadsAndServes() async throws {
        let plugin = try ProxyHarness.loader.load(name: "l7", kind: .strategy).get()
        #expect(plugin.kind == .strategy && plugin.name == "l7")
        #expect(plugin.validate(options: .object(["rules": .array([.object(["tag": .string("x")])])]))?.key == "rules.0.tag")
        #expect(plugin.validate(options: .object(["limits": .object(["max_header_bytes": .number(16384)])])) == nil)
        let vip = TestAddresses.next()
        let port = try FreePort.on(vip)
        let strategy = try plugin.makeStrategy(
            options: .object(["threads": .number(1)]),
            context: StrategyContext(node: IPv4Address(0x7F00_0001), vip: vip, ports: [port]), services: HostServices())
        strategy.serversChanged(ServerList(servers: []))
        try strategy.start()
        defer { strategy.stop() }
        // No servers: an answer, from behind the C boundary.
        let client = try await TestClient.connect(to: vip, port: port)
        defer { client.close() }
        #expect(try await client.get("/").status == 503)
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(strategy.stats().utf8)) as? [String: Any])
        #expect((stats["requests"] as? NSNumber)?.intValue == 1)
        #expect(stats["running"] as? Bool == true)
    }
}
