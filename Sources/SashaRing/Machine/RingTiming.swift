/// The ring's three timers (`ring.heartbeat_ms`, `ring.token_timeout_ms`,
/// `ring.broadcast_timeout_ms`), in nanoseconds, and the intervals derived from them.
public struct RingTiming: Equatable, Sendable {
    /// How often the master originates a heartbeat token.
    public var heartbeat: UInt64
    /// Silence from the upstream neighbour longer than this is a fault.
    public var tokenTimeout: UInt64
    /// How long a purged ring collects joins before it is rebuilt.
    public var broadcastTimeout: UInt64

    public init(heartbeatMilliseconds: Int, tokenTimeoutMilliseconds: Int, broadcastTimeoutMilliseconds: Int) {
        heartbeat = UInt64(max(1, heartbeatMilliseconds)) * 1_000_000
        tokenTimeout = UInt64(max(1, tokenTimeoutMilliseconds)) * 1_000_000
        broadcastTimeout = UInt64(max(1, broadcastTimeoutMilliseconds)) * 1_000_000
    }

    public static let defaults = RingTiming(heartbeatMilliseconds: 100, tokenTimeoutMilliseconds: 1000, broadcastTimeoutMilliseconds: 500)
    public static let fast = RingTiming(heartbeatMilliseconds: 20, tokenTimeoutMilliseconds: 150, broadcastTimeoutMilliseconds: 100)

    /// A member without a ring says "join" this often, so that every other one hears it about
    /// three times within one broadcast timeout, even if one copy is lost.
    var joinInterval: UInt64 { max(broadcastTimeout / 3, 1_000_000) }
    /// A join not heard again for this long is from a member that went away while joining.
    var joinExpiry: UInt64 { joinInterval * 2 }
    /// A master says "my ring exists" this often, so that separated rings find each other within
    /// half a broadcast timeout of a healed partition.
    var beaconInterval: UInt64 { max(broadcastTimeout / 2, 1_000_000) }
}
