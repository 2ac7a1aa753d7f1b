/// What `sasha demo` does to its own cluster while the screen runs, so that a first-time viewer
/// sees what sets Sasha apart: a `kill -9` of the dispatcher (the takeover and how many requests
/// failed in the gap), the killed member coming back as a server, then live policy swaps (the
/// servers' request rates change shape as each policy says). Pure: the steps due at a second.
struct DemoScenario: Sendable, Equatable {
    enum Step: Sendable, Equatable {
        case killDispatcher
        case restartKilled
        case swapPolicy(String)
    }

    var failover: Bool
    var swap: Bool
    /// The configured policy, which the last swap brings back.
    var configuredPolicy: String

    /// When each step runs, in seconds since the traffic started: first the failover, then the
    /// swaps once the ring is whole again. maglev sends each path to one server (uneven bars);
    /// least-connections evens them out; then back to the configuration's policy.
    func steps(at second: Int) -> [Step] {
        var due: [Step] = []
        let swapsStart = failover ? 22 : 10
        if failover && second == 10 { due.append(.killDispatcher) }
        if failover && second == 16 { due.append(.restartKilled) }
        if swap {
            let policies = ["maglev", "least-connections", configuredPolicy]
            for (index, policy) in policies.enumerated() where second == swapsStart + 10 * index { due.append(.swapPolicy(policy)) }
        }
        return due
    }
}
