import SashaPacket
import SashaSDK

/// Checksums computed from scratch, to check the incremental ones against (and to make a fuzz
/// input's checksums right before it is fed, so the fuzzer gets past the checks).
enum Checksums {
    /// Rewrites every checksum `classify` lets the data path look at: the IP header's, the TCP
    /// segment's, and for an ICMP error the quoted header's, the quoted segment's (when whole)
    /// and the ICMP message's, innermost first.
    static func makeRight(_ frame: UnsafeMutableRawBufferPointer) {
        switch classify(frame) {
        case .ipv4TCP(let segment):
            segment.recomputeChecksum()
            segment.ip.recomputeHeaderChecksum()
        case .ipv4Other(let ip):
            if let error = ICMPErrorFrame(ip) {
                if let range = quotedSegment(error) {
                    frame.storeBigEndian(0, at: error.quotedTCP + 16)
                    frame.storeBigEndian(~quotedSegmentSum(error, range).folded, at: error.quotedTCP + 16)
                }
                frame.storeBigEndian(0, at: error.quote + 10)
                frame.storeBigEndian(sum(frame, error.quote..<error.quotedTCP).checksum, at: error.quote + 10)
                frame.storeBigEndian(0, at: error.icmp + 2)
                frame.storeBigEndian(sum(frame, error.icmp..<error.end).checksum, at: error.icmp + 2)
            }
            ip.recomputeHeaderChecksum()
        case .ipv4Fragment(let ip):
            ip.recomputeHeaderChecksum()
        case .arp, .other, .malformed:
            break
        }
    }

    static func quotedHeaderIsRight(_ error: ICMPErrorFrame) -> Bool {
        sum(error.bytes, error.quote..<error.quotedTCP).isValid
    }

    /// Whether the quoted segment's TCP checksum is right; false when the quote does not hold the
    /// whole segment (then it cannot be told).
    static func quotedSegmentIsRight(_ error: ICMPErrorFrame) -> Bool {
        guard let range = quotedSegment(error) else { return false }
        return quotedSegmentSum(error, range).isValid
    }

    /// The quoted TCP segment's bytes, when the quote holds all of them (its total length says
    /// where it ends) and at least a whole TCP header.
    static func quotedSegment(_ error: ICMPErrorFrame) -> Range<Int>? {
        let end = error.quote + Int(error.bytes.loadBigEndian(UInt16.self, at: error.quote + 2))
        guard end <= error.end, end - error.quotedTCP >= 20 else { return nil }
        return error.quotedTCP..<end
    }

    static func quotedSegmentSum(_ error: ICMPErrorFrame, _ range: Range<Int>) -> InternetChecksum {
        var total = InternetChecksum()
        total.add(error.quotedSource.value)
        total.add(error.quotedDestination.value)
        total.add(UInt16(6))
        total.add(UInt16(range.count))
        total.add(bytes: error.bytes, range: range)
        return total
    }

    static func sum(_ bytes: UnsafeMutableRawBufferPointer, _ range: Range<Int>) -> InternetChecksum {
        var total = InternetChecksum()
        total.add(bytes: bytes, range: range)
        return total
    }
}

extension UnsafeMutableRawBufferPointer {
    /// 16 bits only: a generic store took a literal 0 as an 8-byte `Int`.
    func loadBigEndian(_ type: UInt16.Type, at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func storeBigEndian(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }
}
