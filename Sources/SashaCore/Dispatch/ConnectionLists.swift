import SashaSDK

/// The ring messages that rebuild a new dispatcher's connection map (the spec's Figure 9): the
/// new dispatcher asks every member, on `requestChannel`, for the connections it holds on the
/// cluster ports; each server answers on `listChannel` with its list in chunks addressed to the
/// dispatcher, out of band, so they travel at once instead of waiting for the token.
///
/// A chunk carries at most `perChunk` connections (12 bytes each: 1,200 bytes, inside one
/// Ethernet frame with the ring's header and tag); a chunk with fewer ends a server's list, so a
/// list that fills its chunks exactly ends with an empty one, and a server with no connection
/// sends one empty chunk: the dispatcher hears from every server.
enum ConnectionLists {
    static let requestChannel: UInt8 = 1
    static let listChannel: UInt8 = 2
    static let perChunk = 100

    /// A request: the asking dispatcher's request number (its start time), big-endian.
    static func request(id: UInt64) -> [UInt8] { bytes(of: id) }

    static func requestID(_ payload: [UInt8]) -> UInt64? {
        payload.count == 8 ? number(payload, at: 0, count: 8) : nil
    }

    /// The chunks of `connections`, each: request number (8), count (2), then per connection the
    /// client's address (4) and port (2), the cluster port (2) and the server (4).
    static func chunks(_ connections: [Connection], id: UInt64) -> [[UInt8]] {
        var chunks = stride(from: 0, to: connections.count, by: perChunk).map { start in
            chunk(connections[start..<min(start + perChunk, connections.count)], id: id)
        }
        // A full last chunk (or none at all) does not end the list: an empty one does.
        if connections.count % perChunk == 0 { chunks.append(chunk([], id: id)) }
        return chunks
    }

    private static func chunk(_ slice: ArraySlice<Connection>, id: UInt64) -> [UInt8] {
        var chunk = bytes(of: id) + bytes(of: UInt64(slice.count), count: 2)
        chunk.reserveCapacity(10 + 12 * slice.count)
        for connection in slice {
            chunk += bytes(of: UInt64(connection.client.value), count: 4)
            chunk += bytes(of: UInt64(connection.clientPort), count: 2)
            chunk += bytes(of: UInt64(connection.clusterPort), count: 2)
            chunk += bytes(of: UInt64(connection.server.value), count: 4)
        }
        return chunk
    }

    /// A chunk read back: its request number, its connections and whether it ends the list; nil
    /// when it is not a well-formed chunk.
    static func decode(_ payload: [UInt8]) -> (id: UInt64, connections: [Connection], isLast: Bool)? {
        guard payload.count >= 10 else { return nil }
        let count = Int(number(payload, at: 8, count: 2))
        guard count <= perChunk, payload.count == 10 + 12 * count else { return nil }
        var connections: [Connection] = []
        connections.reserveCapacity(count)
        for index in 0..<count {
            let at = 10 + 12 * index
            connections.append(Connection(
                client: IPv4Address(UInt32(number(payload, at: at, count: 4))),
                clientPort: UInt16(number(payload, at: at + 4, count: 2)),
                clusterPort: UInt16(number(payload, at: at + 6, count: 2)),
                server: IPv4Address(UInt32(number(payload, at: at + 8, count: 4)))))
        }
        return (number(payload, at: 0, count: 8), connections, count < perChunk)
    }

    private static func bytes(of value: UInt64, count: Int = 8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) }
    }

    private static func number(_ bytes: [UInt8], at start: Int, count: Int) -> UInt64 {
        bytes[start..<start + count].reduce(0) { $0 << 8 | UInt64($1) }
    }
}
