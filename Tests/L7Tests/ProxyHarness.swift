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

    let strategy: L7
    let policy: PolicyInstance
    let vip: IPv4Address
    /// A free port on `vip`: another test process (a whole-package run beside this one) may use
    /// the same 127.0.2.x addresses, never the same port.
    let port: UInt16
    let host: PluginHost
    /// The member the strategy belongs to: its policy, and the servers it left out.
    let services = HostServices()
    private(set) var servers: ServerList

    init(options: String = "{}", backends: [Backend] = [], tags: [String] = [], tagMasks: [UInt64] = [], policy policyName: String = "round-robin", start: Bool = true) throws {
        policy = try Self.loader.load(name: policyName, kind: .policy).get().makePolicy(options: .object([:]))
        services.currentPolicy.replace(with: policy)
        host = PluginHost(services.table(for: "l7"))
        vip = TestAddresses.next()
        port = try FreePort.on(vip)
        let context = StrategyContext(node: IPv4Address(0x7F00_0001), vip: vip, ports: [port])
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

    func client() async throws -> TestClient { try await TestClient.connect(to: vip, port: port) }
}

/// A port nothing listens on at an address, found by binding port 0 and letting it go.
enum FreePort {
    struct Failure: Error {}

    static func on(_ address: IPv4Address) throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure() }
        defer { close(fd) }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_addr.s_addr = address.value.bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure() }
        return UInt16(bigEndian: socketAddress.sin_port)
    }
}
