/// Where each header of an Ethernet/IPv4/TCP frame starts, all checked against the frame's
/// length by `classify(_:)`. Plain integers so a caller can keep them and rewrite in place.
public struct TCPFrameLayout: Hashable, Sendable {
    /// The IPv4 header (14).
    public var ip: Int
    /// The TCP header (ip + IHL × 4).
    public var tcp: Int
    /// The TCP payload (tcp + data offset × 4).
    public var payload: Int
    /// One past the IP packet's last byte (ip + total length). Bytes after it are padding.
    public var end: Int

    @inlinable
    public init(ip: Int, tcp: Int, payload: Int, end: Int) {
        self.ip = ip
        self.tcp = tcp
        self.payload = payload
        self.end = end
    }

    /// TCP header plus data: the length the pseudo-header carries.
    @inlinable public var segmentLength: Int { end &- tcp }
}
