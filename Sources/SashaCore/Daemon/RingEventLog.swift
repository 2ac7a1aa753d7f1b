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

    /// A peer that starts or stops failing, or fails for another reason: one line per change,
    /// however many datagrams it costs. The socket stays open whatever happens.
    func transport(_ change: TransportFaults.Change) {
        switch change {
        case let .failing(peer, cause, code):
            logger.warning("""
                ring transport: cannot send to \(peer): \(cause.explanation), errno \(code); its datagrams are dropped and \
                counted (sasha status: transport) until it works again
                """)
        case let .causeChanged(peer, from, to, code):
            logger.warning("ring transport: sending to \(peer) still fails, now \(to.explanation), errno \(code) (was \(from.rawValue))")
        case let .recovered(peer, cause, failures, nanoseconds):
            logger.notice("""
                ring transport: sending to \(peer) works again after \(failures) failed datagram\(failures == 1 ? "" : "s") \
                over \(Self.milliseconds(nanoseconds)) ms (\(cause.rawValue))
                """)
        case let .receiveFailing(cause, code):
            logger.warning("ring transport: reading the ring socket fails: \(cause.explanation), errno \(code); it stays open")
        case let .receiveRecovered(cause, failures):
            logger.notice("ring transport: reading the ring socket works again after \(failures) error\(failures == 1 ? "" : "s") (\(cause.rawValue))")
        }
    }

    /// Nanoseconds as milliseconds with one decimal.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let tenths = (nanoseconds + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
