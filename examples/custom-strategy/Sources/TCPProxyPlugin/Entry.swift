import SashaABI
import SashaSDK
import TCPProxy

/// The plugin's one exported function: what the loader looks up after dlopen.
@_cdecl("sasha_plugin_entry")
public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    exportStrategy(TCPProxy.self, host: host)
}
