@testable import L4Common
import Testing

/// The pool that holds frames of unknown connections while a new dispatcher's lists arrive.
@Suite("held frames")
struct HeldFramesTests {
    func frame(_ marker: UInt8, length: Int = 60) -> [UInt8] { [UInt8](repeating: marker, count: length) }

    func hold(_ pool: HeldFrames, _ bytes: [UInt8], now: UInt64) -> Bool {
        var copy = bytes
        return copy.withUnsafeMutableBytes { pool.hold($0, now: now) }
    }

    @Test("frames come back as copies, oldest first; one held too long is expired instead")
    func fifo() {
        let pool = HeldFrames()
        #expect(hold(pool, frame(1), now: 0))
        #expect(hold(pool, frame(2, length: 1_514), now: 500))
        #expect(hold(pool, frame(3), now: 900))
        var seen: [[UInt8]] = []
        var expired = 0
        pool.release(now: 1_100, maximumAge: 1_000, expired: { expired += 1 }, send: { seen.append(Array($0)) })
        #expect(expired == 1)
        #expect(seen == [frame(2, length: 1_514), frame(3)])
        #expect(pool.isEmpty)
    }

    @Test("a full pool refuses, as does a frame too long for a slot")
    func bounds() {
        let pool = HeldFrames()
        for n in 0..<HeldFrames.capacity { #expect(hold(pool, frame(UInt8(n % 256)), now: 0)) }
        #expect(!hold(pool, frame(9), now: 0))
        #expect(!hold(HeldFrames(), frame(9, length: HeldFrames.slotSize + 1), now: 0))
    }

    @Test("a frame sent back while it is released goes to the back, unchanged, even from a full pool")
    func holdAgain() {
        let pool = HeldFrames()
        for n in 0..<HeldFrames.capacity { _ = hold(pool, frame(UInt8(n % 256)), now: 0) }
        var firstRound = 0
        pool.release(now: 1, maximumAge: 10, expired: {}, send: { frame in
            firstRound += 1
            #expect(pool.hold(frame, now: 1))
        })
        #expect(firstRound == HeldFrames.capacity && pool.count == HeldFrames.capacity)
        var markers: [UInt8] = []
        pool.release(now: 2, maximumAge: 10, expired: {}, send: { markers.append($0[0]) })
        #expect(markers == (0..<HeldFrames.capacity).map { UInt8($0 % 256) })
    }

    @Test("a frame held again keeps its first arrival: it still expires on time")
    func keepsItsAge() {
        let pool = HeldFrames()
        _ = hold(pool, frame(1), now: 0)
        pool.release(now: 600, maximumAge: 1_000, expired: {}, send: { #expect(pool.hold($0, now: 600)) })
        var expired = 0
        pool.release(now: 1_001, maximumAge: 1_000, expired: { expired += 1 }, send: { _ in Issue.record("sent after its time") })
        #expect(expired == 1 && pool.isEmpty)
    }
}
