import Dispatch
import Foundation
import HTTPCache
import NIOHTTP1
import Testing

/// Many threads on overlapping keys: no crash, no lost waiter, counters that add up.
@Suite("Concurrency")
struct ConcurrencyTests {
    @Test func eightThreadsOnOverlappingKeys() {
        let threads = 8
        let lookupsPerThread = 4000
        let keys = 16
        // Room for about ten entries: evictions happen all the time.
        let cache = makeCache(maxBytes: 10 * 1600, maxObjectBytes: 4096, defaultTTL: .milliseconds(5))
        let waits = Deliveries()
        let counts = Counter()

        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var random = SplitMix(seed: UInt64(thread + 1))
            for step in 0..<lookupsPerThread {
                let key = Int(random.next() % UInt64(keys))
                // Virtual time moves forward per step, so entries also expire.
                let now = UInt64(step) * 100_000
                let method: HTTPMethod = random.next() % 4 == 0 ? .HEAD : .GET
                let lookup = cache.lookup(request(method, "/item/\(key)"), now: now, whenFilled: waits.callback)
                counts.record(lookup.kind)
                guard let fill = lookup.fill else { continue }
                switch random.next() % 8 {
                case 0:
                    fill.abandon()
                case 1:
                    fill.begin(response(.ok, [("Cache-Control", "no-store")]), now: now)
                    fill.finish(now: now)
                default:
                    fill.begin(response(.ok, [("Cache-Control", "max-age=1")]), now: now)
                    if method == .GET {
                        fill.append(buffer(String(repeating: "z", count: Int(random.next() % 1200))))
                    }
                    fill.finish(now: now)
                }
            }
        }

        let statistics = cache.statistics
        let total = threads * lookupsPerThread
        #expect(counts.value("hit") + counts.value("fill") + counts.value("wait") + counts.value("bypass") == total)
        #expect(statistics.hits == counts.value("hit"))
        #expect(statistics.misses == counts.value("fill"))
        #expect(statistics.coalescedWaits == counts.value("wait"))
        #expect(statistics.bypasses == counts.value("bypass"))
        // Every waiter was called exactly once (all fills ended before the threads did).
        #expect(waits.all.count == statistics.coalescedWaits)
        #expect(statistics.hits > 0)
        #expect(statistics.stores > 0)
        #expect(statistics.bytes <= 10 * 1600)
        #expect(statistics.entries <= keys * 2)
        #expect(statistics.entries == statistics.stores - statistics.evictions - statistics.expirations - statistics.invalidations)
    }
}

/// Counts per label under a lock.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    func record(_ label: String) { lock.withLock { counts[label, default: 0] += 1 } }
    func value(_ label: String) -> Int { lock.withLock { counts[label, default: 0] } }
}

/// A small deterministic generator per thread.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
