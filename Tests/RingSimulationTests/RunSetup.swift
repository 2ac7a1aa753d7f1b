import SashaRing
import SashaSDK

/// Everything a seed decides before a run starts: members, who may dispatch, timers, network.
struct RunSetup {
    let seed: UInt64
    let addresses: [IPv4Address]
    let canDispatch: [Bool]
    let timing: RingTiming
    let timingName: String
    let network: NetworkProfile
    let key: [UInt8]

    var memberCount: Int { addresses.count }

    /// `members` is drawn by the caller (each test has its own mix of sizes).
    init(seed: UInt64, members: Int, random: inout SimRandom) {
        self.seed = seed
        // n distinct addresses out of 10.0.0.1-10.0.0.254, so that members are not always
        // neighbours in address space and a restarted one lands between others.
        var octets = Array(1...254)
        random.shuffle(&octets)
        addresses = octets.prefix(members).sorted().map { IPv4Address(0x0A00_0000 | UInt32($0)) }
        // A random subset may not dispatch; never all of them.
        let share = random.pick([0.0, 0.2, 0.5, 0.9])
        var flags = addresses.map { _ in !random.chance(share) }
        if !flags.contains(true) { flags[random.int(0...(members - 1))] = true }
        canDispatch = flags
        // Timers: a rotation (members × hop delay, up to 3 ms a hop) must stay well inside the
        // token timeout, or a freshly formed ring times out before its first heartbeat has gone
        // round: the fast timers serve small rings, the defaults any size.
        let medium = RingTiming(heartbeatMilliseconds: 50, tokenTimeoutMilliseconds: 400, broadcastTimeoutMilliseconds: 200)
        let choices: [(String, RingTiming)] =
            members <= 30 ? [("fast", .fast), ("fast", .fast), ("medium", medium), ("defaults", .defaults)]
            : members <= 100 ? [("medium", medium), ("defaults", .defaults)]
            : [("defaults", .defaults)]
        (timingName, timing) = random.pick(choices)
        let profiles = [
            NetworkProfile(minimumDelay: 50_000, maximumDelay: 3_000_000, typicalDelay: 300_000, slowShare: 0.05, duplicateRate: 0),
            NetworkProfile(minimumDelay: 50_000, maximumDelay: 3_000_000, typicalDelay: 3_000_000, slowShare: 0, duplicateRate: 0),
            NetworkProfile(minimumDelay: 50_000, maximumDelay: 3_000_000, typicalDelay: 1_000_000, slowShare: 0.2, duplicateRate: 0),
        ]
        var network = random.pick(profiles)
        network.duplicateRate = random.pick([0, 0, 0.01, 0.03])
        self.network = network
        key = (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    func makeCluster(random: inout SimRandom) -> SimulatedCluster {
        SimulatedCluster(addresses: addresses, canDispatch: canDispatch, timing: timing, network: network, key: key, random: &random)
    }

    var summary: String {
        "members=\(memberCount) (\(canDispatch.filter { !$0 }.count) may not dispatch) timing=\(timingName) network: \(network)"
    }
}

/// What one seed's run reports back.
struct RunOutcome: Sendable {
    var seed: UInt64
    var members: Int
    var summary: String
    var failure: String?
    /// Convergence times after each checked quiet phase, with the single-fault bound of that moment.
    var convergences: [(time: UInt64, bound: UInt64)] = []
    var events = 0
    var virtualTime: UInt64 = 0
    var trace: [String] = []
    var wallTime: Duration = .zero
}
