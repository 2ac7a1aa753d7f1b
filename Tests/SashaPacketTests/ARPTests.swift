import SashaPacket
import SashaSDK
import Testing

@Suite struct ARPTests {
    let ourMAC = MACAddress(0x02, 0x42, 0xAC, 0x11, 0x00, 0x02)
    let ourIP = IPv4Address(0xC0A8_0164)  // 192.168.1.100
    let peerMAC = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    let peerIP = IPv4Address(0xC0A8_0101)

    /// A request as another host sends it, byte by byte (padded to 60 like on the wire).
    func peerRequest() -> [UInt8] {
        var frame: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06]
        frame += [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]
        frame += [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 192, 168, 1, 1]
        frame += [0, 0, 0, 0, 0, 0, 192, 168, 1, 100]
        return frame + [UInt8](repeating: 0, count: 18)
    }

    @Test func readsRequest() throws {
        var frame = peerRequest()
        try withFrame(&frame) { buffer in
            guard case .arp(let arp) = classify(buffer) else { Issue.record("not ARP"); return }
            #expect(arp.operation == .request)
            #expect(arp.senderMAC == peerMAC && arp.senderIP == peerIP)
            #expect(arp.targetMAC == .zero && arp.targetIP == ourIP)
            #expect(arp.ethernet.destination == .broadcast && arp.ethernet.source == peerMAC)
            #expect(!arp.isGratuitous)
            let direct = try #require(ARPPacket(buffer), "the view is also made without classify")
            #expect(direct.targetIP == ourIP)
        }
    }

    @Test func writesReplyToRequest() {
        var request = peerRequest()
        var reply = [UInt8](repeating: 0xEE, count: 64)
        let written = withFrame(&request) { requestBuffer -> Int? in
            guard case .arp(let arp) = classify(requestBuffer) else { return nil }
            return withFrame(&reply) { ARPPacket.writeReply(into: $0, to: arp, mac: ourMAC, ip: ourIP) }
        }
        #expect(written == 42)
        let expected: [UInt8] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x42, 0xAC, 0x11, 0x00, 0x02, 0x08, 0x06]
            + [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02]
            + [0x02, 0x42, 0xAC, 0x11, 0x00, 0x02, 192, 168, 1, 100]
            + [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 192, 168, 1, 1]
        #expect(Array(reply[0..<42]) == expected)
        #expect(reply[42...].allSatisfy { $0 == 0xEE }, "nothing written past 42 bytes")
    }

    @Test func writesRequestAndGratuitous() {
        var buffer = [UInt8](repeating: 0, count: 42)
        let request = withFrame(&buffer) { ARPPacket.writeRequest(into: $0, senderMAC: ourMAC, senderIP: ourIP, targetIP: peerIP) }
        #expect(request == 42)
        withFrame(&buffer) { frame in
            guard case .arp(let arp) = classify(frame) else { Issue.record("not ARP"); return }
            #expect(arp.operation == .request && arp.ethernet.destination == .broadcast)
            #expect(arp.senderMAC == ourMAC && arp.senderIP == ourIP && arp.targetMAC == .zero && arp.targetIP == peerIP)
            #expect(!arp.isGratuitous)
        }
        let gratuitous = withFrame(&buffer) { ARPPacket.writeGratuitous(into: $0, mac: ourMAC, ip: ourIP) }
        #expect(gratuitous == 42)
        withFrame(&buffer) { frame in
            guard case .arp(let arp) = classify(frame) else { Issue.record("not ARP"); return }
            #expect(arp.operation == .request && arp.ethernet.destination == .broadcast && arp.ethernet.source == ourMAC)
            #expect(arp.isGratuitous && arp.senderIP == ourIP && arp.targetIP == ourIP && arp.targetMAC == .zero)
        }
    }

    @Test func writersRefuseShortBuffers() {
        var buffer = [UInt8](repeating: 0x77, count: 41)
        #expect(withFrame(&buffer) { ARPPacket.writeGratuitous(into: $0, mac: ourMAC, ip: ourIP) } == nil)
        #expect(withFrame(&buffer) { ARPPacket.writeRequest(into: $0, senderMAC: ourMAC, senderIP: ourIP, targetIP: peerIP) } == nil)
        #expect(buffer.allSatisfy { $0 == 0x77 })
    }

    @Test func classifiesBadARP() {
        var short = Array(peerRequest()[0..<41])
        #expect(withFrame(&short) { reason(classify($0)) } == .truncatedARP)
        var ipv6 = peerRequest()
        ipv6[16] = 0x86
        ipv6[17] = 0xDD
        #expect(withFrame(&ipv6) { reason(classify($0)) } == .unsupportedARP)
        var longHardware = peerRequest()
        longHardware[18] = 8
        #expect(withFrame(&longHardware) { reason(classify($0)) } == .unsupportedARP)
    }
}

func reason(_ kind: FrameKind) -> MalformedReason? {
    if case .malformed(let reason) = kind { return reason }
    return nil
}
