import SashaBase

/// One message inside a ring packet. A packet carries zero or more of them (the spec, Figure 10).
///
/// `origin` wrote it; `destination` is one member or nil for every member. Messages that travel
/// the ring are forwarded hop by hop to each member's downstream neighbour; `hops` counts the
/// hops so that a message that outlives a rotation expires.
public struct RingMessage: Equatable, Sendable {
    public var origin: IPv4Address
    public var destination: IPv4Address?
    public var hops: UInt8
    public var body: Body

    public init(origin: IPv4Address, destination: IPv4Address? = nil, hops: UInt8 = 0, body: Body) {
        self.origin = origin
        self.destination = destination
        self.hops = hops
        self.body = body
    }

    public enum Body: Equatable, Sendable {
        /// The token: the master writes one every `heartbeat_ms`; it goes round and comes back.
        /// It names the master's view by version and digest (`RingView.digest`), so that a
        /// member holding another view of the same version is noticed.
        case heartbeat(viewDigest: UInt32, viewVersion: UInt32)
        /// "I want to be in a ring." Broadcast by a starting member and by every member after a
        /// purge. `previousRing` is the ring the sender was in (0 if none), so that a member
        /// that restarted is told apart from one that is rebuilding with the others.
        case join(JoinRequest)
        /// "Ring `ring` is broken: `suspect` went silent. Leave it and rejoin."
        case purge(ring: UInt64, suspect: IPv4Address)
        /// The membership; the master (or a member leaving) broadcasts it on every change.
        case view(RingView)
        /// A master's periodic "ring `ring` exists", so that rings that could not see each other
        /// (a healed partition) find each other.
        case beacon(memberCount: UInt16, dispatcher: IPv4Address?)
        /// A master's view, sent to the master of a ring with a smaller master, asking to be
        /// absorbed.
        case merge(RingView)
        /// "My view is older than the ring's; send me yours."
        case sync
        /// A member's local service health changed, or whether it can carry the dispatcher's
        /// traffic (its data path failed: a capture interface is gone). `canDispatch` false takes
        /// a member out of the election until it says otherwise; it never puts in one whose
        /// configuration says `dispatch: false`.
        case health(healthy: Bool, canDispatch: Bool)
        /// A message for the layers above the ring (policy swaps, connection lists, ...).
        case cluster(channel: UInt8, payload: [UInt8])
        /// "Prove that your epoch is alive now: send `nonce` back." To a sender whose epoch the
        /// receiver has not verified (`PeerFreshness`).
        case challenge(nonce: UInt64)
        /// The reply to a challenge, in a packet of the epoch being verified.
        case answer(nonce: UInt64)
    }

    /// Whether it travels from member to member round the ring (true) or goes straight to its
    /// receivers, by broadcast or by unicast (false).
    public var travelsTheRing: Bool {
        switch body {
        case .heartbeat, .cluster: true
        default: false
        }
    }

    /// A challenge or an answer: the only messages read from a sender not verified yet.
    public var isHandshake: Bool {
        switch body {
        case .challenge, .answer: true
        default: false
        }
    }
}

public struct JoinRequest: Equatable, Sendable {
    public var canDispatch: Bool
    public var healthy: Bool
    /// The sender was the dispatcher of `previousRing` and still dispatches.
    public var isDispatcher: Bool
    public var previousRing: UInt64

    public init(canDispatch: Bool, healthy: Bool, isDispatcher: Bool, previousRing: UInt64) {
        self.canDispatch = canDispatch
        self.healthy = healthy
        self.isDispatcher = isDispatcher
        self.previousRing = previousRing
    }
}

/// The message type byte on the wire.
enum MessageType: UInt8 {
    case heartbeat = 1, join, purge, view, beacon, merge, sync, health, challenge, answer
    case cluster = 16
}
