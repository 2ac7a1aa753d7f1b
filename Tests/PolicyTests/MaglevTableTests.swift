@testable import MaglevPolicy
import SashaSDK
import Testing

@Suite("MaglevTable")
struct MaglevTableTests {
    private func addresses(_ count: Int) -> [IPv4Address] { (1...count).map { IPv4Address(0xC612_0000 | UInt32($0)) } }

    @Test("fills every slot, each server an almost equal share", arguments: [1, 3, 64, 254])
    func fillsEvenly(servers count: Int) {
        let size = MaglevTable.prime(atLeast: 100 * count)
        #expect(MaglevTable.isPrime(size) && size >= 100 * count)
        let table = MaglevTable(servers: Array(0..<count), addresses: addresses(count), size: size)
        #expect(table.slots.count == size)
        var shares = [Int](repeating: 0, count: count)
        for slot in table.slots { shares[Int(slot)] += 1 }
        // Maglev's turn-taking gives every server ⌊M/N⌋ or ⌈M/N⌉ slots.
        #expect(shares.allSatisfy { $0 == size / count || $0 == size / count + 1 })
    }

    @Test("removing one server reassigns little more than its own slots")
    func minimalDisruption() {
        let all = addresses(20)
        let before = MaglevTable(servers: Array(0..<20), addresses: all, size: 65_537)
        var remaining = all
        remaining.remove(at: 7)
        let after = MaglevTable(servers: Array(0..<19), addresses: remaining, size: 65_537)
        let moved = zip(before.slots, after.slots).filter { all[Int($0)] != remaining[Int($1)] }.count
        #expect(Double(moved) / 65_537 <= 1.0 / 20 + 0.02)
    }

    @Test("primes")
    func primes() {
        #expect(MaglevTable.prime(atLeast: 6400) == 6421)
        #expect(MaglevTable.isPrime(65_537))
        #expect(!MaglevTable.isPrime(65_535))
        #expect(MaglevTable.lookupEmpty == nil)
    }
}

extension MaglevTable {
    static var lookupEmpty: Int? { MaglevTable(servers: [], addresses: [], size: 101).lookup(42) }
}
