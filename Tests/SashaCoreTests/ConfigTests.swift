import Foundation
import SashaCore
import SashaSDK
import Testing

/// The YAML configuration: typed values and defaults of good files. The problems of bad files
/// are in `ConfigTests.Problems`, positions of keys in `ConfigTests.SourceMap`.
@Suite("Configuration")
struct ConfigTests {
    /// Loads YAML text named test.yaml.
    static func load(_ yaml: String) -> (config: SashaConfig?, diagnostics: [Diagnostic]) {
        ConfigLoader.load(yaml: yaml, file: "test.yaml")
    }

    /// The diagnostics of YAML text as FILE:LINE:COLUMN: message lines.
    static func problems(_ yaml: String) -> [String] {
        load(yaml).diagnostics.map(\.description)
    }

    /// The required keys and nothing else.
    static let minimal = """
        cluster: { name: demo, vip: 10.0.0.100, ports: [80] }
        ring: { members: [10.0.0.1, 10.0.0.2] }

        """

    static func address(_ text: String) -> IPv4Address { IPv4Address(text)! }

    @Test("a full configuration loads with every value typed as written")
    func fullConfiguration() throws {
        let (loaded, diagnostics) = Self.load("""
            cluster:  { name: demo, vip: 127.0.0.100, ports: [8080, 8443] }
            ring:     { port: 7401, members: [127.0.0.1, 127.0.0.2, 127.0.0.3], interface: eth0,
                        heartbeat_ms: 50, token_timeout_ms: 700, broadcast_timeout_ms: 300,
                        key_file: ring.key, insecure: false }
            control:  { dir: /var/lib/sasha, metrics: "127.0.0.1:9400" }
            plugins:  { paths: [.build/release, /opt/sasha/plugins] }
            dispatch: { strategy: l4-2, policy: maglev, strategy_options: {},
                        policy_options: { table_factor: 101, rules: [{ host: a.example, weight: 1.5, on: yes, none: ~ }] } }
            service:  { port: 8081, root: examples/www, health: /healthz }
            nodes:    { 127.0.0.1: { dispatch: true, serve: false, weight: 3, tags: [images, video] },
                        127.0.0.2: { weight: 0, tags: [images] } }
            """)
        #expect(diagnostics.isEmpty)
        let config = try #require(loaded)
        #expect(config.cluster == SashaConfig.Cluster(name: "demo", vip: Self.address("127.0.0.100"), ports: [8080, 8443]))
        #expect(config.ring == SashaConfig.Ring(
            port: 7401, members: ["127.0.0.1", "127.0.0.2", "127.0.0.3"].map(Self.address), interface: "eth0",
            heartbeatMs: 50, tokenTimeoutMs: 700, broadcastTimeoutMs: 300, keyFile: "ring.key", insecure: false))
        #expect(config.ring.heartbeat == .milliseconds(50))
        #expect(config.control == SashaConfig.Control(dir: "/var/lib/sasha", metrics: "127.0.0.1:9400"))
        #expect(config.control.metricsEndpoint?.address == Self.address("127.0.0.1"))
        #expect(config.control.metricsEndpoint?.port == 9400)
        #expect(config.plugins.paths == [".build/release", "/opt/sasha/plugins"])
        #expect(config.dispatch.strategy == "l4-2")
        #expect(config.dispatch.policy == "maglev")
        #expect(config.dispatch.strategyOptions == .object([:]))
        #expect(config.dispatch.policyOptions == .object([
            "table_factor": .number(101),
            "rules": .array([.object([
                "host": .string("a.example"), "weight": .number(1.5), "on": .bool(true), "none": .null,
            ])]),
        ]))
        #expect(config.service == SashaConfig.Service(port: 8081, root: "examples/www", health: "/healthz"))
        #expect(config.nodes == [
            Self.address("127.0.0.1"): NodeConfig(dispatch: true, serve: false, weight: 3, tags: ["images", "video"]),
            Self.address("127.0.0.2"): NodeConfig(dispatch: true, serve: true, weight: 0, tags: ["images"]),
        ])
        #expect(config.node(Self.address("127.0.0.3")) == NodeConfig(dispatch: true, serve: true, weight: 1, tags: []))
        #expect(config.tagNames == ["images", "video"])
    }

    @Test("optional keys take their documented defaults")
    func defaults() throws {
        let (loaded, diagnostics) = Self.load(Self.minimal)
        #expect(diagnostics.isEmpty)
        let config = try #require(loaded)
        #expect(config.cluster == SashaConfig.Cluster(name: "demo", vip: Self.address("10.0.0.100"), ports: [80]))
        #expect(config.ring.port == 7400)
        #expect(config.ring.members == [Self.address("10.0.0.1"), Self.address("10.0.0.2")])
        #expect(config.ring.interface == nil)
        #expect(config.ring.heartbeatMs == 100)
        #expect(config.ring.tokenTimeoutMs == 1000)
        #expect(config.ring.broadcastTimeoutMs == 500)
        #expect(config.ring.keyFile == nil)
        #expect(config.ring.insecure == false)
        #expect(config.control.dir == ".sasha")
        #expect(config.control.metrics == nil)
        #expect(config.control.metricsEndpoint == nil)
        #expect(config.plugins.paths == [])
        #expect(config.dispatch == SashaConfig.Dispatch(
            strategy: "l7", policy: "round-robin", strategyOptions: .object([:]), policyOptions: .object([:])))
        #expect(config.service == SashaConfig.Service(port: 8080, root: nil, health: "/health"))
        #expect(config.nodes.isEmpty)
        #expect(config.node(Self.address("10.0.0.2")) == NodeConfig(dispatch: true, serve: true, weight: 1, tags: []))
    }

    @Test("empty sections and keys with no value mean the defaults")
    func emptyValuesAreDefaults() throws {
        let (loaded, diagnostics) = Self.load(Self.minimal + """
            control:
            plugins: {}
            dispatch:
              policy:
              strategy_options: ~
            service: { port: }
            nodes:
              10.0.0.1:

            """)
        #expect(diagnostics.isEmpty)
        let config = try #require(loaded)
        #expect(config.control.dir == ".sasha")
        #expect(config.dispatch.policy == "round-robin")
        #expect(config.dispatch.strategyOptions == .object([:]))
        #expect(config.service.port == 8080)
        #expect(config.nodes == [Self.address("10.0.0.1"): NodeConfig()])
    }

    @Test("YAML anchors, aliases and merge keys work, and a key written beside a merge wins")
    func anchorsAndMerges() throws {
        let (loaded, diagnostics) = Self.load(Self.minimal + """
            control: { metrics: 127.0.0.1:9400 }
            nodes:
              10.0.0.1: &web { weight: 3, tags: [images] }
              10.0.0.2:
                <<: *web
                weight: 5

            """)
        #expect(diagnostics.isEmpty)
        let config = try #require(loaded)
        #expect(config.control.metrics == "127.0.0.1:9400")
        #expect(config.nodes[Self.address("10.0.0.1")] == NodeConfig(weight: 3, tags: ["images"]))
        #expect(config.nodes[Self.address("10.0.0.2")] == NodeConfig(weight: 5, tags: ["images"]))
    }

    @Test("plugin options keep the YAML types Yams resolved, nested lists and mappings included")
    func optionsBecomeJSON() throws {
        let config = try #require(Self.load(Self.minimal + """
            dispatch:
              strategy_options:
                int: 42
                hex: 0x10
                float: 2.5
                yes_bool: true
                nothing: null
                quoted_number: "42"
                text: hello
                list: [1, two, [3], { four: 4 }]

            """).config)
        #expect(config.dispatch.strategyOptions == .object([
            "int": .number(42), "hex": .number(16), "float": .number(2.5), "yes_bool": .bool(true),
            "nothing": .null, "quoted_number": .string("42"), "text": .string("hello"),
            "list": .array([.number(1), .string("two"), .array([.number(3)]), .object(["four": .number(4)])]),
        ]))
        #expect(config.dispatch.strategyOptions.jsonText
            == #"{"float":2.5,"hex":16,"int":42,"list":[1,"two",[3],{"four":4}],"nothing":null,"quoted_number":"42","text":"hello","yes_bool":true}"#)
    }

    @Test("examples/loopback.yaml loads without diagnostics")
    func loopbackExample() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let path = root.appendingPathComponent("examples/loopback.yaml").path
        let (loaded, diagnostics) = ConfigLoader.load(path: path)
        #expect(diagnostics.map(\.description) == [])
        let config = try #require(loaded)
        #expect(config.ring.members == (1...5).map { Self.address("127.0.0.\($0)") })
        #expect(config.cluster.vip == Self.address("127.0.0.100"))
        #expect(config.cluster.ports == [8080])
        #expect(config.ring.port == 7400)
        #expect(config.ring.insecure)
        #expect(config.plugins.paths == [".build/debug"])
        #expect(config.dispatch.strategy == "l7")
        #expect(config.dispatch.policy == "round-robin")
        #expect(config.service.port == 8080)
        #expect(config.service.root == "examples/www")
        #expect(config.node(Self.address("127.0.0.4")) == NodeConfig(tags: ["images"]))
        #expect(config.node(Self.address("127.0.0.5")) == NodeConfig(dispatch: false, tags: ["images"]))
        #expect(config.node(Self.address("127.0.0.1")) == NodeConfig())
        #expect(config.sourceMap.file == path)
    }

    @Test("load(path:) reads the file and names it in every location")
    func loadsFromPath() throws {
        let path = NSTemporaryDirectory() + "/sasha-config-\(UUID().uuidString).yaml"
        try (Self.minimal + "ring_typo: 1\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (config, diagnostics) = ConfigLoader.load(path: path)
        #expect(config == nil)
        #expect(diagnostics.map(\.description) == ["\(path):3:1: unknown key 'ring_typo' at the top level; did you mean 'ring'?"])
    }
}
