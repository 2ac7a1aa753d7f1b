import L4Common
import SashaPacket
import SashaSDK
import Synchronization

/// The l4-2 data path (the spec's Figures 3-4), one frame at a time, on the input capture's
/// thread, which alone touches the connection map: no lock per frame.
///
/// - ARP asking for the VIP is answered with the input NIC's MAC (the kernel never holds the VIP);
///   every ARP frame teaches the servers' MACs.
/// - A client SYN gets a server from the current policy and an entry in the map; later segments of
///   the flow go to the same server; FIN or RST ends the entry after a linger.
/// - A segment of a flow the map lacks goes where a consistent policy (maglev) says, else it is
///   dropped and counted.
/// - An ICMP error to the VIP about a mapped connection (path MTU discovery) goes to its server;
///   fragments are dropped and counted (`fragment`).
/// - Forwarding rewrites the destination MAC to the server's and the source MAC to the output
///   NIC's; IP and TCP are left as they are (servers answer the client directly from the VIP), so
///   no checksum changes, but a partial one (TX offload on a local sender) is completed and a wrong
///   one dropped: a bad checksum is never sent on.
final class DirectReturnPath: @unchecked Sendable {
    // @unchecked: `scratch` and `asking` are used only on the capture thread; the rest is
    // immutable, atomic or confined the same way (`ConnectionMap`).
    let vip: IPv4Address
    let ports: [UInt16]
    let input: LinkPort
    let output: LinkPort
    let host: PluginHost
    let neighbours: Neighbours
    let counters: L4Counters
    let connections: ConnectionMap
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
    private var asking = ARPAsking()

    init(vip: IPv4Address, node: IPv4Address, settings: L4Settings, input: LinkPort, output: LinkPort, host: PluginHost,
         neighbours: Neighbours, counters: L4Counters) {
        self.vip = vip
        self.ports = settings.ports
        self.input = input
        self.output = output
        self.host = host
        self.neighbours = neighbours
        self.counters = counters
        connections = ConnectionMap(settings: settings, host: host, counters: counters, node: node)
    }

    deinit { scratch.deallocate() }

    // MARK: Per frame

    func handle(_ frame: UnsafeMutableRawBufferPointer) {
        let now = host.monotonicNanoseconds
        process(frame, now: now)
        connections.tidy(now: now) { process($0, now: now) }
    }

    /// The link was idle: the lists may have come meanwhile, and held frames wait for them.
    func idle() {
        let now = host.monotonicNanoseconds
        connections.tidy(now: now) { process($0, now: now) }
    }

    private func process(_ frame: UnsafeMutableRawBufferPointer, now: UInt64) {
        switch classify(frame) {
        case .arp(let arp): answer(arp, now: now)
        case .ipv4TCP(let segment): forward(segment, frame: frame, now: now)
        case .ipv4Other(let ip) where ip.protocol == .icmp && ip.destination == vip: forward(icmp: ip, frame: frame, now: now)
        case .malformed: counters.drop(.malformed)
        case .ipv4Fragment: counters.drop(.fragment)
        case .ipv4Other, .other: counters.drop(.notTCP)
        }
    }

    private func answer(_ arp: ARPPacket, now: UInt64) {
        neighbours.learn(from: arp, on: input, now: now)
        if input.answer(arp, for: vip, scratch: scratch) { counters.bump(counters.arpReplies) }
    }

    private func forward(_ segment: TCPFrame, frame: UnsafeMutableRawBufferPointer, now: UInt64) {
        guard segment.ip.destination == vip,
              admits(segment, port: segment.destinationPort, of: ports, counters: counters) else { return }
        guard let server = connections.server(for: segment, frame: frame, now: now) else { return }
        send(frame, segment.ethernet, to: server, now: now, in: counters.clientToServer)
    }

    /// An ICMP error to the VIP about a mapped connection goes to that connection's server as it
    /// is: the server holds the VIP too, so the error names its own segment.
    private func forward(icmp ip: IPv4Packet, frame: UnsafeMutableRawBufferPointer, now: UInt64) {
        guard let error = checkedICMPError(ip, counters: counters),
              let server = connections.server(for: error, vip: vip, ports: ports, now: now), server != connections.node
        else { return }
        send(frame, ip.ethernet, to: server, now: now, in: counters.icmpErrors)
    }

    private func send(_ frame: UnsafeMutableRawBufferPointer, _ ethernet: EthernetHeader, to server: IPv4Address, now: UInt64,
                      in counter: borrowing Atomic<UInt64>) {
        guard let mac = neighbours.mac(of: server) else {
            asking.ask(output, for: server, now: now, neighbours: neighbours)
            counters.drop(.noServerMAC)
            return
        }
        ethernet.destination = mac
        ethernet.source = output.mac
        counters.count(sent: output.send(frame, length: frame.count), in: counter)
    }
}
