import SashaSDK

/// The cluster's configuration, as read from YAML by `ConfigLoader` (every value checked, every
/// optional key filled with its default). Every member runs with the same file.
public struct SashaConfig: Sendable {
    public var cluster: Cluster
    public var ring: Ring
    public var control: Control
    public var plugins: Plugins
    public var dispatch: Dispatch
    public var service: Service
    /// Per-member settings; a member not listed here has `NodeConfig()` (see `node(_:)`).
    public var nodes: [IPv4Address: NodeConfig]
    /// Where each key was in the file, to report later problems (a plugin's option) at their line.
    public var sourceMap: ConfigSourceMap

    public init(
        cluster: Cluster, ring: Ring, control: Control = Control(), plugins: Plugins = Plugins(),
        dispatch: Dispatch = Dispatch(), service: Service = Service(), nodes: [IPv4Address: NodeConfig] = [:],
        sourceMap: ConfigSourceMap = ConfigSourceMap(file: "")
    ) {
        self.cluster = cluster
        self.ring = ring
        self.control = control
        self.plugins = plugins
        self.dispatch = dispatch
        self.service = service
        self.nodes = nodes
        self.sourceMap = sourceMap
    }

    /// A member's settings: its `nodes` entry, or the defaults when it has none.
    public func node(_ address: IPv4Address) -> NodeConfig {
        nodes[address] ?? NodeConfig()
    }

    /// Every tag used in `nodes`, sorted; a tag's index here is its bit in a server's tag mask.
    public var tagNames: [String] {
        Set(nodes.values.flatMap(\.tags)).sorted()
    }

    /// Most distinct tags a cluster may use (a server's tags travel as a 64-bit mask).
    public static let maximumTags = 64

    /// `cluster`: what clients see.
    public struct Cluster: Sendable, Hashable {
        public var name: String
        /// The virtual address clients connect to; the dispatcher holds it.
        public var vip: IPv4Address
        /// The TCP ports served on the VIP.
        public var ports: [UInt16]

        public init(name: String, vip: IPv4Address, ports: [UInt16]) {
            self.name = name
            self.vip = vip
            self.ports = ports
        }
    }

    /// `ring`: the token ring the members form.
    public struct Ring: Sendable, Hashable {
        public static let defaultPort: UInt16 = 7400
        public static let defaultHeartbeatMs = 100
        public static let defaultTokenTimeoutMs = 1000
        public static let defaultBroadcastTimeoutMs = 500

        /// The UDP port of the ring protocol, the same on every member.
        public var port: UInt16
        /// Every member's address; the ring is ordered by address.
        public var members: [IPv4Address]
        /// The network interface the ring and the L4 strategies use; nil lets the daemon choose.
        public var interface: String?
        public var heartbeatMs: Int
        public var tokenTimeoutMs: Int
        public var broadcastTimeoutMs: Int
        /// The shared ring key (`sasha keygen`); the daemon requires it unless `insecure` is true.
        public var keyFile: String?
        public var insecure: Bool

        public init(
            port: UInt16 = defaultPort, members: [IPv4Address], interface: String? = nil,
            heartbeatMs: Int = defaultHeartbeatMs, tokenTimeoutMs: Int = defaultTokenTimeoutMs,
            broadcastTimeoutMs: Int = defaultBroadcastTimeoutMs, keyFile: String? = nil, insecure: Bool = false
        ) {
            self.port = port
            self.members = members
            self.interface = interface
            self.heartbeatMs = heartbeatMs
            self.tokenTimeoutMs = tokenTimeoutMs
            self.broadcastTimeoutMs = broadcastTimeoutMs
            self.keyFile = keyFile
            self.insecure = insecure
        }

        public var heartbeat: Duration { .milliseconds(heartbeatMs) }
        public var tokenTimeout: Duration { .milliseconds(tokenTimeoutMs) }
        public var broadcastTimeout: Duration { .milliseconds(broadcastTimeoutMs) }
    }

    /// `control`: the daemon's local state and operator interfaces.
    public struct Control: Sendable, Hashable {
        public static let defaultDir = ".sasha"

        /// The folder for the control socket and state, relative to the working directory.
        public var dir: String
        /// "ADDRESS:PORT" of the Prometheus endpoint; nil turns metrics off.
        public var metrics: String?

        public init(dir: String = defaultDir, metrics: String? = nil) {
            self.dir = dir
            self.metrics = metrics
        }

        /// `metrics` split into address and port (it was checked when loaded).
        public var metricsEndpoint: (address: IPv4Address, port: UInt16)? {
            metrics.flatMap(SashaConfig.endpoint)
        }
    }

    /// `plugins`: where plugin libraries are looked for, before the folder of the executable.
    public struct Plugins: Sendable, Hashable {
        public var paths: [String]

        public init(paths: [String] = []) { self.paths = paths }
    }

    /// `dispatch`: the strategy and policy plugins and their options.
    public struct Dispatch: Sendable, Hashable {
        public static let defaultStrategy = "l7"
        public static let defaultPolicy = "round-robin"

        public var strategy: String
        public var policy: String
        /// The strategy's options, a JSON object (empty when none were given).
        public var strategyOptions: JSONValue
        /// The policy's options, a JSON object (empty when none were given).
        public var policyOptions: JSONValue

        public init(
            strategy: String = defaultStrategy, policy: String = defaultPolicy,
            strategyOptions: JSONValue = .object([:]), policyOptions: JSONValue = .object([:])
        ) {
            self.strategy = strategy
            self.policy = policy
            self.strategyOptions = strategyOptions
            self.policyOptions = policyOptions
        }
    }

    /// `service`: the web server every serving member runs.
    public struct Service: Sendable, Hashable {
        public static let defaultPort: UInt16 = 8080
        public static let defaultHealth = "/health"

        /// Where the embedded web server listens on the member's own address.
        public var port: UInt16
        /// The folder of static files the embedded web server serves; nil when it serves none.
        public var root: String?
        /// A local server (nginx, ...) on the member's own address at this port is the service
        /// instead: the member serves no files, health-checks it, and the dispatcher sends there.
        public var externalPort: UInt16?
        /// The path the health check requests.
        public var health: String
        /// `Cache-Control: max-age` the embedded web server sends with files; nil sends none.
        public var maxAgeSeconds: Int?
        /// Whether the embedded web server serves names starting with `.` (off by default:
        /// `.git`, `.env` and the like are rarely meant for the public).
        public var dotfiles: Bool

        public init(port: UInt16 = defaultPort, root: String? = nil, externalPort: UInt16? = nil, health: String = defaultHealth,
                    maxAgeSeconds: Int? = nil, dotfiles: Bool = false) {
            self.maxAgeSeconds = maxAgeSeconds
            self.dotfiles = dotfiles
            self.port = port
            self.root = root
            self.externalPort = externalPort
            self.health = health
        }

        /// The port clients' requests reach on each server: the external server's, or the embedded one's.
        public var servingPort: UInt16 { externalPort ?? port }
    }

    /// Splits "ADDRESS:PORT"; nil unless both parts are valid.
    static func endpoint(_ text: String) -> (address: IPv4Address, port: UInt16)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(parts[0]),
              parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber),
              let port = UInt16(parts[1]), port > 0 else { return nil }
        return (address, port)
    }
}

/// One member's settings (`nodes.<address>`).
public struct NodeConfig: Sendable, Hashable {
    public static let weightRange = 0...1000

    /// Whether the member may be elected dispatcher.
    public var dispatch: Bool
    /// Whether the member serves requests.
    public var serve: Bool
    /// Share of new connections for weighted policies; 0 drains the member.
    public var weight: Int
    /// Content-routing tags (an L7 rule sends a request to the servers with its tag).
    public var tags: [String]

    public init(dispatch: Bool = true, serve: Bool = true, weight: Int = 1, tags: [String] = []) {
        self.dispatch = dispatch
        self.serve = serve
        self.weight = weight
        self.tags = tags
    }
}
