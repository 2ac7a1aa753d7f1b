import SashaRing
import SashaSDK
import Testing

/// Issue 16, item 3, in the simulator: an eavesdropper records everything on the link while the
/// ring forms, loses its dispatcher and takes it back as a server, then replays the whole
/// recording: to every member at once, and to a member the moment it restarts. Neither changes a
/// view, a role or the dispatcher. (Before epochs and the handshake, a restarted member trusted
/// the first packet from each sender, so the recording put it back into a ring long gone, as its
/// dispatcher.)
@Suite struct ReplayedRecording {
    /// What the checks compare before and after a replay.
    struct Seen: Equatable {
        var ring: UInt64
        var version: UInt32
        var dispatcher: IPv4Address?
        var role: RingRole
    }

    static func seen(_ cluster: SimulatedCluster, _ host: Int) -> Seen? {
        guard let machine = cluster.hosts[host].machine, let view = machine.view else { return nil }
        return Seen(ring: machine.currentRing, version: view.version, dispatcher: view.dispatcher, role: machine.role)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func aRecordingReplayedLaterChangesNothing(seed: UInt64) throws {
        var random = SimRandom(seed: seed ^ 0x5245_504C_4159)  // "REPLAY"
        let setup = RunSetup(seed: seed, members: random.int(3...7), random: &random)
        // Every member may dispatch, so that a member that restarts never has to.
        let cluster = SimulatedCluster(addresses: setup.addresses, canDispatch: setup.addresses.map { _ in true }, timing: setup.timing,
                                       network: setup.network, key: setup.key, random: &random)
        let bound = cluster.convergenceBound(members: setup.memberCount)
        var watch = ConvergenceWatch()
        func converge(_ what: String) throws {
            try watch.run(cluster, until: cluster.now + 6 * bound, stopWhenHolding: true)
            try #require(watch.holds, "seed \(seed), \(what): \(watch.lastViolation ?? "?")")
            try cluster.run(until: cluster.now + bound)  // a quiet while
        }
        func dispatcher() throws -> Int {
            let address = try #require(Self.seen(cluster, cluster.hosts.indices.first { cluster.hosts[$0].isLive }!)?.dispatcher)
            return try #require(cluster.index(of: address))
        }

        cluster.recording = []
        for host in cluster.hosts.indices { cluster.start(host) }
        try converge("formation")
        let first = try dispatcher()
        cluster.crash(first)
        try converge("failover")
        cluster.start(first)
        try converge("the old dispatcher's return")
        let recording = cluster.recording!
        cluster.recording = nil
        let recordedRings = Set(recording.compactMap { try? cluster.codec.open($0.bytes, receiver: $0.to) }.flatMap { packet in
            packet.messages.compactMap { if case let .view(view) = $0.body { view.ring } else { nil } }
        })
        try #require(recordedRings.count >= 2, "the recording holds the views of the rings before and after the failover")

        // 1. Everything, to every member, over 50 ms: nothing may move.
        let before = cluster.hosts.indices.map { Self.seen(cluster, $0) }
        for (index, datagram) in recording.enumerated() {
            guard let target = cluster.index(of: datagram.to) else { continue }
            cluster.inject(datagram.bytes, from: datagram.from, to: target, after: UInt64(index % 500) * 100_000)
        }
        var moved: String?
        try cluster.run(until: cluster.now + 2 * bound) {
            for host in cluster.hosts.indices where Self.seen(cluster, host) != before[host] {
                moved = "\(cluster.hosts[host].address): \(cluster.describeMember(host))"
                return true
            }
            return false
        }
        #expect(moved == nil, "seed \(seed): the replay moved a member: \(moved ?? "")")

        // 2. The dispatcher now is one the recording shows dispatching. It crashes, the ring
        // moves on, and it restarts hearing the recording before anything live.
        let second = try dispatcher()
        cluster.crash(second)
        try converge("the second failover")
        cluster.start(second)
        for (index, datagram) in recording.enumerated() where datagram.to == cluster.hosts[second].address {
            cluster.inject(datagram.bytes, from: datagram.from, to: second, after: UInt64(index % 100) * 1_000)
        }
        // Watched through its rejoin: it must never hold a recorded ring, nor dispatch.
        var adoptedRecorded: String?
        try cluster.run(until: cluster.now + 6 * bound) {
            if let seen = Self.seen(cluster, second), recordedRings.contains(seen.ring) || seen.role == .dispatcher {
                adoptedRecorded = cluster.describeMember(second)
                return true
            }
            return false
        }
        #expect(adoptedRecorded == nil, "seed \(seed): the restarted member took a recorded ring: \(adoptedRecorded ?? "")")
        try converge("the restarted member's rejoin")
        let machine = try #require(cluster.hosts[second].machine)
        #expect(machine.counters.droppedUnverified > 0, "seed \(seed): the recording reached the restarted member")
    }
}
