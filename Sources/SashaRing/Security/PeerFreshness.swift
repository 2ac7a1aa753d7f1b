import SashaBase

/// Which packets from other members are fresh, without a clock: a packet counts only once its
/// sender's incarnation has proved to be alive now.
///
/// Every process draws a random `epoch` when it starts and writes it, with a sequence counted
/// from 1, into every packet. A receiver accepts a sender's packets only under an epoch it has
/// verified, each sequence once (`ReplayWindow`). It verifies an epoch with a challenge: a nonce
/// it never used before (its own epoch and a counter), which the sender must send back in a packet
/// sealed with the ring key and stamped with that epoch. A recorded packet cannot answer a nonce
/// that did not exist when it was recorded, so a stream replayed later (to a member that has
/// restarted since, or after the sender restarted) is never trusted, whatever the wall clocks say;
/// and a sender whose clock stepped back loses nothing, since its sequences no longer come from it.
///
/// A packet that arrived before the answer is not kept for later: the answer's sequence is where
/// trust starts, and anything older under that epoch could be a recording. What matters is said
/// again (joins are periodic, and a joiner's join rides on its answer).
struct PeerFreshness: Sendable {
    enum Verdict: Equatable {
        /// From a verified epoch, a sequence not seen before.
        case fresh
        /// From a verified epoch, a sequence already seen or too old to tell.
        case replay
        /// From an epoch not verified (a new process, or a recording of an old one).
        case unverified
    }

    private struct Verified {
        var epoch: UInt32
        var window: ReplayWindow
    }

    private struct Challenge {
        var nonce: UInt64
        var sentAt: UInt64
    }

    /// The most senders tracked in each table; beyond it, new senders are not challenged.
    static let maximumPeers = 4096

    let ownEpoch: UInt32
    private var verified: [IPv4Address: Verified] = [:]
    private var challenges: [IPv4Address: Challenge] = [:]
    private var issued: UInt32 = 0

    init(ownEpoch: UInt32) { self.ownEpoch = ownEpoch }

    /// Checks `packet` and, when it is fresh, records its sequence.
    mutating func check(_ packet: RingPacket) -> Verdict {
        guard var known = verified[packet.sender], known.epoch == packet.epoch else { return .unverified }
        guard known.window.accept(packet.sequence) else { return .replay }
        verified[packet.sender] = known
        return .fresh
    }

    /// The nonce to challenge `sender` with: the one already out while it is younger than
    /// `interval` (`isNew` false: worth repeating only in a packet that goes anyway), else a new
    /// one, so that a stream of unverified packets costs one new challenge per interval. Nil when
    /// the table is full.
    mutating func challenge(_ sender: IPv4Address, now: UInt64, interval: UInt64) -> (nonce: UInt64, isNew: Bool)? {
        if let pending = challenges[sender], now < pending.sentAt &+ interval { return (pending.nonce, false) }
        guard challenges[sender] != nil || challenges.count < Self.maximumPeers else { return nil }
        issued &+= 1
        let nonce = UInt64(ownEpoch) << 32 | UInt64(issued)
        challenges[sender] = Challenge(nonce: nonce, sentAt: now)
        return (nonce, true)
    }

    /// Whether `packet` answers the challenge out to its sender with `nonce`. If so, its epoch is
    /// verified from its sequence on: every earlier sequence counts as seen, since a packet sent
    /// before the answer cannot be told from a recording.
    mutating func verify(_ packet: RingPacket, answering nonce: UInt64) -> Bool {
        guard let pending = challenges[packet.sender], pending.nonce == nonce else { return false }
        guard verified[packet.sender] != nil || verified.count < Self.maximumPeers else { return false }
        challenges[packet.sender] = nil
        verified[packet.sender] = Verified(epoch: packet.epoch, window: ReplayWindow(startingAfterAll: packet.sequence))
        return true
    }
}
