import SashaRing
import SashaSDK

extension SimulatedCluster {
    /// The live, unfrozen members, by partition group, each group in address order.
    var parts: [[Int]] {
        var byGroup: [Int: [Int]] = [:]
        for index in hosts.indices where hosts[index].isLive { byGroup[hosts[index].group, default: []].append(index) }
        return byGroup.sorted { $0.key < $1.key }.map(\.value)
    }

    /// What is wrong with the cluster now, or nil when every check holds: in each connected part,
    /// every member is in one ring whose view holds exactly the part's members in address order,
    /// NDN/NUN follow that order, and there is exactly one dispatcher that all agree on if some
    /// member may dispatch (none otherwise); a part of one is standalone.
    func violation() -> String? {
        for part in parts {
            if let problem = violation(in: part) { return problem }
        }
        return nil
    }

    private func violation(in part: [Int]) -> String? {
        // Cheap checks first: while the cluster converges most evaluations stop here.
        for index in part {
            let machine = hosts[index].machine!
            if machine.isJoining { return "\(hosts[index].address) is still joining (\(describeMember(index)))" }
            if machine.currentRing == 0 || machine.view == nil { return "\(hosts[index].address) has no ring" }
        }
        let first = hosts[part[0]].machine!.view!
        for index in part.dropFirst() {
            let view = hosts[index].machine!.view!
            if view.ring != first.ring || view.version != first.version || view.dispatcher != first.dispatcher {
                return "views differ: \(hosts[part[0]].address) holds \(describe(first)), \(hosts[index].address) holds \(describe(view))"
            }
        }
        let expected = part.map { hosts[$0].address }
        if first.members.map(\.address) != expected {
            return "ring \(describe(first)) is not the part's live members [\(expected.map { "\($0.value & 0xFF)" }.joined(separator: ","))]"
        }
        let canDispatch = part.contains { hosts[$0].canDispatch }
        for (position, index) in part.enumerated() {
            let machine = hosts[index].machine!
            let view = machine.view!
            let address = hosts[index].address
            if view.members != first.members { return "\(address) holds the same ring and version with other members: \(describe(view))" }
            if view.member(address)?.canDispatch != hosts[index].canDispatch { return "\(address)'s dispatch flag is wrong in the view" }
            let downstream = part.count > 1 ? expected[(position + 1) % part.count] : nil
            let upstream = part.count > 1 ? expected[(position + part.count - 1) % part.count] : nil
            if view.downstream(of: address) != downstream || view.upstream(of: address) != upstream {
                return "\(address): NDN \(view.downstream(of: address).map { "\($0)" } ?? "none"), NUN \(view.upstream(of: address).map { "\($0)" } ?? "none")"
            }
            let role: RingRole
            if part.count == 1 {
                role = .standalone
            } else {
                role = view.dispatcher == address ? .dispatcher : .server
            }
            if machine.role != role { return "\(address) is \(machine.role.rawValue), expected \(role.rawValue) in \(describe(view))" }
        }
        if part.count == 1 {
            if first.dispatcher != nil { return "standalone \(expected[0]) names a dispatcher" }
        } else if canDispatch {
            guard let dispatcher = first.dispatcher, let chosen = index(of: dispatcher), part.contains(chosen) else {
                return "no dispatcher in a part that has members allowed to dispatch: \(describe(first))"
            }
            if !hosts[chosen].canDispatch { return "dispatcher \(dispatcher) may not dispatch" }
        } else if first.dispatcher != nil {
            return "a dispatcher \(first.dispatcher!) in a part where no member may dispatch"
        }
        return nil
    }

    /// The issue's bound on convergence after one fault, for a ring of `members`:
    /// `token_timeout + broadcast_timeout + two rotations`, a rotation being members × mean hop
    /// delay + one heartbeat period.
    func convergenceBound(members: Int) -> UInt64 {
        let rotation = UInt64(members) * network.meanDelay + timing.heartbeat
        return timing.tokenTimeout + timing.broadcastTimeout + 2 * rotation
    }
}

/// Watches the checks while the cluster runs and remembers when they last became true.
struct ConvergenceWatch {
    private(set) var holds = false
    private(set) var lastBecameTrue: UInt64 = 0
    private(set) var lastViolation: String?
    private(set) var evaluations = 0

    mutating func update(_ cluster: SimulatedCluster) {
        guard cluster.dirty else { return }
        cluster.dirty = false
        evaluations += 1
        let problem = cluster.violation()
        if problem == nil, !holds { lastBecameTrue = cluster.now }
        holds = problem == nil
        if let problem { lastViolation = problem }
    }

    /// Runs the cluster to `time`, evaluating after every change. With `stopWhenHolding`, stops
    /// at the first moment the checks hold.
    mutating func run(_ cluster: SimulatedCluster, until time: UInt64, stopWhenHolding: Bool = false) throws(SimulationFailure) {
        cluster.dirty = true
        update(cluster)
        if stopWhenHolding, holds { return }
        try cluster.run(until: time) {
            update(cluster)
            return stopWhenHolding && holds
        }
    }
}
