/// Accepts each sequence number of one sender once, within a window of the last 64: a packet
/// captured and sent again is dropped, while UDP's own reordering of recent packets is not
/// (the sliding window of IPsec, RFC 4303 §3.4.3).
///
/// A window belongs to one epoch of one sender (`PeerFreshness`): a restarted sender counts from
/// 1 again under a new epoch, whatever its clock says.
struct ReplayWindow: Sendable {
    private(set) var highest: UInt64
    private var seen: UInt64 = 1

    init(first: UInt64) { highest = first }

    /// A window where `first` and every sequence below it have been seen: only later ones count.
    init(startingAfterAll first: UInt64) {
        highest = first
        seen = .max
    }

    /// Records `sequence` and says whether it is new.
    mutating func accept(_ sequence: UInt64) -> Bool {
        if sequence > highest {
            let shift = sequence - highest
            seen = shift >= 64 ? 1 : (seen << shift) | 1
            highest = sequence
            return true
        }
        let age = highest - sequence
        guard age < 64 else { return false }
        let bit: UInt64 = 1 << age
        guard seen & bit == 0 else { return false }
        seen |= bit
        return true
    }
}
