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
/// - Forwarding rewrites the destination MAC to the server's and the source MAC to the output
///   NIC's; IP and TCP are left as they are (servers answer the client directly from the VIP), so
///   no checksum changes, but a partial one (TX offload on a local sender) is completed and a wrong
///   one dropped: a bad checksum is never sent on.
final class DirectReturnPath: @unchecked Sendable {
    // @unchecked: `table`, `scratch` and the sweep state are used only on the capture thread;
    // the rest is immutable or atomic.
    let vip: IPv4Address
    let ports: [UInt16]
    let input: LinkPort
    let output: LinkPort
    let host: PluginHost
    let neighbours: Neighbours
    let counters: L4Counters
    private var table: FlowTable
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
    private var lastSweep: UInt64 = 0
    /// Servers asked for their MAC, and when (at most one ARP request per server per 100 ms).
    private var asked: [UInt32: UInt64] = [:]
    /// Connections handed over by `importConnections`, loaded on the capture thread.
    private let imports = Mutex<[Connection]>([])
    private let importsWaiting = Atomic<Bool>(false)

    init(vip: IPv4Address, settings: L4Settings, input: LinkPort, output: LinkPort, host: PluginHost,
         neighbours: Neighbours, counters: L4Counters) {
        self.vip = vip
        self.ports = settings.ports
        self.input = input
        self.output = output
        self.host = host
        self.neighbours = neighbours
        self.counters = counters
        table = FlowTable(
            minimumCapacity: settings.expectedFlows, idleTimeout: settings.idleTimeoutNanoseconds,
            linger: settings.lingerNanoseconds)
    }

    deinit { scratch.deallocate() }

    // MARK: Per frame

    func handle(_ frame: UnsafeMutableRawBufferPointer) {
        let now = host.monotonicNanoseconds
        switch classify(frame) {
        case .arp(let arp): answer(arp)
        case .ipv4TCP(let segment): forward(segment, frame: frame, now: now)
        case .malformed: counters.drop(.malformed)
        case .ipv4Fragment, .ipv4Other, .other: counters.drop(.notTCP)
        }
        if now &- lastSweep > 10_000_000 { housekeeping(now: now) }
    }

    private func answer(_ arp: ARPPacket) {
        neighbours.learn(arp.senderIP, at: arp.senderMAC)
        guard arp.operation == .request, arp.targetIP == vip, arp.senderIP != vip,
              let length = ARPPacket.writeReply(into: scratch, to: arp, mac: input.mac, ip: vip)
        else { return }
        if input.send(scratch, length: length) { counters.bump(counters.arpReplies) }
    }

    private func forward(_ segment: TCPFrame, frame: UnsafeMutableRawBufferPointer, now: UInt64) {
        let ip = segment.ip
        guard ip.destination == vip, ports.contains(segment.destinationPort), !ip.isFragment else {
            counters.drop(.notTCP)
            return
        }
        if segment.completeChecksumIfPartial() == .invalid {
            counters.drop(.badChecksum)
            return
        }
        guard let server = server(for: segment, now: now) else { return }
        guard let mac = neighbours.mac(of: server) else {
            askForMAC(of: server, now: now)
            counters.drop(.noServerMAC)
            return
        }
        segment.ethernet.destination = mac
        segment.ethernet.source = output.mac
        if output.send(frame, length: frame.count) {
            counters.bump(counters.clientToServer)
        } else {
            counters.drop(.injectFailed)
        }
    }

    /// The flow's server: from the map, or a new pick for a SYN (or, mid-stream, from a
    /// consistent policy). Nil when the frame was dropped.
    private func server(for segment: TCPFrame, now: UInt64) -> IPv4Address? {
        let key = FlowKey(request: segment)
        let flags = segment.flags
        let closing = flags.endsConnection && table.entry(for: key)?.state == .open
        if let server = table.lookup(key, now: now, flags: flags) {
            if closing { host.connectionClosed(on: server) }
            return server
        }
        let isNew = flags.contains(.syn) && !flags.contains(.ack)
        let flow = Flow(client: key.client, clientPort: key.clientPort, clusterPort: key.clusterPort, midStream: !isNew)
        guard let server = host.pick(flow) else {
            counters.drop(isNew ? .noServer : .unknownFlow)
            return nil
        }
        table.insert(key, server: server, now: now)
        counters.flows.store(table.count, ordering: .relaxed)
        if isNew {
            counters.bump(counters.flowsOpened)
            host.connectionOpened(on: server)
        }
        return server
    }

    // MARK: Servers' MACs

    private func askForMAC(of server: IPv4Address, now: UInt64) {
        if let last = asked[server.value], now &- last < 100_000_000 { return }
        asked[server.value] = now
        sendARPRequest(for: server)
    }

    /// "Who has `server`?" out of the output NIC; the answer is learned by whichever capture
    /// sees it. Safe from any thread (it uses its own buffer).
    func sendARPRequest(for server: IPv4Address) {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
            guard let length = ARPPacket.writeRequest(into: buffer, senderMAC: output.mac, senderIP: output.address, targetIP: server)
            else { return }
            _ = output.send(buffer, length: length)
        }
    }

    // MARK: Housekeeping

    private func housekeeping(now: UInt64) {
        lastSweep = now
        if table.expire(now: now, budget: 4_096) > 0 { counters.flows.store(table.count, ordering: .relaxed) }
        if importsWaiting.load(ordering: .acquiring) {
            importsWaiting.store(false, ordering: .relaxed)
            let connections = imports.withLock { list in defer { list = [] }; return list }
            for connection in connections {
                let key = FlowKey(client: connection.client, clientPort: connection.clientPort, clusterPort: connection.clusterPort)
                if table.entry(for: key) == nil { table.insert(key, server: connection.server, now: now) }
            }
            counters.flows.store(table.count, ordering: .relaxed)
        }
    }

    /// Connections another dispatcher mapped (state reconstruction); loaded on the capture thread
    /// within 10 ms of the next frame.
    func importConnections(_ connections: [Connection]) {
        imports.withLock { $0 += connections }
        importsWaiting.store(true, ordering: .releasing)
    }
}
