import Foundation
import SashaLink
import SashaSDK
import Testing

/// Gratuitous ARP through libnet, received by a packet socket on the other end of a veth pair.
@Suite("gratuitous ARP on a veth pair")
struct GratuitousARPTests {
    let vip = IPv4Address("198.18.9.100")!

    @Test("the peer sees requests and replies for the VIP from the interface's MAC, broadcast")
    func announceIsSeenOnThePeer() async throws {
        try #require(geteuid() == 0, "this test builds network namespaces and needs root (CI runs as root)")
        let pair = try NamespacePair()
        defer { pair.tearDown() }
        let (vip, link) = (vip, pair.linkA)

        let mac = try await pair.run(in: pair.a) { try LinkInterface.mac(of: link) }
        #expect(mac.map { String(format: "%02x", $0) }.joined(separator: ":") == pair.mac(in: pair.a, of: link))
        let capture = try await pair.run(in: pair.b) { try ARPCapture() }

        try await pair.run(in: pair.a) { try GratuitousARP.announce(vip, on: link, count: 3, interval: .milliseconds(20)) }
        let frames = capture.receive(6, within: .seconds(3)).filter { $0.senderIP == vip }

        #expect(frames.count == 6, "three rounds of a request and a reply: \(frames)")
        #expect(frames.filter { $0.operation == 1 }.count == 3)
        #expect(frames.filter { $0.operation == 2 }.count == 3)
        for frame in frames {
            #expect(frame.senderMAC == mac)
            #expect(frame.ethernetSource == mac)
            #expect(frame.ethernetDestination == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
            #expect(frame.targetIP == vip)
            #expect(frame.targetMAC == (frame.operation == 2 ? mac : [0, 0, 0, 0, 0, 0]))
        }
    }

    @Test("without CAP_NET_RAW the refusal names the capability")
    func notPermitted() async throws {
        try #require(geteuid() == 0, "this test builds network namespaces and needs root (CI runs as root)")
        let pair = try NamespacePair()
        defer { pair.tearDown() }
        let (vip, link) = (vip, pair.linkA)
        let error = try await pair.run(in: pair.a, droppingNetworkCapabilities: true) { () -> LinkError? in
            do throws(LinkError) { try GratuitousARP.announce(vip, on: link, count: 1) } catch { return error }
            return nil
        }
        #expect(error?.reason == .notPermitted)
        #expect(error?.description.hasPrefix("cannot announce 198.18.9.100 by gratuitous ARP on link0: libnet_init:") == true)
        #expect(error?.description.hasSuffix("(run as root or give CAP_NET_RAW)") == true, "\(String(describing: error))")
    }
}
