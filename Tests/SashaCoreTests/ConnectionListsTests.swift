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

    @Test("a list comes back whole from its numbered chunks, each within one frame", arguments: [0, 1, 99, 100, 101, 250, 1_234])
    func roundTrip(count: Int) throws {
        let list = connections(count)
        let chunks = ConnectionLists.chunks(list, id: 0x0102_0304_0506_0708)
        #expect(chunks.count == max(1, (count + 99) / 100))
        var back: [Connection] = []
        for (index, chunk) in chunks.enumerated() {
            #expect(chunk.count <= 1_218)
            let decoded = try #require(ConnectionLists.decode(chunk))
            #expect(decoded.id == 0x0102_0304_0506_0708)
            #expect(decoded.index == UInt32(index) && decoded.total == UInt32(chunks.count))
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
        #expect(ConnectionLists.decode(Array(chunk.prefix(17))) == nil)
        var tooMany = chunk
        tooMany[16] = 0xFF
        #expect(ConnectionLists.decode(tooMany) == nil)
        var pastTheEnd = chunk
        pastTheEnd[11] = 1  // index 1 of a list of 1
        #expect(ConnectionLists.decode(pastTheEnd) == nil)
        var noChunks = chunk
        noChunks[15] = 0  // a total of 0
        #expect(ConnectionLists.decode(noChunks) == nil)
    }
}

/// The new dispatcher's bookkeeping of the lists it asked for.
@Suite("connection list collector")
struct ConnectionListCollectorTests {
    let a = IPv4Address("198.18.2.11")!, b = IPv4Address("198.18.2.12")!, c = IPv4Address("198.18.2.13")!

    func chunks(_ count: Int, id: UInt64, server: IPv4Address) -> [ConnectionLists.Chunk] {
        let list = (0..<count).map { Connection(client: IPv4Address(UInt32(0xC612_0100 + $0)), clientPort: 40_000, clusterPort: 80, server: server) }
        return ConnectionLists.chunks(list, id: id).compactMap(ConnectionLists.decode)
    }

    @Test("a list completes when every chunk arrived, in any order; repeats and strangers import nothing")
    func completes() throws {
        var collector = ConnectionListCollector()
        collector.asked([a, b], id: 5, now: 0)
        let list = chunks(250, id: 5, server: a)
        let got1 = collector.received(list[2], from: a, now: 1)
        #expect(got1?.completed == false)
        let got2 = collector.received(list[2], from: a, now: 1)
        #expect(got2 == nil, "a repeat")
        let got3 = collector.received(list[0], from: c, now: 1)
        #expect(got3 == nil, "a member that was not asked")
        let got4 = collector.received(chunks(1, id: 4, server: b)[0], from: b, now: 1)
        #expect(got4 == nil, "an older request")
        let got5 = collector.received(list[0], from: a, now: 1)
        #expect(got5?.completed == false)
        let got10 = collector.received(list[1], from: a, now: 1)
        let last = try #require(got10)
        #expect(last.completed && last.connections.count == 100)
        #expect(collector.imported == 250 && collector.completeCount == 1 && collector.pending == [b])
        let got11 = collector.received(chunks(0, id: 5, server: b)[0], from: b, now: 1)
        let empty = try #require(got11)
        #expect(empty.completed && empty.connections.isEmpty && collector.pending.isEmpty)
    }

    @Test("an incomplete list is overdue after the patience; asked again under a new number, the old chunks no longer count")
    func overdue() throws {
        var collector = ConnectionListCollector()
        collector.asked([a, b, c], id: 5, now: 0)
        let first = chunks(150, id: 5, server: a)
        _ = collector.received(first[0], from: a, now: 0)  // its second chunk is lost
        _ = collector.received(chunks(0, id: 5, server: b)[0], from: b, now: 0)
        let got6 = collector.overdue(now: ConnectionListCollector.patience - 1, view: [a, b, c])
        #expect(got6.isEmpty)
        // c left the ring meanwhile: forgotten, not asked again.
        let got7 = collector.overdue(now: ConnectionListCollector.patience, view: [a, b])
        #expect(got7 == [a])
        collector.asked([a], id: 9, now: ConnectionListCollector.patience)
        let got8 = collector.received(first[1], from: a, now: 1)
        #expect(got8 == nil, "a chunk of the abandoned answer")
        let again = chunks(150, id: 9, server: a)
        _ = collector.received(again[0], from: a, now: 1)
        let got9 = collector.received(again[1], from: a, now: 1)
        #expect(got9?.completed == true)
        #expect(collector.pending.isEmpty)
    }

    @Test("a long list still arriving is not overdue: patience counts from the last chunk")
    func stillArriving() {
        var collector = ConnectionListCollector()
        collector.asked([a], id: 5, now: 0)
        let list = chunks(1_000, id: 5, server: a)
        let patience = ConnectionListCollector.patience
        _ = collector.received(list[0], from: a, now: patience - 10)
        let due = collector.overdue(now: patience + 10, view: [a])
        #expect(due.isEmpty)
        let later = collector.overdue(now: 2 * patience, view: [a])
        #expect(later == [a])
        #expect(collector.firstAskedAt(a) == 0)
    }

    @Test("a member that left is forgotten, so that it is asked afresh when it comes back")
    func leftAndBack() {
        var collector = ConnectionListCollector()
        collector.asked([a, b], id: 5, now: 0)
        _ = collector.received(chunks(0, id: 5, server: a)[0], from: a, now: 0)
        collector.keep([b])
        #expect(collector.firstAskedAt(a) == nil && collector.firstAskedAt(b) == 0)
    }

    @Test("a chunk of an abandoned answer is not loaded, but shows the member is not silent")
    func abandonedAnswerIsNotSilence() {
        var collector = ConnectionListCollector()
        let patience = ConnectionListCollector.patience
        collector.asked([a], id: 5, now: 0)
        collector.asked([a], id: 6, now: patience)
        let old = chunks(150, id: 5, server: a)
        let ignored = collector.received(old[0], from: a, now: 2 * patience - 1)
        #expect(ignored == nil)
        let due = collector.overdue(now: 2 * patience, view: [a])
        #expect(due.isEmpty)
        let stranger = collector.received(chunks(1, id: 99, server: a)[0], from: a, now: 3 * patience)
        #expect(stranger == nil)
        let later = collector.overdue(now: 3 * patience, view: [a])
        #expect(later == [a], "a number never issued to it does not count")
        #expect(collector.awaited == [a])
    }

    @Test("a member is asked at most five times")
    func givesUp() {
        var collector = ConnectionListCollector()
        var now: UInt64 = 0
        collector.asked([a], id: 1, now: now)
        var asks = 1
        while true {
            now += ConnectionListCollector.patience
            let due = collector.overdue(now: now, view: [a])
            guard due == [a] else { break }
            asks += 1
            collector.asked([a], id: UInt64(asks), now: now)
        }
        #expect(asks == ConnectionListCollector.maximumAsks)
    }
}
