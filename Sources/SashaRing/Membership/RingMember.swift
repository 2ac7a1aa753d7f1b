import SashaBase

/// One member as every other member sees it. `id` is the small number the ring master assigned
/// when the member was inserted (the spec's "ring member identification"); it is unique within
/// one view and stays with the member while it stays in the ring.
public struct RingMember: Hashable, Sendable {
    public var address: IPv4Address
    public var id: UInt8
    /// `nodes.<address>.dispatch` of that member's own configuration: false means it is never
    /// elected dispatcher.
    public var canDispatch: Bool
    /// The member's own health check (its local service) says it can take connections.
    public var healthy: Bool

    public init(address: IPv4Address, id: UInt8, canDispatch: Bool, healthy: Bool = true) {
        self.address = address
        self.id = id
        self.canDispatch = canDispatch
        self.healthy = healthy
    }
}

/// What a member does in the ring it is in.
public enum RingRole: String, Sendable, Equatable {
    /// Takes client traffic for the VIP and hands it to servers.
    case dispatcher
    /// Serves what the dispatcher hands it.
    case server
    /// The last member left: serves the VIP itself, there is no one to dispatch to.
    case standalone
    /// Not in a ring yet (starting, or rejoining after a purge of a ring it was not dispatching).
    case joining
}

/// Why a view changed, carried in the view so that every member logs the same cause.
public enum ViewCause: UInt8, Sendable, Equatable, CustomStringConvertible {
    case formed = 1
    case expanded = 2
    case rejoined = 3
    case left = 4
    case merged = 5
    case health = 6
    case resent = 7

    public var description: String {
        switch self {
        case .formed: "ring formed"
        case .expanded: "member joined"
        case .rejoined: "member restarted and rejoined"
        case .left: "member left gracefully"
        case .merged: "two rings merged"
        case .health: "member health changed"
        case .resent: "view resent"
        }
    }
}
