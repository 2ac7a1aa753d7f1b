import SashaBase

/// A load-balancing policy: picks the server for each new flow.
///
/// Write an ordinary Swift class, then export it with one function:
/// ```swift
/// @_cdecl("sasha_plugin_entry")
/// public func sashaPluginEntry(_ host: UnsafePointer<sasha_host>?) -> UnsafePointer<sasha_plugin_descriptor>? {
///     exportPolicy(MyPolicy.self, host: host)
/// }
/// ```
/// Threading: `pick`, `connectionOpened` and `connectionClosed` run on many threads at once and
/// concurrently with `serversChanged`; keep the server table in a `SnapshotCell` and counters in
/// atomics. `pick` is on the data path: no locks, no allocation.
public protocol Policy: AnyObject, Sendable {
    /// The name YAML uses (`dispatch.policy`), e.g. "round-robin".
    static var name: String { get }
    /// One line for `sasha plugins`.
    static var summary: String { get }

    /// Reads the options. Throwing here is how `sasha check` and a live swap report a bad option:
    /// name the key in the error. Call `options.rejectUnknownKeys()` after reading them.
    init(options: PluginOptions, host: PluginHost?) throws(OptionError)

    /// The servers are now exactly these.
    func serversChanged(_ list: ServerList)

    /// True when `pick` answers the same flow with the same server for as long as the servers
    /// stay the same (consistent hashing). Only such a policy is asked about a flow already under
    /// way that the dispatcher lost (`Flow.isMidStream`); the default is false.
    static var isConsistent: Bool { get }

    /// The server for a new flow, or nil when none can take it.
    func pick(_ flow: Flow) -> IPv4Address?

    /// A flow was opened / closed on `server`. Defaults do nothing.
    func connectionOpened(on server: IPv4Address)
    func connectionClosed(on server: IPv4Address)
}

extension Policy {
    public static var isConsistent: Bool { false }
    public func connectionOpened(on server: IPv4Address) {}
    public func connectionClosed(on server: IPv4Address) {}
}
