import SashaPacket
import SashaSDK
import Testing

/// Garbage in: every kind `classify` returns must be safe to read and rewrite in full. A trap
/// here kills the test process, so finishing is itself the first assertion; the layout checks
/// are the second.
@Suite struct RobustnessTests {
    @Test func randomAndMutatedFrames() {
        var random = SeededRandom(seed: 0xBAD_F00D)
        var counts: [String: Int] = [:]
        for round in 0..<40_000 {
            var bytes: [UInt8]
            switch round % 4 {
            case 0:  // random bytes of random length
                bytes = (0..<Int.random(in: 0...120, using: &random)).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            case 1:  // a random valid frame, truncated anywhere
                let full = FrameSpec.random(using: &random).bytes()
                bytes = Array(full[0..<Int.random(in: 0...full.count, using: &random)])
            case 2:  // a valid frame with a few header bytes corrupted
                bytes = FrameSpec.random(using: &random).bytes()
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 12..<min(bytes.count, 80), using: &random)] = UInt8.random(in: .min ... .max, using: &random)
                }
            default:  // random bytes behind a plausible Ethernet + IPv4/ARP start
                bytes = (0..<Int.random(in: 14...80, using: &random)).map { _ in UInt8.random(in: .min ... .max, using: &random) }
                bytes[12] = 0x08
                bytes[13] = Bool.random(using: &random) ? 0x00 : 0x06
                if bytes[13] == 0x06, bytes.count >= 20, Bool.random(using: &random) {
                    bytes.replaceSubrange(14..<20, with: [0, 1, 8, 0, 6, 4])
                }
                if bytes[13] == 0, bytes.count >= 34 {
                    bytes[14] = 0x40 | (bytes[14] & 0x0F)
                    // A total length that often fits, and TCP half of the time.
                    bytes[16] = 0
                    bytes[17] = UInt8(Int.random(in: 0...(bytes.count - 14), using: &random))
                    if Bool.random(using: &random) { bytes[23] = 6 }
                    if Bool.random(using: &random) { bytes[20] &= 0xE0; bytes[21] = 0 }
                }
            }
            let count = bytes.count
            let name = withFrame(&bytes) { buffer in exercise(classify(buffer), count: count) }
            counts[name, default: 0] += 1
        }
        // The generator reaches every kind, so each accessor above really ran.
        for kind in ["arp", "tcp", "fragment", "ipv4Other", "other", "malformed"] {
            #expect(counts[kind, default: 0] > 0, "\(kind): \(counts)")
        }
    }

    /// Reads every accessor and performs every rewrite; checks the layout lies inside the frame.
    private func exercise(_ kind: FrameKind, count: Int) -> String {
        switch kind {
        case .arp(let arp):
            #expect(count >= 42)
            _ = (arp.operation, arp.senderMAC, arp.senderIP, arp.targetMAC, arp.targetIP, arp.isGratuitous)
            _ = (arp.ethernet.destination, arp.ethernet.source, arp.ethernet.etherType)
            return "arp"
        case .ipv4TCP(let frame):
            let layout = frame.layout
            #expect(layout.ip == 14 && layout.ip + 20 <= layout.tcp && layout.tcp + 20 <= layout.payload)
            #expect(layout.payload <= layout.end && layout.end <= count)
            touch(frame.ip)
            _ = (frame.sourcePort, frame.destinationPort, frame.sequenceNumber, frame.acknowledgmentNumber)
            _ = (frame.flags, frame.window, frame.checksum, frame.headerLength, frame.payloadLength)
            _ = frame.verifyChecksum()
            let status = frame.completeChecksumIfPartial()
            if status != .invalid { #expect(frame.verifyChecksum()) }
            let valid = frame.verifyChecksum()
            frame.ethernet.destination = .broadcast
            frame.setSource(IPv4Address(0x0102_0304))
            frame.setDestination(IPv4Address(0xFFFF_FFFF))
            frame.setSourcePort(0)
            frame.setDestinationPort(0xFFFF)
            #expect(frame.verifyChecksum() == valid, "rewrites keep a checksum's validity")
            _ = FlowKey(request: frame)
            _ = FlowKey(reply: frame)
            return "tcp"
        case .ipv4Fragment(let ip):
            #expect(ip.isNonFirstFragment && ip.end <= count)
            touch(ip)
            return "fragment"
        case .ipv4Other(let ip):
            #expect(ip.protocol != .tcp && ip.end <= count)
            touch(ip)
            return "ipv4Other"
        case .other(let type):
            #expect(type != .ipv4 && type != .arp && count >= 14)
            return "other"
        case .malformed:
            return "malformed"
        }
    }

    private func touch(_ ip: IPv4Packet) {
        #expect(ip.offset + ip.headerLength <= ip.end && ip.headerLength >= 20)
        _ = (ip.totalLength, ip.identification, ip.dontFragment, ip.moreFragments, ip.fragmentOffset, ip.ttl)
        _ = (ip.protocol, ip.headerChecksum, ip.source, ip.destination, ip.payloadOffset, ip.isFragment)
        let valid = ip.verifyHeaderChecksum()
        ip.setSource(IPv4Address(0))
        ip.setDestination(IPv4Address(0xC0A8_0001))
        _ = ip.decrementTTL()
        #expect(ip.verifyHeaderChecksum() == valid)
        ip.recomputeHeaderChecksum()
        #expect(ip.verifyHeaderChecksum())
    }
}
