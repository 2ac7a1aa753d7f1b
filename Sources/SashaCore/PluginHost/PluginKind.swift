import SashaABI

/// The two kinds of plugin the core loads.
public enum PluginKind: String, Sendable, Codable, CustomStringConvertible {
    case policy
    case strategy

    init?(_ raw: sasha_plugin_kind) {
        switch raw {
        case SASHA_PLUGIN_POLICY: self = .policy
        case SASHA_PLUGIN_STRATEGY: self = .strategy
        default: return nil
        }
    }

    public var description: String { rawValue }
}
