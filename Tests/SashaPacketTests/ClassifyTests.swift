import SashaPacket
import SashaSDK
import Testing

@Suite struct ClassifyTests {
    @Test func readsEveryTCPField() throws {
        var spec = FrameSpec()
        spec.source = 0xC633_6407  // 198.51.100.7
        spec.destination = 0xCB00_710A
        spec.sourcePort = 51515
        spec.destinationPort = 443
        spec.flags = 0x12  // SYN+ACK
        spec.ipOptions = [1, 1, 1, 0]
        spec.tcpOptions = [2, 4, 5, 0xB4]
        spec.payload = [1, 2, 3]
        spec.padding = 4
        var bytes = spec.bytes()
        let expectedChecksum = referenceTCPChecksum(bytes)
        try withFrame(&bytes) { buffer in
            let frame = try #require(tcpFrame(buffer))
            #expect(frame.layout == TCPFrameLayout(ip: 14, tcp: 38, payload: 62, end: 65))
            #expect(frame.layout.segmentLength == 27)
            #expect(frame.ethernet.destination == spec.destinationMAC && frame.ethernet.source == spec.sourceMAC)
            #expect(frame.ethernet.etherType == .ipv4)
            #expect(frame.ip.headerLength == 24 && frame.ip.totalLength == 51 && frame.ip.end == 65)
            #expect(frame.ip.ttl == 64 && frame.ip.protocol == .tcp && frame.ip.identification == 0x1234)
            #expect(frame.ip.dontFragment && !frame.ip.moreFragments && frame.ip.fragmentOffset == 0 && !frame.ip.isFragment)
            #expect(frame.ip.source == IPv4Address(0xC633_6407) && frame.ip.destination == IPv4Address(0xCB00_710A))
            #expect(frame.sourcePort == 51515 && frame.destinationPort == 443)
            #expect(frame.flags == [.syn, .ack] && !frame.flags.endsConnection)
            #expect(frame.sequenceNumber == 0x0102_0304 && frame.acknowledgmentNumber == 0x0506_0708)
            #expect(frame.headerLength == 24 && frame.payloadLength == 3 && frame.window == 65535)
            #expect(frame.ip.verifyHeaderChecksum() && frame.verifyChecksum())
            #expect(frame.checksum == expectedChecksum)
        }
    }

    @Test func macRewriteTouchesOnlyTheMACs() throws {
        var bytes = FrameSpec().bytes()
        let before = bytes
        let server = try #require(MACAddress("52:54:00:aa:bb:cc"))
        let ours = try #require(MACAddress("02:00:00:00:00:09"))
        withFrame(&bytes) { buffer in
            guard let frame = tcpFrame(buffer) else { Issue.record("not TCP"); return }
            frame.ethernet.destination = server
            frame.ethernet.source = ours
        }
        #expect(Array(bytes[0..<6]) == [0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC])
        #expect(Array(bytes[6..<12]) == [0x02, 0, 0, 0, 0, 0x09])
        #expect(bytes[12...] == before[12...], "no checksum or other byte changes")
    }

    @Test func otherKinds() {
        var udp = FrameSpec()
        udp.ipProtocol = 17
        var bytes = udp.bytes()
        withFrame(&bytes) { buffer in
            guard case .ipv4Other(let ip) = classify(buffer) else { Issue.record("not ipv4Other"); return }
            #expect(ip.protocol == .udp)
        }
        var vlan = FrameSpec()
        vlan.etherType = 0x8100
        bytes = vlan.bytes()
        withFrame(&bytes) { buffer in
            guard case .other(let type) = classify(buffer) else { Issue.record("not other"); return }
            #expect(type == .vlan)
        }
        var ipv6 = [UInt8](repeating: 0, count: 60)
        ipv6[12] = 0x86
        ipv6[13] = 0xDD
        withFrame(&ipv6) { buffer in
            guard case .other(let type) = classify(buffer) else { Issue.record("not other"); return }
            #expect(type == .ipv6)
        }
    }

    @Test func fragments() throws {
        var later = FrameSpec()
        later.fragmentWord = 0x2000 | 185  // MF, offset 185 × 8
        var bytes = later.bytes()
        withFrame(&bytes) { buffer in
            guard case .ipv4Fragment(let ip) = classify(buffer) else { Issue.record("not a fragment"); return }
            #expect(ip.isNonFirstFragment && ip.isFragment && ip.moreFragments && ip.fragmentOffset == 185)
        }
        var last = FrameSpec()
        last.fragmentWord = 3  // last fragment: MF clear, offset 3
        bytes = last.bytes()
        withFrame(&bytes) { buffer in
            guard case .ipv4Fragment(let ip) = classify(buffer) else { Issue.record("not a fragment"); return }
            #expect(!ip.moreFragments && ip.fragmentOffset == 3)
        }
        var first = FrameSpec()
        first.fragmentWord = 0x2000  // MF, offset 0: has the TCP header
        bytes = first.bytes()
        try withFrame(&bytes) { buffer in
            let frame = try #require(tcpFrame(buffer))
            #expect(frame.ip.isFragment && !frame.ip.isNonFirstFragment && frame.destinationPort == 80)
        }
    }

    @Test func malformedReasons() {
        func kind(_ edit: (inout [UInt8]) -> Void) -> MalformedReason? {
            var bytes = FrameSpec().bytes()
            edit(&bytes)
            return withFrame(&bytes) { reason(classify($0)) }
        }
        #expect(kind { $0 = Array($0[0..<13]) } == .truncatedEthernet)
        #expect(kind { $0 = Array($0[0..<33]) } == .truncatedIPv4Header)
        #expect(kind { $0[14] = 0x65 } == .ipv4Version)
        #expect(kind { $0[14] = 0x44 } == .ipv4HeaderLength)
        #expect(kind { $0[14] = 0x4F } == .truncatedIPv4Header, "IHL 15 (60 bytes) in a 54-byte frame")
        #expect(kind { $0[16] = 0; $0[17] = 19 } == .ipv4TotalLength)
        #expect(kind { $0[16] = 0; $0[17] = 41 } == .truncatedIPv4Packet)
        #expect(kind { $0[16] = 0; $0[17] = 39 } == .truncatedTCPHeader)
        #expect(kind { $0[46] = 0x40 } == .tcpDataOffset)
        #expect(kind { $0[46] = 0x60 } == .tcpDataOffset, "24-byte TCP header in a 20-byte segment")
    }

    @Test func everyTruncationIsMalformed() {
        var spec = FrameSpec()
        spec.payload = Array(0..<33)
        spec.tcpOptions = [1, 1, 1, 1]
        let full = spec.bytes()
        for length in 0..<full.count {
            var bytes = Array(full[0..<length])
            let kind = withFrame(&bytes) { reason(classify($0)) }
            #expect(kind != nil, "truncated to \(length) bytes")
        }
    }

    @Test func paddingIsNotPartOfThePacket() throws {
        var spec = FrameSpec()
        spec.payload = [0xAB]
        spec.padding = 5  // 14 + 41 = 55, padded to 60
        var bytes = spec.bytes()
        for index in 55..<60 { bytes[index] = 0x5A }  // padding need not be zero
        try withFrame(&bytes) { buffer in
            let frame = try #require(tcpFrame(buffer))
            #expect(frame.layout.end == 55 && frame.payloadLength == 1)
            #expect(frame.verifyChecksum())
            #expect(frame.completeChecksumIfPartial() == .valid)
        }
    }
}
