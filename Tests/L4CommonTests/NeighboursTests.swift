@testable import L4Common
import SashaPacket
import SashaSDK
import Testing

/// The neighbour table never lets a frame from the client side repoint a server or this member's
/// own addresses (issue 16, item 7).
@Suite struct NeighboursTests {
    let server = IPv4Address("198.18.2.11")!
    let gateway = IPv4Address("198.18.2.254")!
    let node = IPv4Address("198.18.2.1")!
    let client = IPv4Address("198.18.1.10")!
    let ours = MACAddress(0x02, 0x5a, 0, 0, 1, 1)
    let serverMAC = MACAddress(0x02, 0x5a, 0, 0, 0x0b, 0)
    let attacker = MACAddress(0x02, 0x66, 0x66, 0x66, 0x66, 0x66)
    let now: UInt64 = 5_000_000_000

    func guarded() -> Neighbours {
        let neighbours = Neighbours()
        neighbours.guardAddresses(servers: [server], own: [node, gateway])
        return neighbours
    }

    /// Runs `body` with an ARP frame of `operation` from `senderMAC`/`senderIP` to `targetMAC`.
    func withARP(_ operation: ARPPacket.Operation, from senderMAC: MACAddress, _ senderIP: IPv4Address,
                 to targetMAC: MACAddress, _ body: (ARPPacket) -> Void) {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
            let length = ARPPacket.write(into: buffer, ethernetDestination: targetMAC, ethernetSource: senderMAC, operation: operation,
                                         senderMAC: senderMAC, senderIP: senderIP, targetMAC: targetMAC, targetIP: node)!
            body(ARPPacket(UnsafeMutableRawBufferPointer(rebasing: buffer[..<length]))!)
        }
    }

    @Test func aClientFrameNeverTeachesAServerOrOwnAddress() {
        let neighbours = guarded()
        neighbours.learnClient(server, at: attacker, opening: true)
        neighbours.learnClient(gateway, at: attacker, opening: true)
        neighbours.learnClient(node, at: attacker, opening: true)
        #expect(neighbours.mac(of: server) == nil)
        #expect(neighbours.mac(of: gateway) == nil)
        #expect(neighbours.refused.load(ordering: .relaxed) == 3)
        neighbours.learnClient(client, at: attacker, opening: true)
        #expect(neighbours.mac(of: client) == attacker)
    }

    @Test func aServerIsLearnedOnlyFromTheReplyToOurAsk() {
        let neighbours = guarded()
        // Unsolicited: a forged reply, and a gratuitous announcement.
        withARP(.reply, from: attacker, server, to: ours) { neighbours.learn(from: $0, receivedBy: ours, now: now) }
        withARP(.request, from: attacker, server, to: .broadcast) { neighbours.learn(from: $0, receivedBy: ours, now: now) }
        #expect(neighbours.mac(of: server) == nil)
        neighbours.noteAsked(server, now: now)
        // A reply to someone else is not ours; a reply after the window is stale.
        withARP(.reply, from: attacker, server, to: attacker) { neighbours.learn(from: $0, receivedBy: ours, now: now + 1) }
        withARP(.reply, from: attacker, server, to: ours) {
            neighbours.learn(from: $0, receivedBy: ours, now: now + Neighbours.askWindow + 1)
        }
        #expect(neighbours.mac(of: server) == nil)
        withARP(.reply, from: serverMAC, server, to: ours) { neighbours.learn(from: $0, receivedBy: ours, now: now + 1_000) }
        #expect(neighbours.mac(of: server) == serverMAC)
        #expect(neighbours.refused.load(ordering: .relaxed) == 4)
    }

    @Test func ownAddressesAreNeverLearnedEvenWhenAsked() {
        let neighbours = guarded()
        neighbours.noteAsked(gateway, now: now)
        withARP(.reply, from: attacker, gateway, to: ours) { neighbours.learn(from: $0, receivedBy: ours, now: now + 1) }
        #expect(neighbours.mac(of: gateway) == nil)
    }

    @Test func anAddressThatBecomesAServerForgetsWhatAnyoneSaidOfIt() {
        let neighbours = Neighbours()
        let newcomer = IPv4Address("198.18.2.12")!
        neighbours.learnClient(newcomer, at: attacker, opening: true)  // before it was a server: anyone could say it
        #expect(neighbours.mac(of: newcomer) == attacker)
        neighbours.guardAddresses(servers: [server, newcomer], own: [node])
        #expect(neighbours.mac(of: newcomer) == nil)
    }

    @Test func asksForClientsAreNotRemembered() {
        let neighbours = guarded()
        neighbours.noteAsked(client, now: now)
        // An unguarded address is learned from any ARP anyway (it is a client's own business).
        withARP(.request, from: attacker, client, to: .broadcast) { neighbours.learn(from: $0, receivedBy: ours, now: now) }
        #expect(neighbours.mac(of: client) == attacker)
    }

    /// A flood of new client addresses (random-source SYNs) costs the same per address and no
    /// more memory, and never pushes out the clients a server confirmed (issue 16, item 8).
    @Test func aFloodOfNewClientsKeepsTheTableBoundedAndTheConfirmedOnes() {
        let neighbours = Neighbours(clientCapacity: 1 << 12)
        let regulars = (0..<500).map { IPv4Address(0xC612_0100 + UInt32($0)) }
        for regular in regulars {
            neighbours.learnClient(regular, at: serverMAC, opening: true)
            #expect(neighbours.clientNextHop(of: regular, confirmed: true) == serverMAC)   // a server's ACK to it
        }
        var random: UInt64 = 0x5EED
        for _ in 0..<200_000 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            neighbours.learnClient(IPv4Address(UInt32(truncatingIfNeeded: random >> 32)), at: attacker, opening: true)
        }
        #expect(neighbours.count <= 1 << 12)
        #expect(regulars.allSatisfy { neighbours.mac(of: $0) == serverMAC })
        // A client moved behind another router: its next SYN says so.
        neighbours.learnClient(regulars[0], at: attacker, opening: true)
        #expect(neighbours.mac(of: regulars[0]) == attacker)
    }

    /// Client frames alone (spoofable) neither protect an entry nor repoint one: only a SYN (or
    /// ARP) changes a recorded next hop, and only a server's ACK marks it established.
    @Test func clientFramesNeitherRepointNorProtectAnEntry() {
        let neighbours = Neighbours(clientCapacity: 4)   // every address shares the same four slots
        neighbours.learnClient(client, at: serverMAC, opening: true)
        neighbours.learnClient(client, at: attacker, opening: false)   // a spoofed ACK from the client's address
        #expect(neighbours.mac(of: client) == serverMAC)
        let others = (1...4).map { IPv4Address(0xC612_0200 + UInt32($0)) }
        for other in others { neighbours.learnClient(other, at: serverMAC, opening: false) }   // mid-stream frames: not confirmed
        for flood in 0..<64 { neighbours.learnClient(IPv4Address(0xC613_0000 + UInt32(flood)), at: attacker, opening: true) }
        #expect(others.allSatisfy { neighbours.mac(of: $0) != serverMAC }, "unconfirmed entries are the flood's victims")
        let multicast = MACAddress(0x01, 0x00, 0x5e, 0, 0, 1)
        let listener = IPv4Address("198.18.1.77")!
        neighbours.learnClient(listener, at: multicast, opening: true)
        #expect(neighbours.mac(of: listener) == nil, "a multicast source MAC is never a next hop")
    }

    @Test func aServerIsKnownByItsAddressAndTheMACItsARPReplyGave() {
        let neighbours = guarded()
        neighbours.noteAsked(server, now: now)
        withARP(.reply, from: serverMAC, server, to: ours) { neighbours.learn(from: $0, receivedBy: ours, now: now + 1) }
        #expect(neighbours.isServer(server, at: serverMAC))
        #expect(!neighbours.isServer(server, at: attacker), "a host on the link using a server's address")
        #expect(!neighbours.isServer(client, at: serverMAC))
    }

    @Test func aClientEntryLostIsLearnedAgainFromItsNextFrame() {
        let neighbours = Neighbours(clientCapacity: 4)
        let addresses = (1...5).map { IPv4Address(0xC612_0100 + UInt32($0)) }
        for address in addresses { neighbours.learnClient(address, at: serverMAC, opening: true) }
        #expect(addresses.filter { neighbours.mac(of: $0) == nil }.count == 1)
        for address in addresses {
            neighbours.learnClient(address, at: serverMAC, opening: false)
            #expect(neighbours.mac(of: address) == serverMAC)
        }
    }

    @Test func arpAskingForgetsWhenFull() {
        var asking = ARPAsking()
        let first = asking.shouldAsk(for: client, now: now)
        let again = asking.shouldAsk(for: client, now: now + 1_000)
        #expect(first && !again)
        var asked = 0
        for index in 0..<20_000 where asking.shouldAsk(for: IPv4Address(UInt32(index + 1)), now: now + UInt64(index) * 1_000) { asked += 1 }
        #expect(asking.count <= ARPAsking.limit)
        #expect(asked == ARPAsking.perSecond - 1, "20,000 addresses in 20 ms: at most perSecond requests a second")
        var storm = 0
        for index in 0..<20_000 where asking.shouldAsk(for: IPv4Address(UInt32(index + 30_001)), now: now + 5_000_000_000 + UInt64(index) * 100_000) {
            storm += 1
        }
        #expect(storm == 2 * ARPAsking.perSecond, "20,000 addresses over 2 s")
        let later = asking.shouldAsk(for: client, now: now + ARPAsking.interval)
        #expect(later)
    }
}
