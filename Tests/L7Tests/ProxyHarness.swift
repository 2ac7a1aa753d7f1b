import Foundation
import NIOCore
import NIOPosix
@testable import L7Strategy
@testable import SashaCore
import SashaSDK
import SashaTestSupport
import Testing

/// The strategy in-process, as the daemon would run it: a real host table whose `pick` goes to a
/// policy loaded from its .so (round-robin), listening on a fresh 127.0.2.x address.
final class ProxyHarness {
    static let loader = PluginLoader(searchPaths: [PackagePaths.buildProducts])
    static let port: UInt16 = 8080

    let strategy: L7
    let policy: PolicyInstance
    let vip: IPv4Address
    let host: PluginHost
    private(set) var servers: ServerList

    init(options: String = "{}", backends: [Backend] = [], tags: [String] = [], tagMasks: [UInt64] = [], policy policyName: String = "round-robin", start: Bool = true) throws {
        policy = try Self.loader.load(name: policyName, kind: .policy).get().makePolicy(options: .object([:]))
        let current = CurrentPolicy()
        current.replace(with: policy)
        host = PluginHost(HostTable.make(plugin: "l7", currentPolicy: current))
        vip = TestAddresses.next()
        let context = StrategyContext(node: IPv4Address(0x7F00_0001), vip: vip, ports: [Self.port])
        strategy = try L7(options: PluginOptions(json: options), context: context, host: host)
        servers = ServerList(servers: [], tagNames: tags)
        setServers(backends.enumerated().map { index, backend in
            backend.server(tags: index < tagMasks.count ? tagMasks[index] : 0)
        })
        if start { try strategy.start() }
    }

    /// What the ring would hand both the policy and the strategy.
    func setServers(_ list: [Server]) {
        servers = ServerList(servers: list, tagNames: servers.tagNames)
        policy.serversChanged(servers)
        strategy.serversChanged(servers)
    }

    func stop() { strategy.stop() }

    deinit { strategy.stop() }

    /// The strategy's stats as a dictionary.
    var stats: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(strategy.stats().utf8))) as? [String: Any] ?? [:]
    }

    func stat(_ key: String) -> Int { (stats[key] as? NSNumber)?.intValue ?? -1 }

    func client() async throws -> TestClient { try await TestClient.connect(to: vip, port: Self.port) }
}
