#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// CLOCK_MONOTONIC in nanoseconds: the one clock the ring machine, the core and the plugins (through
/// the host table's `now`) are driven by. It is the clock NIO's timers run on
/// (`NIODeadline.uptimeNanoseconds`), so a deadline from it can be scheduled as it is.
public enum MonotonicClock {
    @inline(__always)
    public static var nanoseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// Microseconds since the Unix epoch: rings are named by their creation time, and a restarted
/// member's packet sequence starts here so that its packets are newer than before.
public enum WallClock {
    public static var microseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
