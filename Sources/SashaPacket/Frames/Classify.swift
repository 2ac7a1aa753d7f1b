/// Classifies one Ethernet frame, checking every length it will later read.
///
/// Any bytes at all (truncated, lying length fields, random) give either `.malformed` with the
/// reason or a view whose accessors stay inside the frame: nothing here or in the views traps on
/// input. Checksums are not verified here (that reads the whole segment); see
/// `IPv4Packet.verifyHeaderChecksum()` and `TCPFrame.completeChecksumIfPartial()`.
@inlinable
public func classify(_ frame: UnsafeMutableRawBufferPointer) -> FrameKind {
    guard frame.count >= EthernetHeader.length else { return .malformed(.truncatedEthernet) }
    let etherType = EtherType(rawValue: frame._uint16(at: 12))
    switch etherType {
    case .ipv4:
        let ip: IPv4Packet
        switch IPv4Packet.parse(frame) {
        case .success(let packet): ip = packet
        case .failure(let reason): return .malformed(reason)
        }
        if ip.isNonFirstFragment { return .ipv4Fragment(ip) }
        guard ip.protocol == .tcp else { return .ipv4Other(ip) }
        let tcp = ip.payloadOffset
        let end = ip.end
        guard end &- tcp >= 20 else { return .malformed(.truncatedTCPHeader) }
        let headerLength = Int(frame._byte(at: tcp &+ 12) >> 4) &* 4
        guard headerLength >= 20, tcp &+ headerLength <= end else { return .malformed(.tcpDataOffset) }
        let layout = TCPFrameLayout(ip: ip.offset, tcp: tcp, payload: tcp &+ headerLength, end: end)
        return .ipv4TCP(TCPFrame(_unchecked: frame, layout: layout))
    case .arp:
        guard frame.count >= ARPPacket.frameLength else { return .malformed(.truncatedARP) }
        guard let arp = ARPPacket(frame) else { return .malformed(.unsupportedARP) }
        return .arp(arp)
    default:
        return .other(etherType)
    }
}
