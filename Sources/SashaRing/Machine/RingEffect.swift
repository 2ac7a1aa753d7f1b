import SashaBase

/// What the machine asks its driver to do, or tells it happened. The machine never does I/O;
/// the daemon turns these into datagrams and log lines, the simulator into virtual deliveries.
public enum RingEffect: Sendable, Equatable {
    /// Send this datagram to one member's ring port.
    case send([UInt8], to: IPv4Address)
    /// Send this datagram to everyone: the link's broadcast address where there is one, else
    /// each of `RingMachine.broadcastTargets`.
    case broadcast([UInt8])
    /// The membership changed. `elapsed` is the time since the fault or purge that led here,
    /// when there was one.
    case viewChanged(RingView, elapsed: UInt64?)
    /// This member's role changed (`roleChanged(.server, .dispatcher)` starts a strategy in later
    /// layers; `(.dispatcher, .server)` stops it).
    case roleChanged(from: RingRole, to: RingRole, cause: String)
    /// This member's upstream neighbour fell silent; it purged the ring.
    case faultDetected(suspect: IPv4Address)
    /// Another member purged the ring this member was in.
    case purged(by: IPv4Address, suspect: IPv4Address)
    /// A cluster message (for the layers above) reached this member.
    case delivered(channel: UInt8, payload: [UInt8], from: IPv4Address)
}
