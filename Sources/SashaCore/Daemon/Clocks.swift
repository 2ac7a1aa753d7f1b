#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// The two clocks the ring machine is driven by.
enum Clocks {
    /// Monotonic nanoseconds, the clock NIO's timers run on, so a deadline from the machine can be
    /// scheduled as it is.
    static func monotonic() -> UInt64 {
        NIODeadline.now().uptimeNanoseconds
    }

    /// Microseconds since the Unix epoch: rings are named by creation time, and a restarted
    /// member's packet sequence starts here so that its packets are newer than before.
    static func wallMicroseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
    }
}
