import SashaBase

/// What identifies a client connection to the cluster: the client's address and port and the
/// cluster port it connected to. The cluster address is not part of it (one table per address).
///
/// A NAT reply (source = server:clusterPort, destination = client:clientPort) maps back with the
/// same key, because the server listens on the cluster port: the reply's destination gives the
/// client half and its source port gives the cluster port.
public struct FlowKey: Hashable, Sendable {
    public var client: IPv4Address
    public var clientPort: UInt16
    public var clusterPort: UInt16

    @inlinable
    public init(client: IPv4Address, clientPort: UInt16, clusterPort: UInt16) {
        self.client = client
        self.clientPort = clientPort
        self.clusterPort = clusterPort
    }

    /// The key of a client-to-cluster segment.
    @inlinable
    public init(request frame: TCPFrame) {
        self.init(client: frame.ip.source, clientPort: frame.sourcePort, clusterPort: frame.destinationPort)
    }

    /// The key of a server-to-client reply (NAT): the same key as the request it answers.
    @inlinable
    public init(reply frame: TCPFrame) {
        self.init(client: frame.ip.destination, clientPort: frame.destinationPort, clusterPort: frame.sourcePort)
    }

    /// The key as one word: what the table hashes and compares.
    @inlinable
    public var packed: UInt64 { UInt64(client.value) << 32 | UInt64(clientPort) << 16 | UInt64(clusterPort) }

    @inlinable
    public init(packed: UInt64) {
        self.init(
            client: IPv4Address(UInt32(truncatingIfNeeded: packed >> 32)),
            clientPort: UInt16(truncatingIfNeeded: packed >> 16), clusterPort: UInt16(truncatingIfNeeded: packed))
    }
}
