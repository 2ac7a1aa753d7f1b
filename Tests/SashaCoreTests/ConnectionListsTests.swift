@testable import SashaCore
import SashaSDK
import Testing

/// The chunks in which a server hands its connections to a new dispatcher over the ring.
@Suite("connection lists")
struct ConnectionListsTests {
    func connections(_ count: Int) -> [Connection] {
        (0..<count).map { (n: Int) -> Connection in
            let client = IPv4Address(UInt32(0xC612_0100) &+ UInt32(n))
            let clientPort = UInt16(30_000 + n % 30_000)
            let clusterPort: UInt16 = n % 2 == 0 ? 80 : 443
            return Connection(client: client, clientPort: clientPort, clusterPort: clusterPort, server: IPv4Address(UInt32(0xC612_020B)))
        }
    }

    @Test("a list comes back whole from its chunks, each within one frame, the last one marked", arguments: [0, 1, 99, 100, 101, 250, 1_234])
    func roundTrip(count: Int) throws {
        let list = connections(count)
        let chunks = ConnectionLists.chunks(list, id: 0x0102_0304_0506_0708)
        #expect(chunks.count == count / ConnectionLists.perChunk + 1)
        var back: [Connection] = []
        for (index, chunk) in chunks.enumerated() {
            #expect(chunk.count <= 1_210)
            let decoded = try #require(ConnectionLists.decode(chunk))
            #expect(decoded.id == 0x0102_0304_0506_0708)
            #expect(decoded.isLast == (index == chunks.count - 1))
            back += decoded.connections
        }
        #expect(back == list)
    }

    @Test("requests carry their number; malformed payloads are refused, not trusted")
    func malformed() {
        #expect(ConnectionLists.requestID(ConnectionLists.request(id: 42)) == 42)
        #expect(ConnectionLists.requestID([1, 2, 3]) == nil)
        let chunk = ConnectionLists.chunks(connections(3), id: 7)[0]
        #expect(ConnectionLists.decode(Array(chunk.dropLast())) == nil, "a count that the bytes do not match")
        #expect(ConnectionLists.decode(Array(chunk.prefix(9))) == nil)
        var tooMany = chunk
        tooMany[8] = 0xFF
        #expect(ConnectionLists.decode(tooMany) == nil)
    }
}
