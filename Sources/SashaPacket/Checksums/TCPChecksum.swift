/// What `TCPFrame.completeChecksumIfPartial()` found.
public enum TCPChecksumStatus: Hashable, Sendable {
    /// The checksum was already correct.
    case valid
    /// The field held only the pseudo-header sum (checksum offload had not run yet); the full
    /// checksum has now been written.
    case completed
    /// Neither correct nor partial: a corrupted segment, or a first fragment whose checksum
    /// covers bytes not in this frame. Drop it (or forward it untouched).
    case invalid
}

/// TCP's checksum covers a pseudo-header (source, destination, protocol, TCP length) and the
/// segment. The segment length comes from the IP total length, not the frame length: short frames
/// carry Ethernet padding after the IP packet, and summing it would make every such checksum wrong.
extension TCPFrame {
    /// The sum of the pseudo-header words, unfolded.
    @inlinable
    public var pseudoHeaderSum: InternetChecksum {
        var sum = InternetChecksum()
        sum.add(bytes._uint32(at: layout.ip &+ 12))
        sum.add(bytes._uint32(at: layout.ip &+ 16))
        sum.add(UInt16(IPProtocol.tcp.rawValue))
        sum.add(UInt16(truncatingIfNeeded: layout.segmentLength))
        return sum
    }

    @inlinable
    var _fullSum: InternetChecksum {
        var sum = pseudoHeaderSum
        sum.add(bytes: bytes, range: layout.tcp..<layout.end)
        return sum
    }

    /// Pseudo-header and segment sum to 0xFFFF with the checksum field as it is.
    @inlinable
    public func verifyChecksum() -> Bool { _fullSum.isValid }

    /// Computes the checksum from scratch and writes it (for segments built here).
    @inlinable
    public func recomputeChecksum() {
        bytes._setUInt16(0, at: layout.tcp &+ 16)
        bytes._setUInt16(_fullSum.checksum, at: layout.tcp &+ 16)
    }

    /// Verifies the checksum and, when it is a PARTIAL one, completes it.
    ///
    /// Frames captured on a veth (or any device with TX checksum offload) before the "hardware"
    /// ran carry in the TCP checksum field only the folded, uncomplemented pseudo-header sum
    /// (Linux CHECKSUM_PARTIAL): the device was to add the segment and complement. Such a frame
    /// fails verification yet is fine; forwarded as it is, the receiver would drop it. So: verify
    /// incoming, complete partial ones, never send a bad one. Complete before any incremental
    /// rewrite: a partial field is not a complemented sum, so RFC 1624 updates do not apply to it.
    @inlinable
    public func completeChecksumIfPartial() -> TCPChecksumStatus {
        if verifyChecksum() { return .valid }
        guard checksum == pseudoHeaderSum.folded else { return .invalid }
        recomputeChecksum()
        return .completed
    }
}
