import Foundation
import SashaCore
import SashaSDK

/// Runs the demo's scenario steps on the live cluster and words what happened for the screen.
final class DemoDirector {
    private let cluster: DemoCluster
    private let traffic: DemoTraffic
    private var killed: (member: IPv4Address, at: ContinuousClock.Instant, before: DemoTraffic.Counts)?

    init(cluster: DemoCluster, traffic: DemoTraffic) {
        self.cluster = cluster
        self.traffic = traffic
    }

    /// Performs `step`; the lines for the screen's event list.
    func perform(_ step: DemoScenario.Step, elapsed: Int) -> [String] {
        switch step {
        case .killDispatcher: return killDispatcher(elapsed: elapsed)
        case .restartKilled: return restartKilled(elapsed: elapsed)
        case .swapPolicy(let policy): return swap(to: policy, elapsed: elapsed)
        }
    }

    private func killDispatcher(elapsed: Int) -> [String] {
        guard let dispatcher = cluster.statuses().values.compactMap({ $0.ring?.dispatcher }).first.flatMap(IPv4Address.init)
        else { return ["[\(elapsed) s] no dispatcher to kill"] }
        let before = traffic.counts
        let at = ContinuousClock.now
        cluster.kill9(dispatcher)
        killed = (dispatcher, at, before)
        var lines = ["[\(elapsed) s] kill -9 of the dispatcher \(dispatcher) ..."]
        // Watch closely for the takeover: the ring names the new dispatcher within its token timeout.
        let deadline = at + .seconds(10)
        while ContinuousClock.now < deadline {
            let named = cluster.statuses().values.compactMap { $0.ring?.dispatcher }.first { $0 != dispatcher.description }
            if let named {
                let took = ContinuousClock.now - at
                lines.append("[\(elapsed) s] \(named) took over \(Self.milliseconds(took)) ms after the kill")
                return lines
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        lines.append("[\(elapsed) s] no member took over within 10 s (see the logs)")
        return lines
    }

    private func restartKilled(elapsed: Int) -> [String] {
        guard let killed else { return [] }
        self.killed = nil
        let now = traffic.counts
        let failed = (now.failed - killed.before.failed) + (now.errors - killed.before.errors)
        let sent = failed + now.answered - killed.before.answered
        let window = Int((ContinuousClock.now - killed.at).components.seconds)
        var lines = ["[\(elapsed) s] failover cost \(failed) of \(sent) requests in the \(window) s since the kill"]
        do {
            try cluster.start(killed.member)
            lines.append("[\(elapsed) s] \(killed.member) started again: it joins as a server")
        } catch {
            lines.append("[\(elapsed) s] cannot start \(killed.member) again: \(error)")
        }
        return lines
    }

    /// Asks a member other than the dispatcher: any member can run a swap.
    private func swap(to policy: String, elapsed: Int) -> [String] {
        let statuses = cluster.statuses()
        let dispatcher = statuses.values.compactMap { $0.ring?.dispatcher }.first
        guard let member = statuses.keys.sorted().last(where: { $0.description != dispatcher }) ?? statuses.keys.first,
              let socket = try? ControlSocketPath(folder: cluster.config.control.dir, node: member)
        else { return ["[\(elapsed) s] no member answers to run the swap to \(policy)"] }
        let request = #"{"command":"policy-set","name":"\#(policy)"}"#
        guard let line = try? ControlClient.request(request, at: socket.path, timeoutSeconds: 15),
              let outcome = try? JSONDecoder().decode(PolicySwapOutcome.self, from: Data(line.utf8))
        else { return ["[\(elapsed) s] the swap to \(policy) got no answer from \(member)"] }
        guard let epoch = outcome.epoch else {
            return ["[\(elapsed) s] swap to \(policy) refused: " + outcome.refusals.map { "\($0.member): \($0.reason)" }.joined(separator: "; ")]
        }
        return ["[\(elapsed) s] policy \(policy) live on \(outcome.members) members as epoch \(epoch) "
                + "in \(Self.milliseconds(.milliseconds(outcome.totalMilliseconds))) ms (asked of \(member))"]
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let tenths = Int((Double(duration.components.seconds) * 1e4 + Double(duration.components.attoseconds) / 1e14).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
