import NIOCore

/// A client connection's one pending timeout: for its next request (idle), for the rest of a head
/// that has started (header), or for the server to start answering (response).
///
/// Timeouts are checked by a sweep of each event loop's connections (`LoopState`) rather than a
/// scheduled task apiece: scheduling and cancelling two tasks per request cost an allocation, a
/// promise and two heap operations every time, for timers that almost never fire.
struct ConnectionDeadline {
    enum Kind {
        case idle
        case header
        case response
    }

    private(set) var kind: Kind = .idle
    private var at: NIODeadline = .distantFuture

    mutating func arm(_ kind: Kind, after timeout: TimeAmount, now: NIODeadline = .now()) {
        self.kind = kind
        at = now + timeout
    }

    mutating func clear() { at = .distantFuture }

    /// Clears the deadline when it is of `kind`.
    mutating func clear(_ kind: Kind) {
        if self.kind == kind { clear() }
    }

    func hasPassed(at now: NIODeadline) -> Bool { at <= now }

    /// How often a loop sweeps its connections: a tenth of the shortest timeout, between 10 and
    /// 250 ms, so a timeout fires at most 10% (or 250 ms) late.
    static func sweepInterval(_ timeouts: TimeAmount...) -> TimeAmount {
        let shortest = timeouts.min() ?? .seconds(1)
        return min(max(.nanoseconds(shortest.nanoseconds / 10), .milliseconds(10)), .milliseconds(250))
    }
}
