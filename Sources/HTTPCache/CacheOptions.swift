/// The tunables of the dispatcher cache (`cache:` in the `l7` strategy's options).
public struct CacheOptions: Sendable, Equatable {
    /// `enabled: false` makes every lookup a `.bypass`: the proxy goes upstream for everything.
    public var enabled: Bool
    /// The bound on everything stored: each entry's head estimate plus its body.
    public var maxBytes: Int
    /// A response whose body is larger is not stored (and a fill that grows past it is abandoned).
    public var maxObjectBytes: Int
    /// The most heuristic freshness (RFC 9111 §4.2.2) a response without `max-age`, `s-maxage` or
    /// `Expires` may get, and only when it has `Last-Modified`, a heuristically cacheable status
    /// (or `public`), and the request had no `Cookie`; capped at a tenth of `Date - Last-Modified`.
    /// Zero, the default, stores nothing that does not say how long it stays fresh: a guess is
    /// the operator's to make.
    public var defaultTTL: Duration

    public init(
        enabled: Bool = true,
        maxBytes: Int = 64 << 20,
        maxObjectBytes: Int = 1 << 20,
        defaultTTL: Duration = .zero
    ) {
        self.enabled = enabled
        self.maxBytes = maxBytes
        self.maxObjectBytes = maxObjectBytes
        self.defaultTTL = defaultTTL
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to `0...UInt64.max` (a negative TTL means "not fresh at all").
    var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (total, overflow2) = whole.addingReportingOverflow(UInt64(max(0, attoseconds / 1_000_000_000)))
        return overflow2 ? .max : total
    }
}

/// Seconds to nanoseconds without trapping on absurd header values.
@inline(__always)
func nanoseconds(seconds: Int64) -> UInt64 {
    guard seconds > 0 else { return 0 }
    let (value, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
    return overflow ? .max : value
}
