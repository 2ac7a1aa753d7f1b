import SashaSDK

/// The ring messages that rebuild a new dispatcher's connection map (the spec's Figure 9): the
/// new dispatcher asks every member, on `RingChannel.connectionListRequest`, for the connections
/// it holds on the cluster ports; each member answers on `RingChannel.connectionList` with its
/// list in numbered chunks addressed to the dispatcher, out of band, so they travel at once
/// instead of waiting for the token. A member that serves nothing answers with one empty chunk:
/// the dispatcher hears from everyone, and asks again whoever it has not heard in full
/// (`ConnectionListCollector`).
///
/// A chunk carries at most `perChunk` connections (12 bytes each: 1,218 bytes with its header,
/// inside one Ethernet frame with the ring's header and tag).
enum ConnectionLists {
    static let perChunk = 100
    static let headerSize = 18

    /// One chunk read back.
    struct Chunk: Equatable {
        /// The request it answers (the number the dispatcher chose).
        var id: UInt64
        /// Its place in the list, from 0, and how many chunks the list has (at least 1).
        var index: UInt32
        var total: UInt32
        var connections: [Connection]
    }

    /// A request: the number the answer's chunks carry, big-endian.
    static func request(id: UInt64) -> [UInt8] { bytes(of: id) }

    static func requestID(_ payload: [UInt8]) -> UInt64? {
        payload.count == 8 ? number(payload, at: 0, count: 8) : nil
    }

    /// The chunks of `connections` (one empty chunk for none), each: request number (8), index
    /// (4), total (4), count (2), then per connection the client's address (4) and port (2), the
    /// cluster port (2) and the server (4).
    static func chunks(_ connections: [Connection], id: UInt64) -> [[UInt8]] {
        let total = max(1, (connections.count + perChunk - 1) / perChunk)
        return (0..<total).map { index in
            let start = index * perChunk
            return chunk(connections[start..<min(start + perChunk, connections.count)], id: id, index: index, total: total)
        }
    }

    private static func chunk(_ slice: ArraySlice<Connection>, id: UInt64, index: Int, total: Int) -> [UInt8] {
        var chunk: [UInt8] = []
        chunk.reserveCapacity(headerSize + 12 * slice.count)
        chunk += bytes(of: id)
        chunk += bytes(of: UInt64(index), count: 4)
        chunk += bytes(of: UInt64(total), count: 4)
        chunk += bytes(of: UInt64(slice.count), count: 2)
        for connection in slice {
            chunk += bytes(of: UInt64(connection.client.value), count: 4)
            chunk += bytes(of: UInt64(connection.clientPort), count: 2)
            chunk += bytes(of: UInt64(connection.clusterPort), count: 2)
            chunk += bytes(of: UInt64(connection.server.value), count: 4)
        }
        return chunk
    }

    /// A chunk read back; nil when it is not a well-formed chunk.
    static func decode(_ payload: [UInt8]) -> Chunk? {
        guard payload.count >= headerSize else { return nil }
        let index = UInt32(number(payload, at: 8, count: 4))
        let total = UInt32(number(payload, at: 12, count: 4))
        let count = Int(number(payload, at: 16, count: 2))
        guard total >= 1, index < total, count <= perChunk, payload.count == headerSize + 12 * count else { return nil }
        var connections: [Connection] = []
        connections.reserveCapacity(count)
        for entry in 0..<count {
            let at = headerSize + 12 * entry
            connections.append(Connection(
                client: IPv4Address(UInt32(number(payload, at: at, count: 4))),
                clientPort: UInt16(number(payload, at: at + 4, count: 2)),
                clusterPort: UInt16(number(payload, at: at + 6, count: 2)),
                server: IPv4Address(UInt32(number(payload, at: at + 8, count: 4)))))
        }
        return Chunk(id: number(payload, at: 0, count: 8), index: index, total: total, connections: connections)
    }

    private static func bytes(of value: UInt64, count: Int = 8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) }
    }

    private static func number(_ bytes: [UInt8], at start: Int, count: Int) -> UInt64 {
        bytes[start..<start + count].reduce(0) { $0 << 8 | UInt64($1) }
    }
}
