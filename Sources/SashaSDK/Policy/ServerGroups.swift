import SashaBase

/// The servers eligible for new flows, by group, precomputed when the server list changes so that
/// `pick` only indexes arrays. Group nil is every eligible server; group i is those with tag i.
public struct ServerGroups: Sendable {
    public let servers: [Server]
    /// Indices into `servers` of every eligible server, in address order.
    public let all: [Int]
    /// `byTag[i]`: indices of eligible servers carrying tag i.
    public let byTag: [[Int]]
    /// Address to index in `servers`, for connection events.
    public let indexOfAddress: [IPv4Address: Int]

    public init(_ list: ServerList) {
        let sorted = list.servers.sorted { $0.address < $1.address }
        servers = sorted
        all = sorted.indices.filter { sorted[$0].isEligible }
        let tagCount = max(list.tagNames.count, sorted.map { 64 - $0.tagMask.leadingZeroBitCount }.max() ?? 0)
        byTag = (0..<min(tagCount, 64)).map { tag in
            sorted.indices.filter { sorted[$0].isEligible && sorted[$0].hasTag(tag) }
        }
        indexOfAddress = Dictionary(
            sorted.enumerated().map { ($0.element.address, $0.offset) }, uniquingKeysWith: { a, _ in a })
    }

    /// Candidate indices for a flow; empty when its group has no eligible server.
    @inlinable
    public func candidates(for flow: Flow) -> [Int] {
        guard let group = flow.group else { return all }
        return group < byTag.count ? byTag[group] : []
    }

    /// Every candidate list: `all` first, then one per tag. Policies precompute per-group state
    /// (a Maglev table, a weighted sequence) from this, indexed like `groupIndex(for:)`.
    public var groupLists: [[Int]] { [all] + byTag }

    /// Index into `groupLists` for a flow, or nil when it names a tag no server carries.
    @inlinable
    public func groupIndex(for flow: Flow) -> Int? {
        guard let group = flow.group else { return 0 }
        return group < byTag.count ? group + 1 : nil
    }
}
