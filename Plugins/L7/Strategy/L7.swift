import SashaSDK

/// Placeholder until the proxy lands.
public final class L7: Strategy {
    public static let name = "l7"
    public static let summary = "HTTP/1.1 reverse proxy with content routing and a cache"
    public init(options: PluginOptions, context: StrategyContext, host: PluginHost?) throws(OptionError) {}
    public func start() throws(OptionError) {}
    public func stop() {}
    public func serversChanged(_ list: ServerList) {}
}
