import SashaSDK
import Yams

/// Reads the composed document into a `SashaConfig`: every section, its defaults, and the checks
/// between keys. Problems go to the reader; the result is nil when a required value is unusable
/// (the loader also drops it whenever any problem was reported).
struct ConfigBuilder {
    let reader: ConfigReader

    func build(root: Node) -> SashaConfig? {
        let top = ConfigSection(reader: reader, name: "", node: root, anchor: .start(of: reader.file),
                                known: ConfigKeys.top, contents: "sections (\(ConfigKeys.top.joined(separator: ", ")))")
        guard top.isUsable else { return nil }
        for (section, example) in [
            ("cluster", "cluster: { name: demo, vip: 10.0.0.100, ports: [80] }"),
            ("ring", "ring: { members: [10.0.0.1, 10.0.0.2] }"),
        ] where top.keyNode(section) == nil {
            reader.report("missing required section '\(section)'; add e.g. \(example)", at: top.anchor)
        }
        let ring = readRing(top)
        let cluster = readCluster(top, members: ring?.members ?? [])
        let control = readControl(top)
        let plugins = readPlugins(top)
        let dispatch = readDispatch(top)
        let service = readService(top)
        let nodes = readNodes(top, members: ring?.members)
        guard let cluster, let ring else { return nil }
        return SashaConfig(cluster: cluster, ring: ring, control: control, plugins: plugins, dispatch: dispatch,
                           service: service, nodes: nodes, sourceMap: reader.sourceMap(of: root))
    }

    // MARK: cluster

    private func readCluster(_ top: ConfigSection, members: [IPv4Address]) -> SashaConfig.Cluster? {
        let section = top.section("cluster", known: ConfigKeys.cluster, contents: "keys (name, vip, ports)")
        let name = section.required("name", example: "name: demo").flatMap { reader.text($0, section.path("name")) }
        let vipNode = section.required("vip", example: "vip: 10.0.0.100")
        let vip = vipNode.flatMap { reader.address($0, section.path("vip")) }
        if let vip, let vipNode, members.contains(vip) {
            reader.report("cluster.vip \(vip) is also the address of a ring member; the VIP must be an address "
                          + "of its own, which the elected dispatcher takes over", at: vipNode)
        }
        let ports = section.required("ports", example: "ports: [80]").flatMap { node in
            readList(node, section.path("ports"), of: "port numbers", example: "ports: [80, 443]", unique: true,
                     required: true) {
                reader.port($0, $1)
            }
        }
        guard let name, let vip, let ports else { return nil }
        return SashaConfig.Cluster(name: name, vip: vip, ports: ports)
    }

    // MARK: ring

    private func readRing(_ top: ConfigSection) -> SashaConfig.Ring? {
        let section = top.section("ring", known: ConfigKeys.ring, contents: "keys (\(ConfigKeys.ring.joined(separator: ", ")))")
        let members = section.required("members", example: "members: [10.0.0.1, 10.0.0.2]").flatMap { node in
            readList(node, section.path("members"), of: "IPv4 addresses", example: "members: [10.0.0.1, 10.0.0.2]",
                     unique: true, required: true) { reader.address($0, $1) }
        }
        let port = section.value("port").flatMap { reader.port($0, section.path("port")) } ?? SashaConfig.Ring.defaultPort
        let interface = section.value("interface").flatMap { reader.text($0, section.path("interface")) }
        func milliseconds(_ key: String, _ fallback: Int) -> Int {
            section.value(key).flatMap {
                reader.integer($0, section.path(key), in: 1...ConfigKeys.maximumMilliseconds, unit: "milliseconds")
            } ?? fallback
        }
        let heartbeat = milliseconds("heartbeat_ms", SashaConfig.Ring.defaultHeartbeatMs)
        let tokenTimeout = milliseconds("token_timeout_ms", SashaConfig.Ring.defaultTokenTimeoutMs)
        let broadcastTimeout = milliseconds("broadcast_timeout_ms", SashaConfig.Ring.defaultBroadcastTimeoutMs)
        if tokenTimeout <= heartbeat, let node = section.value("token_timeout_ms") ?? section.value("heartbeat_ms") {
            reader.report("ring.token_timeout_ms (\(tokenTimeout)) must be greater than ring.heartbeat_ms (\(heartbeat)), "
                          + "or the token would be declared lost between two heartbeats; about ten heartbeats "
                          + "(\(heartbeat * 10)) is usual", at: node)
        }
        let keyFile = section.value("key_file").flatMap { reader.text($0, section.path("key_file")) }
        let insecure = section.value("insecure").flatMap { reader.bool($0, section.path("insecure")) } ?? false
        if insecure, let node = section.value("insecure"), let outside = members?.first(where: { !$0.isLoopback }) {
            // Without a key anyone who can send UDP to a member speaks for the ring (joins, purges,
            // views that move the VIP); only loopback addresses are out of everyone else's reach.
            reader.report("ring.insecure: true is allowed only when every ring member is a loopback address (127.0.0.0/8), "
                          + "and \(outside) is not; create a key with `sasha keygen --out ring.key`, copy it to every "
                          + "member and set ring.key_file: ring.key instead", at: node)
        }
        guard let members else { return nil }
        return SashaConfig.Ring(port: port, members: members, interface: interface, heartbeatMs: heartbeat,
                                tokenTimeoutMs: tokenTimeout, broadcastTimeoutMs: broadcastTimeout,
                                keyFile: keyFile, insecure: insecure)
    }

    // MARK: control, plugins

    private func readControl(_ top: ConfigSection) -> SashaConfig.Control {
        let section = top.section("control", known: ConfigKeys.control, contents: "keys (dir, metrics)")
        let dir = section.value("dir").flatMap { reader.text($0, section.path("dir")) } ?? SashaConfig.Control.defaultDir
        let metrics = section.value("metrics").flatMap { node -> String? in
            guard let text = reader.text(node, section.path("metrics")) else { return nil }
            guard SashaConfig.endpoint(text) != nil else {
                reader.report("control.metrics: '\(text)' is not ADDRESS:PORT; write e.g. metrics: \"127.0.0.1:9400\", "
                              + "or leave the key out to turn metrics off", at: node)
                return nil
            }
            return text
        }
        return SashaConfig.Control(dir: dir, metrics: metrics)
    }

    private func readPlugins(_ top: ConfigSection) -> SashaConfig.Plugins {
        let section = top.section("plugins", known: ConfigKeys.plugins, contents: "keys (paths)")
        let paths = section.value("paths").flatMap { node in
            readList(node, section.path("paths"), of: "folders", example: "paths: [.build/release]", unique: false) {
                reader.text($0, $1)
            }
        }
        return SashaConfig.Plugins(paths: paths ?? [])
    }

    // MARK: dispatch, service

    private func readDispatch(_ top: ConfigSection) -> SashaConfig.Dispatch {
        let section = top.section("dispatch", known: ConfigKeys.dispatch,
                                  contents: "keys (\(ConfigKeys.dispatch.joined(separator: ", ")))")
        let strategy = section.value("strategy").flatMap { reader.pluginName($0, section.path("strategy")) }
        let policy = section.value("policy").flatMap { reader.pluginName($0, section.path("policy")) }
        return SashaConfig.Dispatch(
            strategy: strategy ?? SashaConfig.Dispatch.defaultStrategy,
            policy: policy ?? SashaConfig.Dispatch.defaultPolicy,
            strategyOptions: reader.options(section.value("strategy_options"), section.path("strategy_options"),
                                            key: "strategy_options"),
            policyOptions: reader.options(section.value("policy_options"), section.path("policy_options"),
                                          key: "policy_options"))
    }

    private func readService(_ top: ConfigSection) -> SashaConfig.Service {
        let section = top.section("service", known: ConfigKeys.service, contents: "keys (port, root, external_port, health, max_age_s, dotfiles)")
        let port = section.value("port").flatMap { reader.port($0, section.path("port")) } ?? SashaConfig.Service.defaultPort
        let root = section.value("root").flatMap { reader.text($0, section.path("root")) }
        let externalPort = section.value("external_port").flatMap { reader.port($0, section.path("external_port")) }
        if root != nil, let node = section.value("external_port"), externalPort != nil {
            reader.report("""
                service.root and service.external_port both name the service: keep root to serve files with the \
                embedded web server, or external_port to use a local server (nginx, ...) that listens on that port
                """, at: node)
        }
        let health = section.value("health").flatMap { node -> String? in
            guard let text = reader.text(node, section.path("health")) else { return nil }
            guard text.hasPrefix("/") else {
                reader.report("service.health must be a URL path starting with '/', got '\(text)'; write health: /\(text)",
                              at: node)
                return nil
            }
            return text
        }
        let maxAge = section.value("max_age_s").flatMap {
            reader.integer($0, section.path("max_age_s"), in: 0...31_536_000, unit: "seconds")
        }
        let dotfiles = section.value("dotfiles").flatMap { reader.bool($0, section.path("dotfiles")) } ?? false
        return SashaConfig.Service(port: port, root: root, externalPort: externalPort, health: health ?? SashaConfig.Service.defaultHealth,
                                   maxAgeSeconds: maxAge, dotfiles: dotfiles)
    }

    // MARK: lists

    /// Reads every item of a list with `item` (given the node and its name, "cluster.ports[0]");
    /// nil when the value is not a list, an item is unusable, or (with `required`) it is empty.
    /// With `unique`, an item equal to an earlier one is reported.
    func readList<Item: Hashable>(
        _ node: Node, _ name: String, of items: String, example: String, unique: Bool, required: Bool = false,
        item: (Node, String) -> Item?
    ) -> [Item]? {
        guard let nodes = reader.list(node, name, of: items, example: example) else { return nil }
        var result: [Item] = []
        var seen = Set<Item>()
        var usable = true
        for (index, itemNode) in nodes.enumerated() {
            let itemName = "\(name)[\(index)]"
            guard let value = item(itemNode, itemName) else {
                usable = false
                continue
            }
            if unique, !seen.insert(value).inserted {
                let shown = value as? String == nil ? "\(value)" : "'\(value)'"
                reader.report("\(itemName): \(shown) is listed twice; remove one", at: itemNode)
                continue
            }
            result.append(value)
        }
        guard usable else { return nil }
        if result.isEmpty, required {
            reader.report("\(name) is empty; list at least one, e.g. \(example)", at: node)
            return nil
        }
        return result
    }
}
