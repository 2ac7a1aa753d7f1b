import SashaBase
import Synchronization

/// The servers with their live connection counts: what load-aware policies (least-connections,
/// two-choices, and plugins like them) read on every pick. Counts outlive tables: a server that
/// stays in the list keeps its count across changes.
public final class LoadTable: Sendable {
    public let groups: ServerGroups
    /// `groups.groupLists` as a raw buffer: read on every pick without reference counting.
    public let lists: GroupedBuffer<Int32>
    /// Aligned with `groups.servers`.
    public let counts: [ConnectionCount]
    /// Owns the storage behind `counts`.
    let registry: ConnectionCountRegistry

    public init(_ list: ServerList, registry: ConnectionCountRegistry) {
        self.registry = registry
        groups = ServerGroups(list)
        lists = GroupedBuffer(groups.groupLists.map { $0.map { Int32($0) } })
        counts = registry.counts(for: groups.servers)
    }

    /// True when server `a` is less loaded than `b`: fewer connections per unit of weight, compared
    /// without division (a/wa < b/wb  ⇔  a·wb < b·wa).
    @inlinable
    public func isLessLoaded(_ a: Int, than b: Int) -> Bool {
        counts[a].value &* groups.servers[b].weight < counts[b].value &* groups.servers[a].weight
    }

    /// Counts a connection opened (+1) or closed (-1) on `server`; ignores servers not listed.
    @inlinable
    public func adjust(_ server: IPv4Address, by delta: Int) {
        guard let index = groups.indexOfAddress[server] else { return }
        if delta > 0 { counts[index].opened() } else { counts[index].closed() }
    }
}
