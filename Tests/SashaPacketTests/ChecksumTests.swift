import SashaPacket
import SashaSDK
import Testing

@Suite struct ChecksumTests {
    @Test func rfc1071Example() {
        // RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2.
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        bytes.withUnsafeBytes { buffer in
            var sum = InternetChecksum()
            sum.add(bytes: buffer)
            #expect(sum.folded == 0xDDF2)
            #expect(InternetChecksum.checksum(of: buffer) == 0x220D)
        }
    }

    @Test func matchesReferenceOnRandomBytes() {
        var random = SeededRandom(seed: 1071)
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            let checksum = bytes.withUnsafeBytes { InternetChecksum.checksum(of: $0) }
            #expect(checksum == ~referenceSum(bytes), "\(bytes.count) bytes")
        }
        // Long runs of 0xFF: many carries.
        let ones = [UInt8](repeating: 0xFF, count: 65535)
        #expect(ones.withUnsafeBytes { InternetChecksum.checksum(of: $0) } == ~referenceSum(ones))
    }

    @Test func rfc1624Example() {
        // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 → m' = 0x3285 gives 0x0000 (eqn. 2 would give 0xFFFF).
        #expect(InternetChecksum.update(0xDD2F, old: UInt16(0x5555), new: 0x3285) == 0x0000)
        // And back again.
        #expect(InternetChecksum.update(0x0000, old: UInt16(0x3285), new: 0x5555) == 0xDD2F)
        // Unchanged field, unchanged checksum (except that a ones' complement zero stays 0x0000).
        #expect(InternetChecksum.update(0x1234, old: UInt16(0xABCD), new: 0xABCD) == 0x1234)
        #expect(InternetChecksum.update(0x1234, old: UInt32(0xFFFF_0000), new: 0xFFFF_0000) == 0x1234)
    }

    /// Random packets, random address and port rewrites: the incremental checksums must equal a
    /// full recomputation after every step (odd payloads, options, padding included).
    @Test func incrementalEqualsFullRecomputation() throws {
        var random = SeededRandom(seed: 1624)
        let edgeAddresses: [UInt32] = [0, 0xFFFF_FFFF, 0xFFFF_0000, 0x0000_FFFF]
        let edgePorts: [UInt16] = [0, 0xFFFF, 1, 0xFF00]
        for round in 0..<4000 {
            var bytes = FrameSpec.random(using: &random).bytes()
            try withFrame(&bytes) { buffer in
                let frame = try #require(tcpFrame(buffer), "round \(round)")
                #expect(frame.ip.verifyHeaderChecksum() && frame.verifyChecksum())
            }
            for _ in 0..<4 {
                let address = Bool.random(using: &random) ? edgeAddresses.randomElement(using: &random)! : UInt32.random(in: .min ... .max, using: &random)
                let port = Bool.random(using: &random) ? edgePorts.randomElement(using: &random)! : UInt16.random(in: .min ... .max, using: &random)
                let choice = Int.random(in: 0..<4, using: &random)
                withFrame(&bytes) { buffer in
                    guard let frame = tcpFrame(buffer) else { return }
                    switch choice {
                    case 0: frame.setSource(IPv4Address(address))
                    case 1: frame.setDestination(IPv4Address(address))
                    case 2: frame.setSourcePort(port)
                    default: frame.setDestinationPort(port)
                    }
                }
                #expect(be16(bytes, 24) == referenceIPChecksum(bytes), "round \(round)")
                let tcp = 14 + Int(bytes[14] & 0x0F) * 4
                #expect(be16(bytes, tcp + 16) == referenceTCPChecksum(bytes), "round \(round)")
            }
        }
    }

    /// Rewrites whose correct result is a checksum of 0x0000 (the RFC 1624 corner), and away.
    @Test func rewriteToAndFromZeroChecksum() throws {
        var random = SeededRandom(seed: 0)
        var hits = 0
        for _ in 0..<200 {
            var bytes = FrameSpec.random(using: &random).bytes()
            // The destination whose low word makes the IP header sum 0xFFFF: checksum 0x0000.
            var probe = bytes
            probe[30...33] = [0, 0, 0, 0]
            let low = referenceIPChecksum(probe)
            let target = UInt32(low)
            try withFrame(&bytes) { buffer in
                let frame = try #require(tcpFrame(buffer))
                frame.setDestination(IPv4Address(target))
                #expect(frame.ip.headerChecksum == 0x0000)
                #expect(frame.ip.verifyHeaderChecksum() && frame.verifyChecksum())
            }
            #expect(be16(bytes, 24) == referenceIPChecksum(bytes))
            hits += be16(bytes, 24) == 0 ? 1 : 0
            try withFrame(&bytes) { buffer in
                let frame = try #require(tcpFrame(buffer))
                frame.setDestination(IPv4Address(UInt32.random(in: 1 ... .max, using: &random)))
                #expect(frame.ip.verifyHeaderChecksum() && frame.verifyChecksum())
            }
            #expect(be16(bytes, 24) == referenceIPChecksum(bytes))
        }
        #expect(hits == 200)
    }

    @Test func ttlDecrement() throws {
        var spec = FrameSpec()
        spec.ttl = 2
        var bytes = spec.bytes()
        try withFrame(&bytes) { buffer in
            let frame = try #require(tcpFrame(buffer))
            #expect(frame.ip.decrementTTL())
            #expect(frame.ip.ttl == 1 && frame.ip.verifyHeaderChecksum())
            #expect(!frame.ip.decrementTTL())
            #expect(frame.ip.ttl == 1)
        }
    }

    /// A frame from a veth with TX offload: the field holds the folded pseudo-header sum.
    @Test func completesPartialChecksums() throws {
        var random = SeededRandom(seed: 42)
        for _ in 0..<1000 {
            let spec = FrameSpec.random(using: &random)
            let good = spec.bytes()
            var bytes = good
            let tcp = 14 + 20 + spec.ipOptions.count
            let segmentLength = 20 + spec.tcpOptions.count + spec.payload.count
            let partial = referencePseudoHeaderSum(source: spec.source, destination: spec.destination, segmentLength: segmentLength)
            bytes[tcp + 16] = UInt8(partial >> 8)
            bytes[tcp + 17] = UInt8(partial & 0xFF)
            let wasGood = bytes == good  // the odd segment whose checksum equals its pseudo sum
            try withFrame(&bytes) { buffer in
                let frame = try #require(tcpFrame(buffer))
                #expect(frame.pseudoHeaderSum.folded == partial)
                #expect(frame.verifyChecksum() == wasGood)
                #expect(frame.completeChecksumIfPartial() == (wasGood ? .valid : .completed))
                #expect(frame.verifyChecksum())
                #expect(frame.completeChecksumIfPartial() == .valid)
            }
            #expect(bytes == good)
        }
    }

    @Test func corruptChecksumIsInvalidAndLeftAlone() throws {
        var spec = FrameSpec()
        spec.payload = Array(repeating: 7, count: 11)
        var bytes = spec.bytes()
        bytes[14 + 20 + 20 + 3] ^= 0x10  // flip a payload bit
        try withFrame(&bytes) { buffer in
            let frame = try #require(tcpFrame(buffer))
            let field = frame.checksum
            #expect(!frame.verifyChecksum())
            #expect(frame.completeChecksumIfPartial() == .invalid)
            #expect(frame.checksum == field)
            // An incremental rewrite keeps it wrong rather than repairing it.
            frame.setDestination(IPv4Address(0x0A00_0002))
            #expect(!frame.verifyChecksum() && frame.ip.verifyHeaderChecksum())
        }
    }

    @Test func ipv4PacketSettersFixOnlyTheHeader() throws {
        var spec = FrameSpec()
        spec.ipProtocol = 17
        var bytes = spec.bytes()
        let payloadBefore = Array(bytes[34...])
        try withFrame(&bytes) { buffer in
            guard case .ipv4Other(let ip) = classify(buffer) else { Issue.record("not ipv4Other"); return }
            ip.setSource(IPv4Address(0xFFFF_FFFF))
            ip.setDestination(IPv4Address(0))
            #expect(ip.source == IPv4Address(0xFFFF_FFFF) && ip.destination == IPv4Address(0))
            #expect(ip.verifyHeaderChecksum())
            let copy = try #require(IPv4Packet(buffer))
            copy.recomputeHeaderChecksum()
            #expect(copy.verifyHeaderChecksum())
        }
        #expect(be16(bytes, 24) == referenceIPChecksum(bytes))
        #expect(Array(bytes[34...]) == payloadBefore)
    }
}
