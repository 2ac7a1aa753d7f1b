import SashaPacket
import SashaSDK
import Testing

/// An ICMP error quoting `quoted` (a frame from `FrameSpec`), cut to `quoteBytes` of its IP
/// packet, from `source` to `destination`, with a correct ICMP checksum.
func icmpErrorFrame(quoting quoted: [UInt8], quoteBytes: Int? = nil, type: UInt8 = 3, code: UInt8 = 4, mtu: UInt16 = 1400,
                    source: UInt32 = 0x0A00_00FE, destination: UInt32 = 0x0A00_0064) -> [UInt8] {
    let packet = Array(quoted[14..<14 + Int(be16(quoted, 16))])
    let quote = Array(packet.prefix(quoteBytes ?? packet.count))
    var icmp: [UInt8] = [type, code, 0, 0, 0, 0, UInt8(mtu >> 8), UInt8(mtu & 0xFF)] + quote
    let checksum = ~referenceSum(icmp)
    icmp[2] = UInt8(checksum >> 8)
    icmp[3] = UInt8(checksum & 0xFF)
    var spec = FrameSpec()
    spec.source = source
    spec.destination = destination
    var frame = Array(spec.bytes()[0..<34])  // Ethernet and an IPv4 header to fill in
    let total = 20 + icmp.count
    frame[16] = UInt8(total >> 8)
    frame[17] = UInt8(total & 0xFF)
    frame[23] = 1
    frame += icmp
    let ipChecksum = referenceIPChecksum(frame)
    frame[24] = UInt8(ipChecksum >> 8)
    frame[25] = UInt8(ipChecksum & 0xFF)
    return frame
}

/// The ICMP error view, its checks and its rewrites (issue 16, item 9): every checksum a rewrite
/// touches must equal one computed from scratch, or the party it reaches drops the error and path
/// MTU discovery stays broken.
@Suite struct ICMPErrorFrameTests {
    let vip: UInt32 = 0x0A00_0064
    let server: UInt32 = 0x0A01_000B
    let client: UInt32 = 0xC612_0A0A

    /// The segment a server sent a client, as the dispatcher forwarded it (from the VIP).
    func reply(payload: Int = 40) -> FrameSpec {
        var spec = FrameSpec()
        spec.source = vip
        spec.destination = client
        spec.sourcePort = 80
        spec.destinationPort = 40000
        spec.payload = (0..<payload).map { UInt8($0 & 0xFF) }
        return spec
    }

    func view(of frame: UnsafeMutableRawBufferPointer) -> ICMPErrorFrame? {
        guard case .ipv4Other(let ip) = classify(frame) else { return nil }
        return ICMPErrorFrame(ip)
    }

    @Test func readsTheQuotedConnection() throws {
        var frame = icmpErrorFrame(quoting: reply().bytes(), quoteBytes: 28 + 40)
        try withFrame(&frame) { buffer in
            let error = try #require(view(of: buffer))
            #expect(error.type == 3 && error.code == 4 && error.nextHopMTU == 1400)
            #expect(error.quotedSource.value == vip && error.quotedDestination.value == client)
            #expect(error.quotedSourcePort == 80 && error.quotedDestinationPort == 40000)
            #expect(error.verifyChecksum())
        }
    }

    /// The quote whole (its TCP checksum too), cut after the TCP checksum, and cut to the 8 bytes
    /// RFC 792 promises: each rewrite leaves every checksum as a full computation gives it.
    @Test(arguments: [nil, 20 + 18, 20 + 8])
    func rewritingTheQuoteKeepsEveryChecksumRight(quoteBytes: Int?) throws {
        var frame = icmpErrorFrame(quoting: reply().bytes(), quoteBytes: quoteBytes)
        try withFrame(&frame) { buffer in
            let error = try #require(view(of: buffer))
            error.ip.setDestination(IPv4Address(server))
            error.setQuotedSource(IPv4Address(server))
            #expect(error.verifyChecksum())
            #expect(error.ip.verifyHeaderChecksum())
        }
        #expect(be32(frame, 30) == server)
        let quote = 14 + 20 + 8
        #expect(be32(frame, quote + 12) == server)
        var quotedHeader = Array(frame[quote..<quote + 20])
        quotedHeader[10] = 0
        quotedHeader[11] = 0
        #expect(be16(frame, quote + 10) == ~referenceSum(quotedHeader))
        if quoteBytes == nil {
            // The whole segment is quoted: its TCP checksum can be checked from scratch.
            let quoted = [UInt8](repeating: 0, count: 14) + Array(frame[quote...])
            #expect(be16(quoted, 14 + 20 + 16) == referenceTCPChecksum(quoted))
        }
    }

    @Test func theOtherWayRewritesTheQuotedDestination() throws {
        var spec = FrameSpec()
        spec.source = client
        spec.destination = server
        spec.destinationPort = 80
        var frame = icmpErrorFrame(quoting: spec.bytes(), source: server, destination: client)
        try withFrame(&frame) { buffer in
            let error = try #require(view(of: buffer))
            error.ip.setSource(IPv4Address(vip))
            error.setQuotedDestination(IPv4Address(vip))
            #expect(error.verifyChecksum() && error.ip.verifyHeaderChecksum())
            #expect(error.quotedDestination.value == vip && error.ip.source.value == vip)
        }
    }

    @Test func aWrongChecksumIsSeen() throws {
        var frame = icmpErrorFrame(quoting: reply().bytes())
        frame[frame.count - 1] ^= 0x40
        let valid = withFrame(&frame) { buffer in view(of: buffer)?.verifyChecksum() }
        #expect(valid == false)
    }

    /// What is not an error quoting the start of a TCP segment gives no view.
    @Test func refusesWhatIsNotAnErrorAboutATCPSegment() {
        let segment = reply().bytes()
        var udp = reply()
        udp.ipProtocol = 17
        var laterFragment = reply()
        laterFragment.fragmentWord = 0x2010
        var shapes: [String: [UInt8]] = [
            "echo request": icmpErrorFrame(quoting: segment, type: 8, code: 0),
            "quote cut inside the ports": icmpErrorFrame(quoting: segment, quoteBytes: 20 + 7),
            "quote cut inside its IP header": icmpErrorFrame(quoting: segment, quoteBytes: 19),
            "quoted UDP": icmpErrorFrame(quoting: udp.bytes()),
            "quoted later fragment": icmpErrorFrame(quoting: laterFragment.bytes()),
        ]
        var version6 = icmpErrorFrame(quoting: segment)
        version6[14 + 20 + 8] = 0x65
        shapes["quoted version 6"] = version6
        var fragmentedError = icmpErrorFrame(quoting: segment)
        fragmentedError[20] = 0x20  // more fragments
        shapes["the error itself a fragment"] = fragmentedError
        var longIHL = icmpErrorFrame(quoting: segment, quoteBytes: 20 + 8)
        longIHL[14 + 20 + 8] = 0x4F  // a 60-byte quoted header in a 28-byte quote
        shapes["quoted header longer than the quote"] = longIHL
        for (shape, var frame) in shapes {
            let view: Bool = withFrame(&frame) { buffer in
                switch classify(buffer) {
                case .ipv4Other(let ip): ICMPErrorFrame(ip) != nil
                default: false
                }
            }
            #expect(!view, "\(shape)")
        }
    }

    /// Random bytes behind a valid ICMP error start: the view and its rewrites stay in bounds
    /// (a trap would end the test process).
    @Test func randomQuotesNeverTrap() {
        var random = SeededRandom(seed: 0x1C3B)
        var views = 0
        for _ in 0..<20_000 {
            var frame = icmpErrorFrame(quoting: reply().bytes(), quoteBytes: 28)
            let extra = Int.random(in: 0...60, using: &random)
            frame += (0..<extra).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                frame[Int.random(in: 14..<frame.count, using: &random)] = UInt8.random(in: .min ... .max, using: &random)
            }
            withFrame(&frame) { buffer in
                guard case .ipv4Other(let ip) = classify(buffer), let error = ICMPErrorFrame(ip) else { return }
                views += 1
                #expect(error.quotedTCP + 8 <= error.end && error.end <= buffer.count)
                _ = error.verifyChecksum()
                error.setQuotedSource(IPv4Address(server))
                error.setQuotedDestination(IPv4Address(client))
            }
        }
        #expect(views > 1_000)
    }
}
