import SashaPacket
import Synchronization

/// Why an L4 dispatcher dropped a frame; each has a counter in `sasha status --json`.
public enum DropCause: Int, CaseIterable, Sendable {
    /// Not Ethernet/IPv4/TCP/ARP nor an ICMP error about a TCP segment, or not on a cluster port.
    case notTCP
    /// An IPv4 fragment (first or later): not reassembled, so not routed (TCP avoids fragments
    /// with path MTU discovery, which the ICMP errors Sasha forwards keep working).
    case fragment
    /// An ICMP error about no connection in the map (or, from the servers' side, not from a
    /// current server about its cluster port).
    case icmpUnmapped
    /// Truncated or inconsistent headers.
    case malformed
    /// A TCP or ICMP checksum that is wrong (not merely left partial by offload).
    case badChecksum
    /// The policy had no server for a new connection.
    case noServer
    /// A segment of a connection the map does not know, and the policy is not consistent.
    case unknownFlow
    /// A segment of a connection the map does not know while the servers' connection lists may
    /// still be coming (a new dispatcher, or servers that joined), that could not be held (the
    /// pool was full) or was held for longer than the wait: TCP sends it again.
    case awaitingLists
    /// The chosen server's MAC address is not known yet (an ARP request went out).
    case noServerMAC
    /// A reply's next hop toward the client is not known yet (l4-3; an ARP request went out).
    case noClientMAC
    /// libpcap refused to send the frame.
    case injectFailed
    /// A frame to the gateway's MAC from a cluster port whose source is not a current server
    /// (l4-3): it is not rewritten to come from the VIP.
    case notFromServer
    /// A new connection when the map already holds `max_flows` (or an imported one beyond it).
    case mapFull

    public var name: String {
        switch self {
        case .notTCP: "not_tcp"
        case .fragment: "fragment"
        case .icmpUnmapped: "icmp_unmapped"
        case .malformed: "malformed"
        case .badChecksum: "bad_checksum"
        case .noServer: "no_server"
        case .unknownFlow: "unknown_flow"
        case .awaitingLists: "awaiting_lists"
        case .noServerMAC: "no_server_mac"
        case .noClientMAC: "no_client_mac"
        case .injectFailed: "inject_failed"
        case .notFromServer: "not_from_server"
        case .mapFull: "map_full"
        }
    }
}

/// The data path's counters: written by its one thread, read by `stats()` from any thread.
/// Relaxed atomics: no lock, and no ordering the readers need.
public final class L4Counters: @unchecked Sendable {
    // @unchecked: `drops` points at atomics, allocated once and freed in deinit.
    /// Frames from clients forwarded to servers.
    public let clientToServer = Atomic<UInt64>(0)
    /// Frames from servers forwarded to clients (l4-3; l4-2 never sees them).
    public let serverToClient = Atomic<UInt64>(0)
    /// ICMP errors about mapped connections forwarded, either way.
    public let icmpErrors = Atomic<UInt64>(0)
    public let arpReplies = Atomic<UInt64>(0)
    public let flowsOpened = Atomic<UInt64>(0)
    /// Frames of unknown connections held while the servers' lists arrived.
    public let framesHeld = Atomic<UInt64>(0)
    /// Connections in the map now.
    public let flows = Atomic<Int>(0)
    /// Bytes of the map's slot array now (it grows by doubling up to what `max_flows` needs).
    public let mapBytes = Atomic<Int>(0)
    /// One counter per `DropCause` (atomics cannot live in an array: they never move).
    private let drops: UnsafeMutablePointer<Atomic<UInt64>>

    public init() {
        drops = .allocate(capacity: DropCause.allCases.count)
        for index in 0..<DropCause.allCases.count { (drops + index).initialize(to: Atomic<UInt64>(0)) }
    }

    deinit {
        drops.deinitialize(count: DropCause.allCases.count)
        drops.deallocate()
    }

    @inlinable public func bump(_ counter: borrowing Atomic<UInt64>) { counter.wrappingAdd(1, ordering: .relaxed) }

    public func drop(_ cause: DropCause) { (drops + cause.rawValue).pointee.wrappingAdd(1, ordering: .relaxed) }

    public func dropped(_ cause: DropCause) -> UInt64 { (drops + cause.rawValue).pointee.load(ordering: .relaxed) }

    /// The counters as JSON members (no braces), for a strategy's `stats()`.
    public var jsonFields: String {
        let dropFields = DropCause.allCases.map { "\"\($0.name)\":\(dropped($0))" }.joined(separator: ",")
        return """
            "packets":{"client_to_server":\(clientToServer.load(ordering: .relaxed)),"server_to_client":\(serverToClient.load(ordering: .relaxed)),\
            "icmp_errors":\(icmpErrors.load(ordering: .relaxed))},\
            "arp_replies":\(arpReplies.load(ordering: .relaxed)),"flows_opened":\(flowsOpened.load(ordering: .relaxed)),"held":\(framesHeld.load(ordering: .relaxed)),\
            "flows":\(flows.load(ordering: .relaxed)),"active":\(flows.load(ordering: .relaxed)),\
            "map_bytes":\(mapBytes.load(ordering: .relaxed)),"drops":{\(dropFields)}
            """
    }

    /// Counts a forwarded frame (`sent`) in `counter`, or a refused injection as a drop.
    @inlinable
    public func count(sent: Bool, in counter: borrowing Atomic<UInt64>) {
        if sent { bump(counter) } else { drop(.injectFailed) }
    }
}

/// A segment the data path may forward: on a cluster port (`port`), not a fragment, and with a
/// checksum that is right, or was partial and is now completed. Otherwise counts the drop.
@inlinable
public func admits(_ segment: TCPFrame, port: UInt16, of ports: [UInt16], counters: L4Counters) -> Bool {
    guard !segment.ip.isFragment else {
        counters.drop(.fragment)
        return false
    }
    guard ports.contains(port) else {
        counters.drop(.notTCP)
        return false
    }
    if segment.completeChecksumIfPartial() == .invalid {
        counters.drop(.badChecksum)
        return false
    }
    return true
}
