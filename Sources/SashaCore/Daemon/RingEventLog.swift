import Logging
import SashaRing
import SashaSDK

/// The ring's log lines: one line per membership change, role change, fault and purge, with the
/// cause and how long recovery took, so that an operator can read a failover from the log alone.
/// The logger carries the node's address as metadata.
struct RingEventLog {
    let logger: Logger

    func viewChanged(_ view: RingView, elapsed: UInt64?) {
        let members = view.members.map(\.address.description).joined(separator: ", ")
        let took = elapsed.map { "; took \(Self.milliseconds($0)) ms" } ?? ""
        logger.info("""
            membership: \(view.count) member\(view.count == 1 ? "" : "s") [\(members)], master \(view.master), \
            dispatcher \(view.dispatcher?.description ?? "none"), ring \(view.ring) v\(view.version); \
            cause: \(view.cause)\(took)
            """)
    }

    func roleChanged(from: RingRole, to: RingRole, cause: String) {
        logger.notice("role: \(from.rawValue) -> \(to.rawValue); cause: \(cause)")
    }

    func faultDetected(suspect: IPv4Address) {
        logger.warning("fault: no packet from upstream neighbour \(suspect) within the token timeout; purging the ring")
    }

    func purged(by: IPv4Address, suspect: IPv4Address) {
        logger.warning("purge: \(by) purged the ring (suspect \(suspect)); rejoining")
    }

    func delivered(channel: UInt8, count: Int, from: IPv4Address) {
        logger.debug("message on channel \(channel) from \(from), \(count) bytes")
    }

    func left(announced: Bool) {
        logger.notice(announced ? "left the ring: announced the view without this member" : "left: no ring to announce to")
    }

    func transportError(_ error: any Error) {
        logger.warning("ring socket: \(error)")
    }

    /// Nanoseconds as milliseconds with one decimal.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let tenths = (nanoseconds + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
