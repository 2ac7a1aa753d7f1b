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
        neighbours.learnClient(server, at: attacker)
        neighbours.learnClient(gateway, at: attacker)
        neighbours.learnClient(node, at: attacker)
        #expect(neighbours.mac(of: server) == nil)
        #expect(neighbours.mac(of: gateway) == nil)
        #expect(neighbours.refused.load(ordering: .relaxed) == 3)
        neighbours.learnClient(client, at: attacker)
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
        neighbours.learnClient(newcomer, at: attacker)  // before it was a server: anyone could say it
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
}
