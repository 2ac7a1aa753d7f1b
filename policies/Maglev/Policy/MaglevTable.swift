import SashaSDK

/// One Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
/// Balancer", NSDI 2016, section 3.4): each server fills the slots of its own permutation of
/// 0..<size in turn until every slot is taken. The result gives each server an almost equal share,
/// and removing a server moves little more than that server's own flows. In the SDK because any
/// consistent policy, built-in or not, can build on it.
struct MaglevTable: Sendable {
    /// Slot to index into the server array; empty when there are no servers.
    let slots: [Int32]

    /// `servers` are indices into the policy's server array, `addresses` their addresses (which
    /// seed the permutations, so every member computes the same table), `size` a prime.
    init(servers: [Int], addresses: [IPv4Address], size: Int) {
        guard !servers.isEmpty else {
            slots = []
            return
        }
        let size64 = UInt64(size)
        let offsets = addresses.map { Int(FlowHash.mix(UInt64($0.value)) % size64) }
        let skips = addresses.map { Int(FlowHash.mix(UInt64($0.value) ^ 0xA076_1D64_78BD_642F) % (size64 - 1)) + 1 }
        var next = [Int](repeating: 0, count: servers.count)
        var table = [Int32](repeating: -1, count: size)
        var filled = 0
        while true {
            for member in servers.indices {
                var slot = (offsets[member] + next[member] * skips[member]) % size
                while table[slot] >= 0 {
                    next[member] += 1
                    slot = (offsets[member] + next[member] * skips[member]) % size
                }
                table[slot] = Int32(servers[member])
                next[member] += 1
                filled += 1
                if filled == size {
                    slots = table
                    return
                }
            }
        }
    }

    /// The smallest prime at or above `n` (n ≥ 2).
    static func prime(atLeast n: Int) -> Int {
        var candidate = max(n, 2)
        while !isPrime(candidate) { candidate += 1 }
        return candidate
    }

    static func isPrime(_ n: Int) -> Bool {
        guard n >= 2 else { return false }
        if n < 4 { return true }
        if n % 2 == 0 { return false }
        var divisor = 3
        while divisor * divisor <= n {
            if n % divisor == 0 { return false }
            divisor += 2
        }
        return true
    }
}

extension MaglevTable {
    /// The server index for a hash, or nil when the table is empty.
    @inlinable
    func lookup(_ hash: UInt64) -> Int? {
        slots.isEmpty ? nil : Int(slots[Int(hash % UInt64(slots.count))])
    }
}
