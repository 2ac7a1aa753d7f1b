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
    /// Bytes kept of each frame; 65535 keeps every Ethernet frame whole.
    public var snapLength: Int
    public var direction: Direction
    /// Promiscuous mode: only for diagnostics, the dispatcher receives frames sent to its own MAC.
    public var promiscuous: Bool

    public init(
        interface: String, filter: String = "", bufferSize: Int = 4 << 20, snapLength: Int = 65535,
        direction: Direction = .inbound, promiscuous: Bool = false
    ) {
        self.interface = interface
        self.filter = filter
        self.bufferSize = bufferSize
        self.snapLength = snapLength
        self.direction = direction
        self.promiscuous = promiscuous
    }
}
