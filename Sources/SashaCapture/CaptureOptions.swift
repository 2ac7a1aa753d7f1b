/// How to open a capture: which interface, which frames, how much kernel buffer.
///
/// The defaults are the ones the L4 strategies want (see DESIGN.md, "Test hosts for the L4
/// strategies"): whole frames, delivered as soon as they arrive, inbound only, so the frames a
/// dispatcher re-sends on the same link do not come back to it.
public struct CaptureOptions: Sendable, Equatable {
    /// Which frames the kernel hands to the capture socket.
    public enum Direction: Sendable, Equatable {
        /// Frames the interface received (PCAP_D_IN): not the ones this host sends.
        case inbound
        /// Frames in both directions (PCAP_D_INOUT), for diagnostics.
        case both
    }

    /// The interface's name in the calling thread's network namespace.
    public var interface: String
    /// A BPF filter expression (tcpdump syntax); empty takes every frame. The kernel runs it
    /// before copying, so a tight filter is what keeps the receive thread idle for other traffic.
    public var filter: String
    /// Bytes of kernel ring buffer. A few MiB ride out bursts while the handler runs.
    public var bufferSize: Int
    /// Bytes kept of each frame; 65535 keeps every Ethernet frame whole. It also sizes the
    /// ring's slots (libpcap's immediate mode uses TPACKET_V2, one slot per frame of this many
    /// bytes), so a forwarding capture sets it to `Self.snapLength(mtu:)`: 8 MiB then hold
    /// about 5,000 frames instead of 128.
    public var snapLength: Int
    public var direction: Direction
    /// Promiscuous mode: only for diagnostics, the dispatcher receives frames sent to its own MAC.
    public var promiscuous: Bool
    /// A fanout group (PACKET_FANOUT_HASH): sessions on one interface with the same group share
    /// its frames, each frame going to one of them by a hash of its flow, so several threads can
    /// forward one link's traffic and a flow's frames stay in order on one of them.
    public var fanoutGroup: UInt16?

    public init(
        interface: String, filter: String = "", bufferSize: Int = 4 << 20, snapLength: Int = 65535,
        direction: Direction = .inbound, promiscuous: Bool = false, fanoutGroup: UInt16? = nil
    ) {
        self.interface = interface
        self.filter = filter
        self.bufferSize = bufferSize
        self.snapLength = snapLength
        self.direction = direction
        self.promiscuous = promiscuous
        self.fanoutGroup = fanoutGroup
    }

    /// Whole frames of a link with this MTU: the Ethernet header and one VLAN tag on top.
    public static func snapLength(mtu: Int32) -> Int { Int(max(mtu, 576)) + 14 + 4 }
}
