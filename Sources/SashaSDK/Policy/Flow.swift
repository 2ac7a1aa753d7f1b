import SashaABI
import SashaBase

/// A new flow a policy places: who the client is, which cluster port, and, for L7, a content key.
public struct Flow: Sendable {
    public var raw: sasha_flow

    @inlinable public init(_ raw: sasha_flow) { self.raw = raw }

    @inlinable
    public init(
        client: IPv4Address, clientPort: UInt16, clusterPort: UInt16,
        l7Key: UInt64? = nil, group: Int? = nil, midStream: Bool = false
    ) {
        raw = sasha_flow(
            client_address: client.value, client_port: clientPort, cluster_port: clusterPort,
            l7_key: l7Key ?? 0,
            flags: (l7Key == nil ? 0 : SASHA_FLOW_HAS_L7_KEY) | (midStream ? SASHA_FLOW_MID_STREAM : 0),
            group: group.map { UInt32($0 + 1) } ?? 0)
    }

    @inlinable public var client: IPv4Address { IPv4Address(raw.client_address) }
    @inlinable public var clientPort: UInt16 { raw.client_port }
    @inlinable public var clusterPort: UInt16 { raw.cluster_port }
    /// The L7 key (a hash of host and path) when the strategy has one.
    @inlinable public var l7Key: UInt64? { raw.flags & SASHA_FLOW_HAS_L7_KEY != 0 ? raw.l7_key : nil }
    /// The connection is already under way and the dispatcher lost its record (see
    /// `SASHA_FLOW_MID_STREAM`): only a consistent policy is asked.
    @inlinable public var isMidStream: Bool { raw.flags & SASHA_FLOW_MID_STREAM != 0 }
    /// The tag id the flow is restricted to by content routing, or nil for any server.
    @inlinable public var group: Int? { raw.group == 0 ? nil : Int(raw.group - 1) }

    /// A stable hash of the flow: its L7 key when it has one, else client address, port and cluster
    /// port. Consistent policies use it so that every member maps a flow alike.
    @inlinable public var affinityKey: UInt64 {
        if let key = l7Key { return FlowHash.mix(key) }
        return FlowHash.mix(
            UInt64(raw.client_address) << 32 | UInt64(raw.client_port) << 16 | UInt64(raw.cluster_port))
    }
}
