/// One message of a netlink answer, read from a datagram without trusting it: every length is
/// checked against what is there.
struct NetlinkMessage {
    let type: UInt16
    let flags: Netlink.Flags
    let sequence: UInt32
    let payload: ArraySlice<UInt8>

    struct Malformed: Error, Equatable {
        let description: String
    }

    /// Splits a datagram into its messages.
    static func messages(in datagram: ArraySlice<UInt8>) throws(Malformed) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = datagram.startIndex
        while datagram.endIndex - offset >= Netlink.headerSize {
            let header = datagram[offset...]
            let length = Int(header.load(UInt32.self, at: 0)!)
            guard length >= Netlink.headerSize, length <= datagram.endIndex - offset else {
                throw Malformed(description: "a netlink message claims \(length) bytes with \(datagram.endIndex - offset) left")
            }
            messages.append(NetlinkMessage(
                type: header.load(UInt16.self, at: 4)!,
                flags: Netlink.Flags(rawValue: header.load(UInt16.self, at: 6)!),
                sequence: header.load(UInt32.self, at: 8)!,
                payload: datagram[(offset + Netlink.headerSize)..<(offset + length)]))
            offset += Netlink.aligned(length)
        }
        return messages
    }

    /// For an NLMSG_ERROR message: the errno the kernel answered, 0 for an acknowledgement.
    var errorCode: Int32? {
        guard type == Netlink.MessageType.error, let negated = payload.load(Int32.self, at: 0) else { return nil }
        return negated == Int32.min ? Int32.max : -negated
    }

    /// The attributes after a family header of `headerSize` bytes, by type (the last wins).
    func attributes(after headerSize: Int) -> [UInt16: ArraySlice<UInt8>] {
        var attributes: [UInt16: ArraySlice<UInt8>] = [:]
        var offset = payload.startIndex + Netlink.aligned(headerSize)
        while payload.endIndex - offset >= Netlink.attributeHeaderSize {
            let length = Int(payload[offset...].load(UInt16.self, at: 0)!)
            guard length >= Netlink.attributeHeaderSize, length <= payload.endIndex - offset else { break }
            // The top two bits are NLA_F_NESTED and NLA_F_NET_BYTEORDER, not part of the type.
            let type = payload[offset...].load(UInt16.self, at: 2)! & 0x3FFF
            attributes[type] = payload[(offset + Netlink.attributeHeaderSize)..<(offset + length)]
            offset += Netlink.aligned(length)
        }
        return attributes
    }
}

extension ArraySlice<UInt8> {
    /// A host-order integer at `offset` from the slice's start, or nil past the end.
    func load<Integer: FixedWidthInteger>(_: Integer.Type, at offset: Int) -> Integer? {
        let start = startIndex + offset
        guard offset >= 0, endIndex - start >= MemoryLayout<Integer>.size else { return nil }
        return withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Integer.self) }
    }
}
