import SashaPacket
import SashaSDK

/// One fuzz input: a selector byte and the bytes of one Ethernet frame, as the L4 dispatchers'
/// captures hand them over. Selector bit 0: make the frame's checksums right first (IP header,
/// TCP, ICMP, the quoted header), so that the fuzzer reaches the rewrites behind the checksum
/// checks instead of stopping at them; bits 1-7 pick the addresses written.
///
/// Invariants, checked with `precondition` (a trap is a finding):
/// - `classify` and every view it gives stay inside the frame, whatever the bytes;
/// - a TCP segment whose checksum is right (or was partial and was completed) still has a right
///   IP header and TCP checksum after its addresses are rewritten, as the strategies do;
/// - an ICMP error (`ICMPErrorFrame`) whose checksum is right keeps it right after its quote and
///   outer address are rewritten, and so do the quoted header's checksum and, when the quote
///   holds the whole segment, the quoted TCP checksum; a wrong one stays wrong.
enum FuzzInput {
    static func run(_ data: UnsafeRawBufferPointer) {
        guard let selector = data.first, data.count > 1, data.count <= 4096 else { return }
        let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count - 1, alignment: 8)
        defer { frame.deallocate() }
        frame.copyMemory(from: UnsafeRawBufferPointer(rebasing: data.dropFirst()))
        if selector & 1 != 0 { Checksums.makeRight(frame) }
        let one = IPv4Address(0xC612_0000 | UInt32(selector) << 1), other = IPv4Address(0xC613_0000 | UInt32(selector))
        switch classify(frame) {
        case .ipv4TCP(let segment): rewrite(segment, to: one, from: other)
        case .ipv4Other(let ip): if let error = ICMPErrorFrame(ip) { rewrite(error, to: one, quoting: other) }
        case .ipv4Fragment(let ip): precondition(ip.isNonFirstFragment && ip.end <= frame.count)
        case .arp(let arp): precondition(arp.bytes.count >= ARPPacket.frameLength); _ = (arp.senderIP, arp.targetMAC, arp.isGratuitous)
        case .other, .malformed: break
        }
    }

    static func rewrite(_ segment: TCPFrame, to destination: IPv4Address, from source: IPv4Address) {
        let layout = segment.layout
        precondition(layout.ip == EthernetHeader.length && layout.tcp + 20 <= layout.payload && layout.payload <= layout.end
                     && layout.end <= segment.bytes.count, "a TCP view outside its frame")
        _ = FlowKey(request: segment)
        let headerWasRight = segment.ip.verifyHeaderChecksum()
        guard !segment.ip.isFragment, segment.completeChecksumIfPartial() != .invalid else { return }
        segment.setDestination(destination)
        segment.setSource(source)
        precondition(segment.verifyChecksum(), "a rewrite broke a right TCP checksum")
        precondition(segment.ip.verifyHeaderChecksum() == headerWasRight, "a rewrite changed whether the IP header checksum is right")
    }

    static func rewrite(_ error: ICMPErrorFrame, to destination: IPv4Address, quoting source: IPv4Address) {
        precondition(error.icmp + 8 == error.quote && error.quote + 20 <= error.quotedTCP && error.quotedTCP + 8 <= error.end
                     && error.end <= error.bytes.count, "an ICMP error view outside its frame")
        let wasRight = error.verifyChecksum()
        let quotedHeaderWasRight = Checksums.quotedHeaderIsRight(error)
        let quotedSegmentWasRight = Checksums.quotedSegmentIsRight(error)
        error.ip.setDestination(destination)
        error.setQuotedSource(source)
        error.setQuotedDestination(destination)
        precondition(error.verifyChecksum() == wasRight, "a rewrite changed whether the ICMP checksum is right")
        precondition(Checksums.quotedHeaderIsRight(error) == quotedHeaderWasRight, "a rewrite changed the quoted header's checksum's rightness")
        precondition(Checksums.quotedSegmentIsRight(error) == quotedSegmentWasRight, "a rewrite changed the quoted TCP checksum's rightness")
    }
}
