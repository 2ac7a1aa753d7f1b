import SashaSDK

/// The SDK's `LoadTable` plus, per group, what a least-connections scan reads for each member
/// (its counter, weight and address) side by side in one raw buffer: the scan visits every member
/// on every pick, so it must not chase indices or touch reference counts.
final class ScanTable: Sendable {
    /// 16 bytes, so four members share a cache line.
    struct Member: BitwiseCopyable {
        let count: ConnectionCount
        /// ⌊(2³² − 1) / weight⌋: load × this orders servers by load / weight without dividing.
        let inverseWeight: UInt32
        let address: UInt32

        /// Open connections per unit of weight, in fixed point (32 fractional bits).
        @inline(__always) var score: UInt64 {
            UInt64(truncatingIfNeeded: count.value) &* UInt64(inverseWeight)
        }
    }

    let load: LoadTable
    /// Indexed like `ServerGroups.groupLists`.
    let members: GroupedBuffer<Member>

    init(_ load: LoadTable) {
        self.load = load
        members = GroupedBuffer(load.groups.groupLists.map { list in
            list.map { Member(count: load.counts[$0], inverseWeight: UInt32.max / UInt32(max(1, load.groups.servers[$0].weight)), address: load.groups.servers[$0].address.value) }
        })
    }
}
