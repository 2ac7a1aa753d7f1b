import L7Strategy
import SashaABI
import SashaSDK

/// The plugin's one C symbol (apart from the strategy, like every plugin's entry).
@_cdecl("sasha_plugin_entry")
public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    exportStrategy(L7.self, host: host)
}
