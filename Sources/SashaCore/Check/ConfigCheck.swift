import SashaSDK

/// `sasha check`: the configuration's own problems, then the plugins it names and their options,
/// each problem as FILE:LINE:COLUMN: message.
public enum ConfigCheck {
    public struct Report: Sendable {
        public var diagnostics: [Diagnostic]
        /// One line describing a good configuration; nil when there are diagnostics.
        public var summary: String?
    }

    public static func run(path: String, executableDirectory: String? = PluginSearchPath.executableDirectory) -> Report {
        let (loaded, diagnostics) = ConfigLoader.load(path: path)
        guard let config = loaded else { return Report(diagnostics: diagnostics, summary: nil) }
        let loader = PluginLoader(searchPaths: PluginSearchPath.folders(
            configured: config.plugins.paths, executableDirectory: executableDirectory))
        var problems = diagnostics
        problems += checkPlugin(config.dispatch.strategy, kind: .strategy, options: config.dispatch.strategyOptions,
                                key: "strategy", in: config, loader: loader)
        problems += checkPlugin(config.dispatch.policy, kind: .policy, options: config.dispatch.policyOptions,
                                key: "policy", in: config, loader: loader)
        guard problems.isEmpty else { return Report(diagnostics: problems, summary: nil) }
        let ports = config.cluster.ports.map(String.init).joined(separator: ",")
        return Report(diagnostics: [], summary: """
            \(path): ok: cluster \(config.cluster.name), \(config.ring.members.count) members, \
            VIP \(config.cluster.vip):\(ports), strategy \(config.dispatch.strategy), policy \(config.dispatch.policy)
            """)
    }

    static func checkPlugin(
        _ name: String, kind: PluginKind, options: JSONValue, key: String, in config: SashaConfig, loader: PluginLoader
    ) -> [Diagnostic] {
        let map = config.sourceMap
        let fallback = SourceLocation(file: map.file, line: 1, column: 1)
        switch loader.load(name: name, kind: kind) {
        case .failure(let refusal):
            let location = map.valueLocation(of: ["dispatch", key]) ?? fallback
            return [Diagnostic(location: location, message: "dispatch.\(key): \(refusal)")]
        case .success(let plugin):
            guard let error = plugin.validate(options: options) else { return [] }
            let optionPath = error.key.split(separator: ".").map(String.init)
            let location = map.location(of: ["dispatch", "\(key)_options"] + optionPath) ?? fallback
            let shown = error.key.isEmpty ? "dispatch.\(key)_options" : "dispatch.\(key)_options.\(error.key)"
            return [Diagnostic(location: location, message: "\(shown): \(error.message) (plugin \(plugin.name))")]
        }
    }
}
