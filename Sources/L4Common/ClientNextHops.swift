import SashaPacket
import SashaSDK
import Synchronization

/// The clients' next hops (their MAC, or their router's), in a fixed-size cache that costs the
/// same however many client addresses arrive (issue 16: a copy-on-write dictionary copied itself
/// for every new client address, so a random-source SYN flood cost O(n) per SYN on the capture
/// thread and grew without bound).
///
/// A slot holds one address and its MAC; an address may sit in any of `probes` slots from its
/// hash. When all of them are taken, one is overwritten: first one no server has confirmed (see
/// `established`: a flood of random-source SYNs only ever evicts its own kind, and cannot forge
/// the confirmation), else one in turn. A client whose entry was lost is learned again from its
/// next frame; until then its replies wait on an ARP request, which a client behind a router
/// never answers, so the entries of established connections are the last to go.
///
/// Readers (the input thread and the reply threads, per frame) take no lock: each slot is a
/// seqlock. Its tag is the address in the high 32 bits and a version in the low 32, odd while the
/// slot is being written; a reader that sees the same even tag before and after reading the MAC
/// read a MAC that belongs to that address. Writers (new clients, ARP) are rare and take `writer`.
final class ClientNextHops: @unchecked Sendable {
    // @unchecked: `slots` is only read through atomics; every write holds `writer`.
    struct Slot: ~Copyable {
        let tag = Atomic<UInt64>(0)
        let mac = Atomic<UInt64>(0)
    }

    static let probes = 4

    let capacity: Int
    private let mask: Int
    private let slots: UnsafeMutablePointer<Slot>
    /// Serializes writers; holds which probe position is overwritten next when all are taken.
    private let writer = Protected<Int>(0)
    private let occupied = Atomic<Int>(0)

    /// `capacity` is rounded up to a power of two (at least `probes`).
    init(capacity: Int = 1 << 16) {
        var size = Self.probes
        while size < capacity { size <<= 1 }
        self.capacity = size
        mask = size - 1
        slots = .allocate(capacity: size)
        for index in 0..<size { (slots + index).initialize(to: Slot()) }
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
    }

    /// How many slots hold an address.
    var count: Int { occupied.load(ordering: .relaxed) }

    @inline(__always)
    private func home(of address: UInt32) -> Int {
        // Fibonacci hashing: neighbouring addresses (a client subnet) spread over the table.
        Int(truncatingIfNeeded: (UInt64(address) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Set in a slot's MAC word (above the 48 MAC bits) once a server confirmed a connection of
    /// the address through it: it sent an ACK (not a SYN-ACK, not a RST) to that client, which it
    /// does only past a handshake the client completed. A client frame alone never sets it.
    static let established: UInt64 = 1 << 48

    /// How many times a reader tries a slot a writer is in the middle of before it treats the
    /// slot as a miss (the frame then waits on ARP like an unknown client), so that a writer
    /// descheduled mid-write never stalls a forwarding thread.
    static let readAttempts = 8

    /// The MAC recorded for `address`, if any. Lock-free; any thread.
    func mac(of address: UInt32) -> MACAddress? {
        entry(of: address).map { MACAddress(rawValue: $0 & 0xFFFF_FFFF_FFFF) }
    }

    /// The MAC word recorded for `address` (the MAC and the `established` bit), if any.
    /// Lock-free; any thread.
    func entry(of address: UInt32) -> UInt64? {
        guard address != 0 else { return nil }
        let start = home(of: address)
        for probe in 0..<Self.probes {
            let slot = (start &+ probe) & mask
            for _ in 0..<Self.readAttempts {
                let before = slots[slot].tag.load(ordering: .acquiring)
                guard before >> 32 == UInt64(address) else { break }
                if before & 1 != 0 { continue }  // a writer is in the middle of this slot
                let word = slots[slot].mac.load(ordering: .acquiring)
                if slots[slot].tag.load(ordering: .acquiring) == before { return word }
            }
        }
        return nil
    }

    /// Records `address` at `mac`: in its own slot if it has one (changing its MAC only when
    /// `replacing`; a changed MAC loses the `established` bit, the new next hop has confirmed
    /// nothing yet), else in a free one, else over a victim among its probe slots (one never
    /// confirmed first).
    func record(_ address: UInt32, at mac: MACAddress, replacing: Bool) {
        guard address != 0 else { return }
        writer.withLock { nextVictim in
            let start = home(of: address)
            var free: Int?
            var tentative: Int?
            for probe in 0..<Self.probes {
                // From a rotating first position, so that victims take turns.
                let slot = (start &+ (nextVictim &+ probe) % Self.probes) & mask
                let holder = slots[slot].tag.load(ordering: .relaxed) >> 32
                let word = slots[slot].mac.load(ordering: .relaxed)
                if holder == UInt64(address) {
                    if replacing, word & 0xFFFF_FFFF_FFFF != mac.rawValue { write(slot, address: address, mac: mac.rawValue) }
                    return
                }
                if holder == 0, free == nil { free = slot }
                if holder != 0, word & Self.established == 0, tentative == nil { tentative = slot }
            }
            if let free {
                write(free, address: address, mac: mac.rawValue)
                occupied.add(1, ordering: .relaxed)
            } else {
                write(tentative ?? (start &+ nextVictim) & mask, address: address, mac: mac.rawValue)
                nextVictim = (nextVictim &+ 1) % Self.probes
            }
        }
    }

    /// Sets the `established` bit of `address`'s entry if it still holds `word` (its MAC, not
    /// yet confirmed): once per client, from the reply path.
    func markEstablished(_ address: UInt32, word: UInt64) {
        writer.withLock { _ in
            let start = home(of: address)
            for probe in 0..<Self.probes {
                let slot = (start &+ probe) & mask
                guard slots[slot].tag.load(ordering: .relaxed) >> 32 == UInt64(address) else { continue }
                if slots[slot].mac.load(ordering: .relaxed) == word { write(slot, address: address, mac: word | Self.established) }
                return
            }
        }
    }

    /// Forgets `address`.
    func remove(_ address: UInt32) {
        guard address != 0 else { return }
        writer.withLock { _ in
            let start = home(of: address)
            for probe in 0..<Self.probes {
                let slot = (start &+ probe) & mask
                guard slots[slot].tag.load(ordering: .relaxed) >> 32 == UInt64(address) else { continue }
                write(slot, address: 0, mac: 0)
                occupied.subtract(1, ordering: .relaxed)
            }
        }
    }

    /// The seqlock write: odd version (readers retry), the MAC, then the new address with the
    /// next even version. Holds `writer`.
    private func write(_ slot: Int, address: UInt32, mac: UInt64) {
        let tag = slots[slot].tag.load(ordering: .relaxed)
        let version = UInt32(truncatingIfNeeded: tag)
        slots[slot].tag.store(tag & ~0xFFFF_FFFF | UInt64(version &+ 1), ordering: .sequentiallyConsistent)
        slots[slot].mac.store(mac, ordering: .sequentiallyConsistent)
        slots[slot].tag.store(UInt64(address) << 32 | UInt64(version &+ 2), ordering: .sequentiallyConsistent)
    }
}
