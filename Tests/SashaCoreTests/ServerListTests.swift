import Foundation
@testable import SashaCore
import SashaRing
import SashaSDK
import Testing

/// How the ring's view becomes the servers the policy and the strategy see.
@Suite("Server list from the ring")
struct ServerListTests {
    static func address(_ text: String) -> IPv4Address { IPv4Address(text)! }

    static let yaml = """
        cluster: { name: demo, vip: 127.0.0.100, ports: [8080] }
        ring: { members: [127.0.0.1, 127.0.0.2, 127.0.0.3, 127.0.0.4] }
        service: { port: 8080, external_port: 8081 }
        nodes:
          127.0.0.2: { tags: [images, big], weight: 3 }
          127.0.0.3: { tags: [images] }
          127.0.0.4: { serve: false }
        """

    static func view(_ members: [String], dispatcher: String?, unhealthy: Set<String> = []) -> RingView {
        RingView(ring: 1, version: 1, cause: .formed, dispatcher: dispatcher.map(address),
                 members: members.enumerated().map { index, text in
                     RingMember(address: address(text), id: UInt8(index + 1), canDispatch: true, healthy: !unhealthy.contains(text))
                 })
    }

    func builder() throws -> ServerListBuilder {
        let (config, diagnostics) = ConfigLoader.load(yaml: Self.yaml, file: "test.yaml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        return ServerListBuilder(config: try #require(config))
    }

    @Test("the dispatcher and members with serve: false are not servers; ports, weights and tags come from the config")
    func dispatcherDoesNotServe() throws {
        let list = try builder().servers(in: Self.view(["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"], dispatcher: "127.0.0.1"))
        #expect(list.servers.map(\.address.description) == ["127.0.0.2", "127.0.0.3"])
        #expect(list.tagNames == ["big", "images"])
        #expect(list.servers.map(\.port) == [8081, 8081])
        #expect(list.servers.map(\.weight) == [3, 1])
        #expect(list.servers[0].tagMask == 0b11 && list.servers[1].tagMask == 0b10)
        #expect(list.servers.map(\.isUp) == [true, true])
    }

    @Test("an unhealthy or excluded member is listed but down")
    func healthAndExclusions() throws {
        let view = Self.view(["127.0.0.1", "127.0.0.2", "127.0.0.3"], dispatcher: "127.0.0.1", unhealthy: ["127.0.0.2"])
        let list = try builder().servers(in: view) { $0 == Self.address("127.0.0.3") }
        #expect(list.servers.map(\.isUp) == [false, false])
        let healthy = try builder().servers(in: Self.view(["127.0.0.1", "127.0.0.2", "127.0.0.3"], dispatcher: "127.0.0.1"))
        #expect(healthy.servers.map(\.isUp) == [true, true])
    }

    @Test("the last member standing serves the VIP itself")
    func standaloneServes() throws {
        let list = try builder().servers(in: Self.view(["127.0.0.1"], dispatcher: "127.0.0.1"))
        #expect(list.servers.map(\.address.description) == ["127.0.0.1"])
    }

    @Test("a server a strategy excludes comes back when its time is over, and the listener hears both")
    func exclusionsExpire() async throws {
        let exclusions = ServerExclusions()
        let changes = Protected(0)
        exclusions.setListener { changes.withLock { $0 += 1 } }
        let server = Self.address("127.0.0.9")
        exclusions.exclude(server, forNanoseconds: 150_000_000)
        #expect(exclusions.isExcluded(server))
        #expect(!exclusions.isExcluded(Self.address("127.0.0.8")))
        try await Task.sleep(for: .milliseconds(400))
        #expect(!exclusions.isExcluded(server))
        #expect(changes.withLock { $0 } == 2)
        exclusions.exclude(server, forNanoseconds: 10_000_000_000)
        exclusions.exclude(server, forNanoseconds: 0)
        #expect(!exclusions.isExcluded(server))
    }
}
