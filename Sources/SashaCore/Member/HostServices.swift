import SashaABI
import SashaSDK

/// What one member's plugins reach through their host table (`sasha_host.context`): the policy
/// a strategy's `pick` goes to, the servers a strategy left out, the member's own service (for
/// `serve_also`) and whoever hands the role over when a data path fails (`data_path_failed`).
///
/// One per member, not per process, so that several members can run in one process (tests,
/// and an embedding that runs a member beside other work): each strategy instance is created
/// with its member's table, and nothing a plugin does through it reaches another member.
public final class HostServices: Sendable {
    public let currentPolicy = CurrentPolicy()
    public let exclusions = ServerExclusions()
    let serviceAddresses = ServiceAddresses()
    let dataPathFailures = DataPathFailures()
    /// This member's address, on the plugins' log lines (nil: no member, as for a plugin's entry).
    let node: IPv4Address?
    /// One table per plugin name, so that logs and metrics carry the plugin's name. Made on first
    /// use and never freed: a plugin may keep its table for the life of the process.
    private let tables = Protected<[String: HostTablePointer]>([:])

    public init(node: IPv4Address? = nil) {
        self.node = node
    }

    /// The table to hand `plugin` (its name, or its file's stem before it has said its name).
    public func table(for plugin: String) -> UnsafePointer<sasha_host> {
        tables.withLock { tables in
            if let made = tables[plugin] { return made.pointer }
            let made = HostTable.make(plugin: plugin, services: self)
            tables[plugin] = HostTablePointer(pointer: made)
            return made
        }
    }
}

/// A table pointer kept in a lock: the table itself is immutable once made.
private struct HostTablePointer: @unchecked Sendable {
    let pointer: UnsafePointer<sasha_host>
}
