import L4Common
import SashaCapture
import SashaPacket
import SashaSDK

/// The l4-3 data path (the spec's Figures 5-6). Client frames arrive for the VIP on the input NIC;
/// each connection gets a server from the current policy and an entry in the map, and its frames
/// leave on the output NIC with the destination address rewritten to the server's. The servers
/// route their replies through the gateway address this member answers ARP for; each reply leaves
/// on the input NIC with its source address rewritten back to the VIP. Both rewrites update the
/// IP and TCP checksums incrementally (RFC 1624); a partial checksum is completed first and a
/// wrong one dropped. ICMP errors about a connection are rewritten like it, both ways (path MTU
/// discovery works through the dispatcher); fragments are dropped and counted (`fragment`).
///
/// Client frames are handled on the input capture's thread, which alone owns the map. Replies need
/// no map (the capture filter only lets replies from the cluster ports to this member's MAC
/// through, and every one is rewritten the same way), so with two NICs they are handled on the
/// output captures' threads, each with a `ReplyWorker` of its own, sharing nothing but the
/// neighbour table, which is lock-free, and the counters, which are atomic.
final class NATPath: @unchecked Sendable {
    // @unchecked: the map, `scratch` and `asking` are the input thread's; each reply thread has
    // its own `ReplyWorker`.
    let vip: IPv4Address
    let gateway: IPv4Address
    let ports: [UInt16]
    let input: LinkPort
    let output: LinkPort
    let host: PluginHost
    let neighbours: Neighbours
    let counters: L4Counters
    let connections: ConnectionMap
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
    private var asking = ARPAsking()

    /// What one reply thread writes: its ARP answer buffer and its ARP request bookkeeping.
    final class ReplyWorker: @unchecked Sendable {
        // @unchecked: used by its one thread only.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        var asking = ARPAsking()
        deinit { scratch.deallocate() }
    }

    init(vip: IPv4Address, node: IPv4Address, gateway: IPv4Address, settings: L4Settings, input: LinkPort, output: LinkPort,
         host: PluginHost, neighbours: Neighbours, counters: L4Counters) {
        self.vip = vip
        self.gateway = gateway
        self.ports = settings.ports
        self.input = input
        self.output = output
        self.host = host
        self.neighbours = neighbours
        self.counters = counters
        connections = ConnectionMap(settings: settings, host: host, counters: counters, node: node)
    }

    deinit { scratch.deallocate() }

    /// The BPF filters: client frames for the VIP; replies from the cluster ports sent to the
    /// output NIC's MAC (the gateway's); ICMP errors to either; ARP on both.
    static func filters(vip: IPv4Address, settings: L4Settings, outputMAC: MACAddress, oneNIC: Bool) -> (input: String, output: String) {
        let replies = "(tcp and ether dst \(outputMAC) and (\(settings.ports.map { "src port \($0)" }.joined(separator: " or "))))"
            + " or \(icmpErrorFilter(to: "ether dst \(outputMAC)"))"
        let clients = settings.clientFilter(vip: vip)
        return oneNIC ? ("\(clients) or \(replies)", "") : (clients, "arp or \(replies)")
    }

    // MARK: Input NIC

    /// A frame from the input capture: ARP, a client's segment, or (one NIC) a server's reply.
    func handleInput(_ frame: UnsafeMutableRawBufferPointer) {
        let now = host.monotonicNanoseconds
        processInput(frame, now: now)
        connections.tidy(now: now) { processInput($0, now: now) }
    }

    /// The input link was idle: the lists may have come meanwhile, and held frames wait for them.
    func idle() {
        let now = host.monotonicNanoseconds
        connections.tidy(now: now) { processInput($0, now: now) }
    }

    private func processInput(_ frame: UnsafeMutableRawBufferPointer, now: UInt64) {
        switch classify(frame) {
        case .arp(let arp):
            neighbours.learn(from: arp, on: input, now: now)
            if input.answer(arp, for: vip, scratch: scratch) || output.answer(arp, for: gateway, scratch: scratch) {
                counters.bump(counters.arpReplies)
            }
        case .ipv4TCP(let segment):
            if segment.ip.destination == vip {
                forwardToServer(segment, frame: frame, now: now)
            } else {
                forwardToClient(segment, frame: frame, now: now, asking: &asking)
            }
        case .ipv4Other(let ip) where ip.protocol == .icmp:
            if ip.destination == vip {
                forwardToServer(icmp: ip, now: now)
            } else {
                forwardToClient(icmp: ip, now: now, asking: &asking)
            }
        case .malformed: counters.drop(.malformed)
        case .ipv4Fragment: counters.drop(.fragment)
        case .ipv4Other, .other: counters.drop(.notTCP)
        }
    }

    private func forwardToServer(_ segment: TCPFrame, frame: UnsafeMutableRawBufferPointer, now: UInt64) {
        guard admits(segment, port: segment.destinationPort, of: ports, counters: counters) else { return }
        guard let server = connections.server(for: segment, frame: frame, now: now) else { return }
        // A client's frames teach the next hop back to it (it, or its router): a SYN, and any
        // later frame when the entry was lost (a failover, an eviction); only a SYN changes it.
        let flags = segment.flags
        neighbours.learnClient(segment.ip.source, at: segment.ethernet.source, opening: flags.contains(.syn) && !flags.contains(.ack))
        guard let mac = serverMAC(server, now: now) else { return }
        segment.setDestination(server)
        segment.ethernet.destination = mac
        segment.ethernet.source = output.mac
        counters.count(sent: output.send(frame, length: frame.count), in: counters.clientToServer)
    }

    /// An ICMP error to the VIP about a mapped connection (a router on the client's path, or the
    /// client) goes to its server, rewritten as the connection is: to the server's address, and
    /// quoting the segment as the server sent it (from its own address), or its TCP would not
    /// know the segment.
    private func forwardToServer(icmp ip: IPv4Packet, now: UInt64) {
        guard let error = checkedICMPError(ip, counters: counters),
              let server = connections.server(for: error, vip: vip, ports: ports, now: now), server != connections.node
        else { return }
        guard let mac = serverMAC(server, now: now) else { return }
        ip.setDestination(server)
        error.setQuotedSource(server)
        ip.ethernet.destination = mac
        ip.ethernet.source = output.mac
        counters.count(sent: output.send(error.bytes, length: error.bytes.count), in: counters.icmpErrors)
    }

    /// The server's MAC, or nil with an ARP request sent (at most every 100 ms) and the frame
    /// counted as dropped (`no_server_mac`). Input thread.
    private func serverMAC(_ server: IPv4Address, now: UInt64) -> MACAddress? {
        if let mac = neighbours.mac(of: server) { return mac }
        asking.ask(output, for: server, now: now, neighbours: neighbours)
        counters.drop(.noServerMAC)
        return nil
    }

    // MARK: Output NIC

    /// The handler of one output capture (two NICs), with a worker of its own.
    func makeReplyHandler() -> CaptureSession.Handler {
        let worker = ReplyWorker()
        return { frame in self.handleOutput(frame, worker) }
    }

    /// A frame from an output capture: ARP, or a server's reply.
    func handleOutput(_ frame: UnsafeMutableRawBufferPointer, _ worker: ReplyWorker) {
        switch classify(frame) {
        case .arp(let arp):
            neighbours.learn(from: arp, on: output, now: host.monotonicNanoseconds)
            if output.answer(arp, for: gateway, scratch: worker.scratch) { counters.bump(counters.arpReplies) }
        case .ipv4TCP(let segment):
            forwardToClient(segment, frame: frame, now: host.monotonicNanoseconds, asking: &worker.asking)
        case .ipv4Other(let ip) where ip.protocol == .icmp:
            forwardToClient(icmp: ip, now: host.monotonicNanoseconds, asking: &worker.asking)
        case .malformed: counters.drop(.malformed)
        case .ipv4Fragment: counters.drop(.fragment)
        case .ipv4Other, .other: counters.drop(.notTCP)
        }
    }

    /// A server's reply: the source becomes the VIP again, and it goes to the client's next hop.
    /// Only a current server's frames are rewritten, from the MAC its ARP reply gave: anything
    /// else sent to the gateway's MAC from a cluster port must not get the VIP as its source
    /// (issue 16). A reply that is an ACK (no SYN, no RST) confirms the client's entry.
    private func forwardToClient(_ segment: TCPFrame, frame: UnsafeMutableRawBufferPointer, now: UInt64,
                                 asking: inout ARPAsking) {
        guard admits(segment, port: segment.sourcePort, of: ports, counters: counters) else { return }
        guard neighbours.isServer(segment.ip.source, at: segment.ethernet.source) else { return counters.drop(.notFromServer) }
        let client = segment.ip.destination
        let flags = segment.flags
        let confirmed = flags.contains(.ack) && !flags.contains(.syn) && !flags.contains(.rst)
        guard let mac = clientMAC(client, confirmed: confirmed, now: now, asking: &asking) else { return }
        segment.setSource(vip)
        segment.ethernet.destination = mac
        segment.ethernet.source = input.mac
        counters.count(sent: input.send(frame, length: frame.count), in: counters.serverToClient)
    }

    /// An ICMP error from a current server about a segment a client sent to its cluster port (an
    /// unreachable, or "fragmentation needed" from the servers' side) goes to that client as if
    /// from the VIP, quoting the segment as the client sent it (to the VIP). Like a reply, no map
    /// is needed: the server and the port are what make it the cluster's to rewrite.
    private func forwardToClient(icmp ip: IPv4Packet, now: UInt64, asking: inout ARPAsking) {
        guard let error = checkedICMPError(ip, counters: counters) else { return }
        let server = ip.source
        guard neighbours.isServer(server, at: ip.ethernet.source), error.quotedDestination == server,
              ports.contains(error.quotedDestinationPort),
              error.quotedSource == ip.destination
        else { return counters.drop(.icmpUnmapped) }
        let client = ip.destination
        guard let mac = clientMAC(client, confirmed: false, now: now, asking: &asking) else { return }
        ip.setSource(vip)
        error.setQuotedDestination(vip)
        ip.ethernet.destination = mac
        ip.ethernet.source = input.mac
        counters.count(sent: input.send(error.bytes, length: error.bytes.count), in: counters.icmpErrors)
    }

    /// The next hop toward `client` (see `Neighbours.clientNextHop`), or nil with an ARP request
    /// sent through the thread's `asking` and the frame counted as dropped (`no_client_mac`).
    private func clientMAC(_ client: IPv4Address, confirmed: Bool, now: UInt64, asking: inout ARPAsking) -> MACAddress? {
        if let mac = neighbours.clientNextHop(of: client, confirmed: confirmed) { return mac }
        asking.ask(input, for: client, now: now, neighbours: neighbours)
        counters.drop(.noClientMAC)
        return nil
    }
}
