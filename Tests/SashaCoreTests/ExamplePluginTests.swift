import SashaCore
import SashaSDK
import SashaTestSupport
import Testing

/// The stand-alone example in examples/custom-policy, built by `make test` as a user would build
/// it, loads through the real loader and behaves as its README says.
@Suite("Example custom policy")
struct ExamplePluginTests {
    static let folder = PackagePaths.root + "/examples/custom-policy/.build/debug"

    private func make(_ options: JSONValue = .object([:])) throws -> PolicyInstance {
        try PluginLoader(searchPaths: [Self.folder]).load(name: "bounded-affinity", kind: .policy).get()
            .makePolicy(options: options)
    }

    private func servers(_ count: Int) -> ServerList {
        ServerList(servers: (1...count).map { Server(address: IPv4Address(0xC612_0000 | UInt32($0))) })
    }

    private func flow(client: UInt32, port: UInt16 = 5000) -> Flow {
        Flow(client: IPv4Address(0x7F00_0000 | client), clientPort: port, clusterPort: 8080)
    }

    @Test("it loads from its own package's build folder and describes itself")
    func loads() throws {
        let plugin = try PluginLoader(searchPaths: [Self.folder]).load(name: "bounded-affinity", kind: .policy).get()
        #expect(plugin.toolchain == swiftToolchain)
        #expect(plugin.summary.contains("affinity"))
    }

    @Test("a client sticks to one server while loads are even")
    func affinity() throws {
        let policy = try make()
        policy.serversChanged(servers(4))
        let picks = Set((0..<20).compactMap { policy.pick(flow(client: 42, port: UInt16(5000 + $0))) })
        #expect(picks.count == 1)
    }

    @Test("a client moves on when its server passes load_factor × the average")
    func spillsOver() throws {
        let policy = try make(.object(["load_factor": .number(1.0)]))
        policy.serversChanged(servers(4))
        let home = try #require(policy.pick(flow(client: 42)))
        for _ in 0..<10 { policy.connectionOpened(on: home.value) }
        let next = try #require(policy.pick(flow(client: 42)))
        #expect(next != home)
    }

    @Test("a bad option is refused with its key")
    func badOption() throws {
        let plugin = try PluginLoader(searchPaths: [Self.folder]).load(name: "bounded-affinity", kind: .policy).get()
        #expect(plugin.validate(options: .object(["load_factor": .number(0.5)]))?.key == "load_factor")
    }
}
