import SashaBase

/// The message layout (docs/ring-protocol.md): a 12-byte header, then the body.
///
///     0  u8   type          4  u32 origin
///     1  u8   hops          8  u32 destination (0: every member)
///     2  u16  body length  12  body
extension RingMessage {
    static let headerSize = 12

    func encode(into writer: inout ByteWriter) {
        writer.write(type.rawValue)
        writer.write(hops)
        let lengthOffset = writer.bytes.count
        writer.write(UInt16(0))
        writer.write(origin.value)
        writer.write(destination?.value ?? 0)
        let bodyStart = writer.bytes.count
        encodeBody(into: &writer)
        writer.patch(UInt16(writer.bytes.count - bodyStart), at: lengthOffset)
    }

    private var type: MessageType {
        switch body {
        case .heartbeat: .heartbeat
        case .join: .join
        case .purge: .purge
        case .view: .view
        case .beacon: .beacon
        case .merge: .merge
        case .sync: .sync
        case .health: .health
        case .cluster: .cluster
        case .challenge: .challenge
        case .answer: .answer
        }
    }

    private func encodeBody(into writer: inout ByteWriter) {
        switch body {
        case let .heartbeat(viewDigest, viewVersion):
            writer.write(viewDigest)
            writer.write(viewVersion)
        case let .join(request):
            var flags: UInt8 = 0
            if request.canDispatch { flags |= 1 }
            if request.healthy { flags |= 2 }
            if request.isDispatcher { flags |= 4 }
            writer.write(flags)
            writer.write(UInt8(0))
            writer.write(UInt16(0))
            writer.write(request.previousRing)
        case let .purge(ring, suspect):
            writer.write(ring)
            writer.write(suspect.value)
        case let .view(view), let .merge(view):
            view.encode(into: &writer)
        case let .beacon(memberCount, dispatcher):
            writer.write(memberCount)
            writer.write(UInt16(0))
            writer.write(dispatcher?.value ?? 0)
        case .sync:
            break
        case let .health(healthy, canDispatch):
            // Bit 0: healthy; bit 1: cannot dispatch now. A member that can (the usual case)
            // sends 0 or 1, as before the bit existed.
            writer.write((healthy ? UInt8(1) : 0) | (canDispatch ? 0 : 2))
        case let .cluster(channel, payload):
            writer.write(channel)
            writer.write(contentsOf: payload)
        case let .challenge(nonce), let .answer(nonce):
            writer.write(nonce)
        }
    }

    static func decode(from reader: inout ByteReader) throws(WireError) -> RingMessage {
        let typeByte = try reader.readUInt8()
        let hops = try reader.readUInt8()
        let length = Int(try reader.readUInt16())
        let origin = IPv4Address(try reader.readUInt32())
        let destinationValue = try reader.readUInt32()
        guard let type = MessageType(rawValue: typeByte) else { throw .unknownMessage(typeByte) }
        guard reader.remaining >= length else { throw .truncated }
        var body = reader
        let bodyEnd = reader.offset + length
        try reader.skip(length)
        body = body.limited(to: bodyEnd)
        let decoded = try decodeBody(type, from: &body)
        guard body.remaining == 0 else { throw .badLength }
        guard origin.value != 0 else { throw .invalidField("origin 0.0.0.0") }
        return RingMessage(
            origin: origin, destination: destinationValue == 0 ? nil : IPv4Address(destinationValue),
            hops: hops, body: decoded)
    }

    private static func decodeBody(_ type: MessageType, from reader: inout ByteReader) throws(WireError) -> Body {
        switch type {
        case .heartbeat:
            return .heartbeat(viewDigest: try reader.readUInt32(), viewVersion: try reader.readUInt32())
        case .join:
            let flags = try reader.readUInt8()
            try reader.skip(3)
            return .join(JoinRequest(
                canDispatch: flags & 1 != 0, healthy: flags & 2 != 0, isDispatcher: flags & 4 != 0,
                previousRing: try reader.readUInt64()))
        case .purge:
            let ring = try reader.readUInt64()
            return .purge(ring: ring, suspect: IPv4Address(try reader.readUInt32()))
        case .view:
            return .view(try RingView.decode(from: &reader))
        case .merge:
            return .merge(try RingView.decode(from: &reader))
        case .beacon:
            let count = try reader.readUInt16()
            try reader.skip(2)
            let dispatcher = try reader.readUInt32()
            return .beacon(memberCount: count, dispatcher: dispatcher == 0 ? nil : IPv4Address(dispatcher))
        case .sync:
            return .sync
        case .health:
            let value = try reader.readUInt8()
            guard value <= 3 else { throw .invalidField("health \(value)") }
            return .health(healthy: value & 1 != 0, canDispatch: value & 2 == 0)
        case .cluster:
            let channel = try reader.readUInt8()
            return .cluster(channel: channel, payload: try reader.readBytes(reader.remaining))
        case .challenge:
            return .challenge(nonce: try reader.readUInt64())
        case .answer:
            return .answer(nonce: try reader.readUInt64())
        }
    }
}

extension ByteReader {
    /// The same reader, ending at `end` (a message body inside a packet).
    func limited(to end: Int) -> ByteReader {
        var copy = self
        copy.end = end
        return copy
    }
}

/// The view layout: 20 bytes, then 8 per member.
///
///     0  u64 ring (creation time, µs)   12 u32 dispatcher (0: none)
///     8  u32 version                    16 u8 cause, u8 0, u16 member count
///     then per member: u32 address, u8 id, u8 flags (1 may dispatch, 2 healthy), u16 0
extension RingView {
    func encode(into writer: inout ByteWriter) {
        writer.write(ring)
        writer.write(version)
        writer.write(dispatcher?.value ?? 0)
        writer.write(cause.rawValue)
        writer.write(UInt8(0))
        writer.write(UInt16(members.count))
        for member in members {
            writer.write(member.address.value)
            writer.write(member.id)
            writer.write((member.canDispatch ? UInt8(1) : 0) | (member.healthy ? 2 : 0))
            writer.write(UInt16(0))
        }
    }

    static func decode(from reader: inout ByteReader) throws(WireError) -> RingView {
        let ring = try reader.readUInt64()
        let version = try reader.readUInt32()
        let dispatcherValue = try reader.readUInt32()
        let causeByte = try reader.readUInt8()
        try reader.skip(1)
        let count = Int(try reader.readUInt16())
        guard let cause = ViewCause(rawValue: causeByte) else { throw .invalidField("view cause \(causeByte)") }
        guard ring != 0 else { throw .invalidField("view of ring 0") }
        guard (1...maximumMembers).contains(count) else { throw .invalidField("view of \(count) members") }
        guard reader.remaining >= count * 8 else { throw .truncated }
        var members: [RingMember] = []
        members.reserveCapacity(count)
        var previous: UInt32 = 0
        for _ in 0..<count {
            let address = try reader.readUInt32()
            let id = try reader.readUInt8()
            let flags = try reader.readUInt8()
            try reader.skip(2)
            // Strictly increasing addresses: sorted, no duplicates, no 0.0.0.0.
            guard address > previous else { throw .invalidField("view members out of order") }
            previous = address
            members.append(RingMember(address: IPv4Address(address), id: id, canDispatch: flags & 1 != 0, healthy: flags & 2 != 0))
        }
        let dispatcher = dispatcherValue == 0 ? nil : IPv4Address(dispatcherValue)
        if let dispatcher, !members.contains(where: { $0.address == dispatcher }) {
            throw .invalidField("dispatcher not a member")
        }
        return RingView(ring: ring, version: version, cause: cause, dispatcher: dispatcher, members: members)
    }
}
