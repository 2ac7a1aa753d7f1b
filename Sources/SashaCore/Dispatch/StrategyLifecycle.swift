import SashaRing

/// Which side of the strategy runs for this member's role, as a state machine: events go in (a
/// role, a start's or a prepare's result, a failed data path, a timer come due), the plugin calls
/// and timers to carry out come back, in order. `StrategyRunner` carries them out on its queue
/// and reports what came of each start and prepare; this type holds no clock, queue or plugin,
/// so it is tested without them, as `PolicySwapRound` is.
///
/// The rules it keeps:
/// - Stop before preparing, unprepare before starting: a member never dispatches and serves the
///   VIP's server side at once.
/// - A dispatcher whose start fails tries again every `startRetry`; after
///   `startFailuresBeforeWithdrawing` failures in a row, or when its running data path fails, it
///   takes itself out of the dispatcher election for `withdrawnSeconds`. A standalone member has
///   nobody to hand over to and keeps trying.
/// - A standalone member cut off from every peer (its own link down) does not take the VIP, and
///   looks again every 250 ms while it holds back.
struct StrategyLifecycle {
    enum Action: Equatable {
        /// `strategy.stop()`: the VIP is given back.
        case stopDispatching(because: String)
        case unprepareServer
        /// The strategy and the policy hear the current view's servers.
        case publishServers
        /// `strategy.prepareServer()`; report with `serverPrepared(_:)`.
        case prepareServer
        /// `strategy.start()`; report with `started()` or `startFailed(_:)`.
        case start
        /// Send `retryDue` after `StrategyRunner.startRetry`.
        case retryStart
        /// A standalone member began (true) or ended (false) holding back because it is cut off.
        case holdingBack(Bool)
        /// Send `cutOffCheckDue` after 250 ms.
        case checkCutOffAgain
        /// Leave the dispatcher election and send `withdrawalOver` after `withdrawnSeconds`.
        case withdraw(because: String)
        /// Stand for the dispatcher election again.
        case rejoinElection
    }

    /// Failed starts in a row (at `StrategyRunner.startRetry`) after which a dispatcher hands the
    /// role over: a second of retries covers a VIP still held by the member handing it over.
    static let startFailuresBeforeWithdrawing = 10

    /// `serve: true` for this member: only then does a server role prepare the server side (a
    /// member that only stands by to dispatch must not take the VIP on `lo` for l4-2).
    let serves: Bool
    /// Whether this member can take itself out of the election (it has a ring node to tell).
    var canWithdraw = false

    private(set) var role: RingRole = .joining
    private(set) var dispatching = false
    private(set) var preparedServer = false
    /// Failed starts since the last success.
    private(set) var startFailures = 0
    private(set) var stopped = false
    /// Whether a standalone member holds back because it is cut off.
    private(set) var heldBack = false
    /// Whether this member has taken itself out of the election.
    private(set) var withdrawn = false

    init(serves: Bool) {
        self.serves = serves
    }

    // MARK: Events

    /// The ring gave this member a role. `cutOff`: the ring socket has reached no peer for its
    /// grace period (only a standalone member minds).
    mutating func roleChanged(to role: RingRole, cutOff: Bool) -> [Action] {
        self.role = role
        return settle(cutOff: cutOff)
    }

    /// A view names another dispatcher while this member dispatches (two rings merged and this
    /// member is the one that abdicates): stop at once, before the strategy hears of the joined
    /// servers, or it would announce the VIP once more. The role change follows the view.
    mutating func anotherMemberDispatches(cutOff: Bool) -> [Action] {
        guard dispatching else { return [] }
        role = .server
        return settle(cutOff: cutOff)
    }

    mutating func started() {
        dispatching = true
        startFailures = 0
    }

    /// `reason`: what the start threw.
    mutating func startFailed(_ reason: String) -> [Action] {
        startFailures += 1
        var actions: [Action] = []
        if role == .dispatcher, startFailures >= Self.startFailuresBeforeWithdrawing {
            actions += withdraw(because: "the strategy could not start \(startFailures) times: \(reason)")
        }
        return actions + [.retryStart]
    }

    mutating func serverPrepared(_ prepared: Bool) {
        preparedServer = prepared
    }

    /// The retry a failed start asked for came due.
    mutating func retryDue(cutOff: Bool) -> [Action] {
        dispatching ? [] : settle(cutOff: cutOff)
    }

    /// The 250 ms look of a member that holds back came due.
    mutating func cutOffCheckDue(cutOff: Bool) -> [Action] {
        heldBack ? settle(cutOff: cutOff) : []
    }

    /// The strategy said its running data path failed (`host->data_path_failed`): it stops, and a
    /// dispatcher hands the role over instead of holding the VIP with no path; standalone, it
    /// tries again (the interface may come back).
    mutating func dataPathFailed(_ reason: String) -> [Action] {
        guard dispatching else { return [] }
        dispatching = false
        let stop = Action.stopDispatching(because: "its data path failed")
        return role == .dispatcher ? [stop] + withdraw(because: reason) : [stop, .retryStart]
    }

    /// `withdrawnSeconds` have passed since this member withdrew.
    mutating func withdrawalOver() -> [Action] {
        guard withdrawn else { return [] }
        withdrawn = false
        return [.rejoinElection]
    }

    /// The daemon stops: both sides are undone and nothing starts again.
    mutating func shutdown() -> [Action] {
        stopped = true
        return settle(cutOff: false)
    }

    // MARK: Rules

    /// Brings the strategy to what the role asks for.
    private mutating func settle(cutOff cutOffHolds: Bool) -> [Action] {
        // Alone because its own link is down or gone is not the last member standing: it could
        // carry no traffic, and taking the VIP when the link returns, just before its ring merges
        // with the others, would point the link at a member that lets go of it at once.
        let cutOff = role == .standalone && !stopped && cutOffHolds
        var actions: [Action] = []
        if cutOff != heldBack {
            heldBack = cutOff
            actions.append(.holdingBack(cutOff))
        }
        if cutOff { actions.append(.checkCutOffAgain) }
        let wantDispatch = !stopped && (role == .dispatcher || (role == .standalone && !cutOff))
        let wantServer = !stopped && role == .server && serves
        if dispatching && !wantDispatch {
            dispatching = false
            actions.append(.stopDispatching(because: "the VIP is released"))
        }
        if preparedServer && !wantServer {
            preparedServer = false
            actions.append(.unprepareServer)
        }
        actions.append(.publishServers)
        if wantServer && !preparedServer { actions.append(.prepareServer) }
        if wantDispatch && !dispatching { actions.append(.start) }
        return actions
    }

    private mutating func withdraw(because reason: String) -> [Action] {
        guard !withdrawn, canWithdraw else { return [] }
        withdrawn = true
        return [.withdraw(because: reason)]
    }
}
