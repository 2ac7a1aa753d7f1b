import TwoChoicesPolicy
import SashaABI
import SashaSDK

/// The plugin's one C symbol, looked up by the loader after `dlopen`. It lives apart from the
/// policy because every plugin exports this same name: two of them in one executable (the tests,
/// a benchmark) fail to link with "multiple definition of 'sasha_plugin_entry'".
@_cdecl("sasha_plugin_entry")
public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
    exportPolicy(TwoChoices.self, host: host)
}
