import Foundation
import SashaSDK

/// The ring messages of a live policy swap, on cluster channel `channel`. JSON, because they are
/// rare and small and a person reading a packet capture should see what was asked.
///
/// 1. The proposer sends `propose` to every member; each tries to load the plugin with the
///    options and answers `vote` to the proposer (a refusal carries the reason).
/// 2. If every member agreed, the proposer sends `commit` with a new epoch; each member records it
///    (the dispatcher swaps between two picks) and answers `ack` with the epoch it now holds.
///    Otherwise it sends `abort`, and members drop what they prepared.
/// `state` tells members that just joined the policy the ring already agreed on.
enum PolicyMessage: Codable, Equatable, Sendable {
    case propose(id: UInt64, name: String, options: JSONValue)
    /// `holds`: the voter's epoch, so that the new one is newer than every member's.
    case vote(id: UInt64, refusal: String?, holds: PolicyEpoch)
    case commit(id: UInt64, record: PolicyRecord)
    case ack(id: UInt64, holds: PolicyEpoch, problem: String?)
    case abort(id: UInt64)
    case state(PolicyRecord)

    /// Room left in a ring packet (16 KiB) for the header, the tag and the message's framing.
    static let maximumSize = 8_192

    var bytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).map(Array.init) ?? []
    }

    /// A message read back; nil for anything that is not one (a newer member's message, or noise).
    init?(bytes: [UInt8]) {
        guard bytes.count <= Self.maximumSize, let message = try? JSONDecoder().decode(PolicyMessage.self, from: Data(bytes)) else {
            return nil
        }
        self = message
    }
}
