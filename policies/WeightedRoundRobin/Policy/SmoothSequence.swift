/// One period of nginx's smooth weighted round-robin (`ngx_http_upstream_get_peer`), computed
/// ahead of time so that picking is an index into it.
enum SmoothSequence {
    /// Longest period kept. Configured weights (at most 1000, at most 254 servers) always fit
    /// exactly once divided by their gcd; only weights near the ABI's 65535 are scaled down, which
    /// keeps their ratios to within a fraction of a percent. 2^18 entries of 4 bytes: 1 MiB a group.
    static let maximumPeriod = 1 << 18

    /// Positions into `weights` (all > 0), in nginx's order, one full period long: each position
    /// appears `weight / gcd` times.
    static func period(weights: [Int]) -> [Int32] {
        guard !weights.isEmpty else { return [] }
        let divisor = weights.reduce(0, gcd)
        var weights = weights.map { $0 / divisor }
        var total = weights.reduce(0, +)
        if total > maximumPeriod {
            // Keep the ratios, drop precision, never a weight below 1.
            let scale = (total + maximumPeriod - 1) / maximumPeriod
            weights = weights.map { max(1, $0 / scale) }
            total = weights.reduce(0, +)
        }
        // nginx: every server's current weight grows by its weight; the largest (first on a tie)
        // is chosen and pays back the total. After `total` steps all are back at zero.
        var current = [Int](repeating: 0, count: weights.count)
        var sequence: [Int32] = []
        sequence.reserveCapacity(total)
        for _ in 0..<total {
            var best = 0
            for server in weights.indices {
                current[server] += weights[server]
                if current[server] > current[best] { best = server }
            }
            current[best] -= total
            sequence.append(Int32(best))
        }
        return sequence
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
