import SashaPacket
import SashaSDK

/// ICMP errors about the dispatcher's connections (issue 16, item 9). A router on a client's path
/// whose link is narrower than the server's packets answers one with "fragmentation needed"
/// addressed to the VIP (the packet's source); unless it reaches the server that sent the packet,
/// the server never lowers its segment size and the connection stalls (a PMTU black hole). The
/// BPF filters let through only the error types (`icmpErrorFilter`); each is checked whole
/// (`ICMPErrorFrame`, its checksum) before anything is read from its quote.

/// BPF: ICMP errors (destination unreachable, time exceeded) sent to `to`.
public func icmpErrorFilter(to destination: String) -> String {
    "(icmp and \(destination) and (icmp[icmptype] == icmp-unreach or icmp[icmptype] == icmp-timxceed))"
}

/// The ICMP error in `ip`, checked, or nil with the drop counted: a fragment (`fragment`), not an
/// error quoting a TCP segment (`not_tcp`), or a wrong checksum (`bad_checksum`).
public func checkedICMPError(_ ip: IPv4Packet, counters: L4Counters) -> ICMPErrorFrame? {
    guard !ip.isFragment else {
        counters.drop(.fragment)
        return nil
    }
    guard let error = ICMPErrorFrame(ip) else {
        counters.drop(.notTCP)
        return nil
    }
    guard error.verifyChecksum() else {
        counters.drop(.badChecksum)
        return nil
    }
    return error
}

extension ConnectionMap {
    /// The server of the connection an ICMP error from the client side is about: it quotes a
    /// segment the VIP sent from a cluster port, to a client with a mapped connection. Nil (and
    /// `icmp_unmapped`) for anything else: an error never opens or changes a connection.
    public func server(for error: ICMPErrorFrame, vip: IPv4Address, ports: [UInt16], now: UInt64) -> IPv4Address? {
        guard error.quotedSource == vip, ports.contains(error.quotedSourcePort),
              let server = mappedServer(
                for: FlowKey(client: error.quotedDestination, clientPort: error.quotedDestinationPort, clusterPort: error.quotedSourcePort),
                now: now)
        else {
            counters.drop(.icmpUnmapped)
            return nil
        }
        return server
    }
}
