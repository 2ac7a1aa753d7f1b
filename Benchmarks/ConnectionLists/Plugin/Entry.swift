import ListBenchStrategy
import SashaABI
import SashaSDK

/// The plugin's one C symbol.
@_cdecl("sasha_plugin_entry")
public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    exportStrategy(ListBench.self, host: host)
}
