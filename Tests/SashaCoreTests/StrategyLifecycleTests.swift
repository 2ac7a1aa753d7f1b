@testable import SashaCore
import SashaRing
import Testing

/// Which side of the strategy runs for each role, without a plugin or a queue: the order of the
/// calls, retries and withdrawal, the cut-off standalone member, the shutdown.
@Suite("strategy lifecycle")
struct StrategyLifecycleTests {
    typealias Action = StrategyLifecycle.Action

    /// A lifecycle that has started dispatching as `role`.
    func dispatching(as role: RingRole = .dispatcher, serves: Bool = true) -> StrategyLifecycle {
        var lifecycle = StrategyLifecycle(serves: serves)
        lifecycle.canWithdraw = true
        #expect(lifecycle.roleChanged(to: role, cutOff: false) == [.publishServers, .start])
        lifecycle.started()
        return lifecycle
    }

    /// A lifecycle serving as a prepared server.
    func serving() -> StrategyLifecycle {
        var lifecycle = StrategyLifecycle(serves: true)
        #expect(lifecycle.roleChanged(to: .server, cutOff: false) == [.publishServers, .prepareServer])
        lifecycle.serverPrepared(true)
        return lifecycle
    }

    @Test("a dispatcher that becomes a server stops before it prepares; a server that becomes dispatcher unprepares before it starts")
    func neverBothSidesAtOnce() {
        var lifecycle = dispatching()
        #expect(lifecycle.roleChanged(to: .server, cutOff: false)
            == [.stopDispatching(because: "the VIP is released"), .publishServers, .prepareServer])
        #expect(!lifecycle.dispatching)
        lifecycle.serverPrepared(true)
        #expect(lifecycle.roleChanged(to: .dispatcher, cutOff: false) == [.unprepareServer, .publishServers, .start])
        #expect(!lifecycle.preparedServer)
    }

    @Test("a member that does not serve prepares no server side")
    func standByOnly() {
        var lifecycle = StrategyLifecycle(serves: false)
        #expect(lifecycle.roleChanged(to: .server, cutOff: false) == [.publishServers])
        #expect(lifecycle.roleChanged(to: .joining, cutOff: false) == [.publishServers])
    }

    @Test("a failed start is retried; the tenth in a row hands the dispatcher role over, once")
    func failedStartsWithdraw() {
        var lifecycle = StrategyLifecycle(serves: true)
        lifecycle.canWithdraw = true
        #expect(lifecycle.roleChanged(to: .dispatcher, cutOff: false) == [.publishServers, .start])
        for attempt in 1..<StrategyLifecycle.startFailuresBeforeWithdrawing {
            #expect(lifecycle.startFailed("address in use") == [.retryStart], "attempt \(attempt)")
            #expect(lifecycle.retryDue(cutOff: false) == [.publishServers, .start])
        }
        #expect(lifecycle.startFailed("address in use")
            == [.withdraw(because: "the strategy could not start 10 times: address in use"), .retryStart])
        #expect(lifecycle.withdrawn)
        // Still withdrawn: no second withdrawal, only retries.
        #expect(lifecycle.startFailed("address in use") == [.retryStart])
        #expect(lifecycle.withdrawalOver() == [.rejoinElection])
        #expect(lifecycle.withdrawalOver() == [])
        // A success resets the count.
        lifecycle.started()
        #expect(lifecycle.startFailures == 0 && lifecycle.dispatching)
        #expect(lifecycle.retryDue(cutOff: false) == [])
    }

    @Test("a standalone member keeps retrying and never withdraws: nobody could take over")
    func standaloneNeverWithdraws() {
        var lifecycle = StrategyLifecycle(serves: true)
        lifecycle.canWithdraw = true
        #expect(lifecycle.roleChanged(to: .standalone, cutOff: false) == [.publishServers, .start])
        for _ in 0..<(2 * StrategyLifecycle.startFailuresBeforeWithdrawing) {
            #expect(lifecycle.startFailed("no link") == [.retryStart])
        }
        #expect(!lifecycle.withdrawn)
    }

    @Test("without a ring node to tell, a member does not withdraw")
    func noReadinessNoWithdrawal() {
        var lifecycle = StrategyLifecycle(serves: true)
        _ = lifecycle.roleChanged(to: .dispatcher, cutOff: false)
        for _ in 0..<StrategyLifecycle.startFailuresBeforeWithdrawing {
            #expect(lifecycle.startFailed("x") == [.retryStart])
        }
    }

    @Test("a failed data path: a dispatcher stops and withdraws, a standalone member stops and retries")
    func dataPathFailure() {
        var dispatcher = dispatching()
        #expect(dispatcher.dataPathFailed("capture closed")
            == [.stopDispatching(because: "its data path failed"), .withdraw(because: "capture closed")])
        #expect(dispatcher.dataPathFailed("again") == [], "not dispatching any more")

        var alone = dispatching(as: .standalone)
        #expect(alone.dataPathFailed("capture closed") == [.stopDispatching(because: "its data path failed"), .retryStart])
        #expect(alone.retryDue(cutOff: false) == [.publishServers, .start])
    }

    @Test("a standalone member cut off from every peer holds back, looks again, and starts once a peer is reached")
    func cutOffStandalone() {
        var lifecycle = StrategyLifecycle(serves: true)
        #expect(lifecycle.roleChanged(to: .standalone, cutOff: true) == [.holdingBack(true), .checkCutOffAgain, .publishServers])
        #expect(lifecycle.cutOffCheckDue(cutOff: true) == [.checkCutOffAgain, .publishServers])
        #expect(lifecycle.cutOffCheckDue(cutOff: false) == [.holdingBack(false), .publishServers, .start])
        #expect(lifecycle.cutOffCheckDue(cutOff: false) == [], "no longer holding back: no more looks")
    }

    @Test("being cut off does not stop a dispatcher: only a standalone member minds")
    func cutOffDispatcher() {
        var lifecycle = StrategyLifecycle(serves: true)
        #expect(lifecycle.roleChanged(to: .dispatcher, cutOff: true) == [.publishServers, .start])
    }

    @Test("a view naming another dispatcher stops this one before its servers are published")
    func abdicates() {
        var lifecycle = dispatching()
        #expect(lifecycle.anotherMemberDispatches(cutOff: false)
            == [.stopDispatching(because: "the VIP is released"), .publishServers, .prepareServer])
        #expect(lifecycle.role == .server)
        var server = serving()
        #expect(server.anotherMemberDispatches(cutOff: false) == [], "a server has nothing to stop")
    }

    @Test("shutdown undoes both sides and nothing starts after it")
    func shutdown() {
        var lifecycle = dispatching()
        #expect(lifecycle.shutdown() == [.stopDispatching(because: "the VIP is released"), .publishServers])
        #expect(lifecycle.roleChanged(to: .dispatcher, cutOff: false) == [.publishServers])
        #expect(lifecycle.retryDue(cutOff: false) == [.publishServers])

        var server = serving()
        #expect(server.shutdown() == [.unprepareServer, .publishServers])
    }
}
