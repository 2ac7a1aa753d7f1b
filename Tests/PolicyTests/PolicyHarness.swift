import SashaCore
import SashaSDK
import SashaTestSupport
import Testing

/// Loads a built-in policy from its .so with the daemon's own loader, so every test below goes
/// through the real C boundary.
enum PolicyHarness {
    static let loader = PluginLoader(searchPaths: [PackagePaths.buildProducts])

    static func make(_ name: String, options: JSONValue = .object([:])) throws -> PolicyInstance {
        try loader.load(name: name, kind: .policy).get().makePolicy(options: options)
    }

    /// 198.18.0.n: benchmark-range addresses used only as server identities here.
    static func address(_ n: Int) -> IPv4Address { IPv4Address(0xC612_0000 | UInt32(n)) }

    static func servers(
        _ numbers: [Int], weights: [Int: Int] = [:], tags: [Int: UInt64] = [:], down: Set<Int> = []
    ) -> ServerList {
        ServerList(servers: numbers.map { n in
            Server(address: address(n), port: 8080, weight: weights[n] ?? 1, tagMask: tags[n] ?? 0, isUp: !down.contains(n))
        }, tagNames: ["images", "video"])
    }

    /// A flow from a distinct client per `n`.
    static func flow(_ n: Int, group: Int? = nil, l7Key: UInt64? = nil) -> Flow {
        Flow(client: IPv4Address(0x7F00_0000 | UInt32(n % 0xFF_FFFF)), clientPort: UInt16(1024 + n % 60_000),
             clusterPort: 8080, l7Key: l7Key, group: group)
    }

    /// The last octet of each pick, for readable expectations.
    static func picks(_ policy: PolicyInstance, _ count: Int, group: Int? = nil) -> [Int?] {
        (0..<count).map { policy.pick(flow($0, group: group)).map { Int($0.value & 0xFF) } }
    }

    /// Picks `count` flows, opening a connection on each pick as a strategy would, and returns
    /// how many went to each server (by last octet).
    static func openEachPick(_ policy: PolicyInstance, _ count: Int) throws -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for n in 0..<count {
            let server = try #require(policy.pick(flow(n)))
            policy.connectionOpened(on: server.value)
            counts[Int(server.value & 0xFF), default: 0] += 1
        }
        return counts
    }
}
