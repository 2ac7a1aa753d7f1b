import SashaPacket
import SashaSDK
import Synchronization

/// Next hops' MAC addresses: the servers' and this member's own neighbours' (from ARP, in a small
/// table read through `SnapshotCell`), and the clients' (from the frame that opened their
/// connection, or ARP, in the fixed-size `ClientNextHops`, so that a flood of new client
/// addresses costs the same per frame and no more memory). Read on the data path for every
/// forwarded frame, lock-free; written rarely: when a frame says something new.
///
/// Guarded addresses (the servers, and this member's own: node, VIP, gateway) decide where the
/// cluster's own traffic goes, so a frame from the client side must never repoint them (issue 16:
/// a SYN whose source was a server's address made `l4-3` send that server's traffic to the
/// attacker). A guarded address is learned only from an ARP reply to a request this member made
/// within `askWindow`, addressed to it; this member's own addresses are never learned.
public final class Neighbours: Sendable {
    final class Table: Sendable {
        let macs: [UInt32: MACAddress]
        init(_ macs: [UInt32: MACAddress]) { self.macs = macs }
    }

    final class Guarded: Sendable {
        let servers: Set<UInt32>
        let own: Set<UInt32>
        init(servers: Set<UInt32>, own: Set<UInt32>) {
            self.servers = servers
            self.own = own
        }
        func contains(_ address: UInt32) -> Bool { servers.contains(address) || own.contains(address) }
    }

    /// How long after a request its reply is believed.
    static let askWindow: UInt64 = 2_000_000_000

    /// The guarded addresses' MACs (as many as there are servers).
    private let cell = SnapshotCell(Table([:]))
    /// Everyone else's.
    private let clients: ClientNextHops
    private let guarded = SnapshotCell(Guarded(servers: [], own: []))
    /// When this member last asked for each guarded address (monotonic ns); touched on asks and
    /// ARP frames only.
    private let asked = Protected<[UInt32: UInt64]>([:])
    /// Frames that tried to repoint a guarded address, and were ignored.
    public let refused = Atomic<UInt64>(0)

    /// `clientCapacity`: how many client next hops are kept (see `ClientNextHops`).
    public init(clientCapacity: Int = 1 << 16) {
        clients = ClientNextHops(capacity: clientCapacity)
    }

    @inlinable public func mac(of address: IPv4Address) -> MACAddress? { lookup(address.value) }

    @usableFromInline func lookup(_ address: UInt32) -> MACAddress? {
        cell.read { $0.macs[address] } ?? clients.mac(of: address)
    }


    /// Sets the guarded addresses. A server new to the list loses what was learned for it before
    /// it was guarded (anyone could have said it), so that it is asked for anew.
    public func guardAddresses(servers: [IPv4Address], own: [IPv4Address]) {
        let next = Guarded(servers: Set(servers.map(\.value)), own: Set(own.map(\.value).filter { $0 != 0 }))
        let before = guarded.value
        guarded.replace(with: next)
        let newlyGuarded = next.servers.union(next.own).subtracting(before.servers).subtracting(before.own)
        let noLongerGuarded = before.servers.union(before.own).subtracting(next.servers).subtracting(next.own)
        for address in newlyGuarded { clients.remove(address) }
        guard !newlyGuarded.isEmpty || !noLongerGuarded.isEmpty else { return }
        cell.update { table in
            let stale = newlyGuarded.union(noLongerGuarded)
            guard stale.contains(where: { table.macs[$0] != nil }) else { return nil }
            return Table(table.macs.filter { !stale.contains($0.key) })
        }
    }

    /// Asks `port`'s link who has `address`, and remembers the ask so that the reply is believed.
    public func ask(_ port: LinkPort, for address: IPv4Address, now: UInt64) {
        noteAsked(address, now: now)
        port.requestMAC(of: address)
    }

    /// Remembers an ask for a guarded address (only those: the table stays as small as the
    /// server list however many clients are asked for).
    func noteAsked(_ address: IPv4Address, now: UInt64) {
        guard guarded.read({ $0.contains(address.value) }) else { return }
        asked.withLock { $0[address.value] = now }
    }

    /// What an ARP frame that `port` received says of its sender.
    public func learn(from arp: ARPPacket, on port: LinkPort, now: UInt64) {
        learn(from: arp, receivedBy: port.mac, now: now)
    }

    /// What an ARP frame received on the link whose MAC is `mac` says of its sender.
    func learn(from arp: ARPPacket, receivedBy mac: MACAddress, now: UInt64) {
        let sender = arp.senderIP.value
        let guarding = guarded.value
        if guarding.own.contains(sender) { return refuse() }
        if guarding.servers.contains(sender) {
            let expected = asked.withLock { asked -> Bool in
                guard let when = asked[sender], now &- when <= Self.askWindow else { return false }
                return true
            }
            guard expected, arp.operation == .reply, arp.targetMAC == mac else {
                // Unsolicited (a gratuitous ARP, a request of its own, a forged reply): not
                // believed; counted when it says something other than what we know.
                if lookup(sender) != arp.senderMAC { refuse() }
                return
            }
        }
        record(arp.senderIP, at: arp.senderMAC)
    }

    /// A client's next hop, from its frames that the map placed: a SYN (a new connection) may
    /// change what is recorded, as an ARP frame may; any other frame only fills in an address
    /// not recorded (after a failover, or an eviction), so that a spoofed segment cannot repoint
    /// the replies of a client that already has an entry. Never a guarded address. Per frame:
    /// what is already known costs a lock-free look.
    @inlinable
    public func learnClient(_ address: IPv4Address, at mac: MACAddress, opening: Bool) {
        if knowsClient(address.value, at: mac, opening: opening) { return }
        learnNewClient(address, at: mac, replacing: opening)
    }

    @usableFromInline func knowsClient(_ address: UInt32, at mac: MACAddress, opening: Bool) -> Bool {
        guard let word = clients.entry(of: address) else { return false }
        return !opening || word & 0xFFFF_FFFF_FFFF == mac.rawValue
    }

    @usableFromInline func learnNewClient(_ address: IPv4Address, at mac: MACAddress, replacing: Bool) {
        if guarded.read({ $0.contains(address.value) }) { return refuse() }
        guard address.value != 0, !mac.isMulticast, mac != .zero else { return }
        clients.record(address.value, at: mac, replacing: replacing)
        // Guarded meanwhile (`guardAddresses` on another thread): not a client's to say.
        if guarded.read({ $0.contains(address.value) }) { clients.remove(address.value) }
    }

    /// The next hop toward `client` for a server's reply (l4-3). `confirmed`: the reply is an
    /// ACK without SYN or RST, which a server sends only in a connection whose handshake the
    /// client completed: the entry is then marked established (once), which keeps it over
    /// entries no server has confirmed when the cache is full. Lock-free but for that once.
    public func clientNextHop(of client: IPv4Address, confirmed: Bool) -> MACAddress? {
        if let mac = cell.read({ $0.macs[client.value] }) { return mac }
        guard let word = clients.entry(of: client.value) else { return nil }
        if confirmed, word & ClientNextHops.established == 0 { clients.markEstablished(client.value, word: word) }
        return MACAddress(rawValue: word & 0xFFFF_FFFF_FFFF)
    }

    /// Whether `address` is a current server and `mac` the MAC learned for it (from the ARP
    /// reply to this member's ask): what a frame must show before l4-3 rewrites it to come from
    /// the VIP, so that a host on a shared link cannot pass for a server by its IP alone.
    public func isServer(_ address: IPv4Address, at mac: MACAddress) -> Bool {
        guard guarded.read({ $0.servers.contains(address.value) }) else { return false }
        return cell.read { $0.macs[address.value] } == mac
    }

    /// Records `address` at `mac` when that is news (so a steady stream of ARP writes nothing):
    /// a guarded address in the small table, anyone else in `clients`. Safe from several threads
    /// at once (the input thread and the reply threads all learn).
    func record(_ address: IPv4Address, at mac: MACAddress) {
        guard address.value != 0, !mac.isMulticast, mac != .zero, lookup(address.value) != mac else { return }
        guard guarded.read({ $0.contains(address.value) }) else {
            return learnNewClient(address, at: mac, replacing: true)
        }
        cell.update { table in
            guard table.macs[address.value] != mac else { return nil }
            var macs = table.macs
            macs[address.value] = mac
            return Table(macs)
        }
    }

    private func refuse() {
        refused.add(1, ordering: .relaxed)
    }

    public var count: Int { cell.read { $0.macs.count } + clients.count }
}
