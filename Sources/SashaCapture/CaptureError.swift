/// Why a capture or an injection handle could not be opened or stopped working.
///
/// Each case renders as one line that tells the operator what to do: these reach `sasha run`'s
/// log when a strategy plugin starts, and a plugin must never crash the node over them.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The process lacks root, or CAP_NET_RAW and CAP_NET_ADMIN (AF_PACKET sockets need them).
    case permissionDenied(interface: String)
    /// No interface of that name in the calling thread's network namespace.
    case noSuchInterface(interface: String)
    /// libpcap could not compile the BPF filter expression; `reason` is pcap_geterr's text.
    case badFilter(interface: String, filter: String, reason: String)
    /// Any other libpcap failure: `operation` names the call, `reason` is pcap_geterr's text.
    case pcap(interface: String, operation: String, reason: String)
    /// An ioctl reading interface facts failed with `errno`.
    case interfaceQuery(interface: String, operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .permissionDenied(let interface):
            "capturing on \(interface) needs root or CAP_NET_RAW and CAP_NET_ADMIN: run sasha as root, or setcap cap_net_raw,cap_net_admin+ep on the binary"
        case .noSuchInterface(let interface):
            "interface \(interface) does not exist on this host: check strategy_options.interface; `ip link` lists the interfaces"
        case .badFilter(let interface, let filter, let reason):
            "the BPF filter '\(filter)' for \(interface) does not compile (\(reason)): fix the expression; `tcpdump -d '\(filter)'` checks one"
        case .pcap(let interface, let operation, let reason):
            "libpcap \(operation) on \(interface) failed: \(reason)"
        case .interfaceQuery(let interface, let operation, let code):
            "reading \(operation) of interface \(interface) failed: errno \(code)"
        }
    }
}
