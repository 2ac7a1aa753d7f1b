import Dispatch
import Logging
import SashaRing
import SashaSDK
import Synchronization

/// Drives the configured strategy and policy from the ring: this member's role decides whether
/// the strategy dispatches (dispatcher, or standalone: the last member serves the VIP itself) or
/// prepares the server side, and every view hands the policy and the strategy a fresh server list.
///
/// Role and view events arrive on the ring's event loop, which must never block; starting a
/// strategy can (it binds sockets, takes an address), so every plugin call runs on one serial
/// queue, in event order. That queue is the "one control thread" of the plugin contract.
public final class StrategyRunner: RoleObserver, @unchecked Sendable {
    public let strategy: StrategyInstance
    private let builder: ServerListBuilder
    /// The member's policy, exclusions and failure reports, which its plugins reach too.
    private let services: HostServices
    private var exclusions: ServerExclusions { services.exclusions }
    private let logger: Logger
    private let queue = DispatchQueue(label: "sasha.strategy")
    /// Sends a cluster message round the ring (`RingNode.submit`); set once, before the first
    /// event.
    var messenger: (@Sendable (_ channel: UInt8, _ payload: [UInt8], _ to: IPv4Address?) -> Void)? {
        didSet {
            let messenger = messenger
            policySwitch.send = { message, destination in messenger?(RingChannel.policy.rawValue, message.bytes, destination) }
            exchange.messenger = messenger
        }
    }
    /// The recorded policy's name and epoch, for `sasha status` (read from the ring's event loop).
    private let recordedPolicy: Protected<PolicyRecord>
    /// Live swaps: proposals, votes, commits (confined to `queue`).
    private let policySwitch: PolicySwitch

    // Confined to `queue`.
    /// The policy the strategy picks with (through `CurrentPolicy`), replaced by live swaps.
    private var policy: PolicyInstance
    /// Which side of the strategy runs for the role; its actions are carried out by `run(_:)`.
    private var lifecycle: StrategyLifecycle
    private var view: RingView?
    private var dispatching: Bool { lifecycle.dispatching }
    /// State reconstruction: asking for lists as dispatcher, answering as any member.
    private let exchange: ConnectionListExchange
    /// Announces the VIP again when members join while this member dispatches (nil: no link).
    let announcer: VIPAnnouncer?
    /// When the ring socket last found this member cut off from every peer; set once, before the
    /// first event (`Daemon.start`).
    var cutOff: CutOffGuard?
    /// Takes this member out of the dispatcher election (false) or puts it back (true)
    /// (`RingNode.setDispatchReady`); set once, before the first event.
    var readiness: (@Sendable (Bool) -> Void)? {
        didSet { queue.sync { lifecycle.canWithdraw = readiness != nil } }
    }

    /// How long a member whose data path failed stays out of the election. It then may be elected
    /// again, but does not take the role from a dispatcher that works.
    static let withdrawnSeconds = 10

    /// How soon a failed start is tried again while the member is still dispatcher (the VIP may
    /// still be held by the member that is handing it over).
    static let startRetry: DispatchTimeInterval = .milliseconds(100)

    public struct LoadFailure: Error, Sendable, CustomStringConvertible {
        public var diagnostics: [Diagnostic]
        public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
    }

    /// Loads both plugins named in `config.dispatch`, makes their instances for the member whose
    /// `services` they reach, and makes the policy current there. Refuses with the same
    /// FILE:LINE:COLUMN lines as `sasha check`.
    public static func load(config: SashaConfig, node: IPv4Address, services: HostServices, logger: Logger,
                            executableDirectory: String? = PluginSearchPath.executableDirectory) throws(LoadFailure) -> StrategyRunner {
        let loader = PluginLoader(searchPaths: PluginSearchPath.folders(
            configured: config.plugins.paths, executableDirectory: executableDirectory))
        let dispatch = config.dispatch
        var problems = ConfigCheck.checkPlugin(dispatch.strategy, kind: .strategy, options: dispatch.strategyOptions,
                                               key: "strategy", in: config, loader: loader)
        problems += ConfigCheck.checkPlugin(dispatch.policy, kind: .policy, options: dispatch.policyOptions,
                                            key: "policy", in: config, loader: loader)
        guard problems.isEmpty,
              case .success(let strategyPlugin) = loader.load(name: dispatch.strategy, kind: .strategy),
              case .success(let policyPlugin) = loader.load(name: dispatch.policy, kind: .policy)
        else { throw LoadFailure(diagnostics: problems) }
        let fallback = SourceLocation(file: config.sourceMap.file, line: 1, column: 1)
        let context = StrategyContext(node: node, vip: config.cluster.vip, ports: config.cluster.ports,
                                      interface: config.ring.interface)
        do throws(OptionError) {
            let policy = try policyPlugin.makePolicy(options: dispatch.policyOptions)
            let strategy = try strategyPlugin.makeStrategy(options: dispatch.strategyOptions, context: context,
                                                           services: services)
            services.currentPolicy.replace(with: policy)
            let record = PolicyRecord(name: dispatch.policy, options: dispatch.policyOptions, epoch: .configured)
            return StrategyRunner(strategy: strategy, policy: policy, record: record, address: node,
                                  factory: policyFactory(loader), builder: ServerListBuilder(config: config),
                                  services: services, logger: logger, serves: config.node(node).serve,
                                  announcer: VIPAnnouncer(vip: config.cluster.vip, interface: config.ring.interface))
        } catch {
            let location = config.sourceMap.location(of: ["dispatch"]) ?? fallback
            throw LoadFailure(diagnostics: [Diagnostic(location: location, message: "dispatch: \(error)")])
        }
    }

    /// Makes policies for live swaps with the same search path and checks as at start.
    static func policyFactory(_ loader: PluginLoader) -> PolicySwitch.Factory {
        { name, options in
            switch loader.load(name: name, kind: .policy) {
            case .failure(let refusal):
                return .failure(.init(description: "\(refusal)"))
            case .success(let plugin):
                if let error = plugin.validate(options: options) {
                    let key = error.key.isEmpty ? "" : " \(error.key)"
                    return .failure(.init(description: "option\(key): \(error.message) (plugin \(plugin.name))"))
                }
                do throws(OptionError) {
                    return .success(try plugin.makePolicy(options: options))
                } catch {
                    return .failure(.init(description: "\(error) (plugin \(plugin.name))"))
                }
            }
        }
    }

    init(strategy: StrategyInstance, policy: PolicyInstance, record: PolicyRecord, address: IPv4Address,
         factory: @escaping PolicySwitch.Factory, builder: ServerListBuilder, services: HostServices,
         logger: Logger, serves: Bool = true, announcer: VIPAnnouncer? = nil) {
        lifecycle = StrategyLifecycle(serves: serves)
        self.announcer = announcer
        self.strategy = strategy
        self.policy = policy
        self.builder = builder
        self.services = services
        self.logger = logger
        exchange = ConnectionListExchange(address: address, strategy: strategy, queue: queue, logger: logger)
        recordedPolicy = Protected(record)
        policySwitch = PolicySwitch(address: address, record: record, factory: factory, queue: queue, logger: logger)
        policySwitch.install = { [weak self] instance, record in self?.install(instance, record) }
        services.exclusions.setListener { [weak self] in
            guard let self else { return }
            queue.async { self.publishServers() }
        }
        services.dataPathFailures.setListener { [weak self] reason in
            guard let self else { return }
            queue.async { self.dataPathFailed(reason) }
        }
    }

    // MARK: Ring events (on the ring's event loop: hand over and return)

    public func roleChanged(_ event: RoleEvent) {
        queue.async { [self] in
            if let view = event.view { adopt(view) }
            run(lifecycle.roleChanged(to: event.to, cutOff: cutOffHolds))
        }
    }

    public func viewChanged(_ view: RingView) {
        queue.async { [self] in
            if self.view == nil { remindOfPolicy() }
            let old = self.view?.members.map(\.address) ?? []
            adopt(view)
            if view.count > 1, view.dispatcher != policySwitch.address {
                run(lifecycle.anotherMemberDispatches(cutOff: cutOffHolds))
            }
            publishServers()
            let new = view.members.map(\.address)
            if dispatching { exchange.membersJoined(Set(new).subtracting(old)) }
            policySwitch.viewChanged(from: old, to: new)
            if dispatching, !old.isEmpty, !Set(new).subtracting(old).subtracting([policySwitch.address]).isEmpty {
                announcer?.announce(while: { [weak self] in self?.queue.sync { self?.dispatching ?? false } ?? false },
                                    failed: { [logger] problem in logger.warning("\(problem)") })
            }
        }
    }

    public func delivered(channel: UInt8, payload: [UInt8], from: IPv4Address) {
        switch RingChannel(rawValue: channel) {
        case .connectionListRequest:
            queue.async { [self] in exchange.requested(payload, by: from, serving: lifecycle.preparedServer) }
        case .connectionList:
            queue.async { [self] in if dispatching { exchange.received(payload, from: from) } }
        case .policy:
            guard let message = PolicyMessage(bytes: payload) else {
                logger.warning("ignored a policy message from \(from) that is not one (\(payload.count) bytes)")
                return
            }
            queue.async { [self] in policySwitch.received(message, from: from, others: otherMembers()) }
        case nil:
            logger.debug("dropped a ring message on channel \(channel), which this member does not use")
        }
    }

    /// Stops dispatching (the VIP is given back) and undoes the server side; for shutdown.
    /// Blocks until done.
    public func shutdown() {
        queue.sync { run(lifecycle.shutdown()) }
        exclusions.setListener(nil)
        services.dataPathFailures.setListener(nil)
    }

    /// The strategy's counters (thread-safe by the contract).
    public func strategyStats() -> String { strategy.stats() }

    /// The policy this member records and its epoch; any thread.
    public var policyStatus: PolicyRecord { recordedPolicy.withLock { $0 } }

    /// Swaps the policy on every member (`sasha policy set`); `reply` gets the outcome on the
    /// runner's queue once the commit has come round, or the refusals.
    public func setPolicy(name: String, options: JSONValue, reply: @escaping @Sendable (PolicySwapOutcome) -> Void) {
        queue.async { [self] in policySwitch.propose(name: name, options: options, others: otherMembers(), reply: reply) }
    }

    // MARK: On the queue

    /// Whether the ring socket has reached no peer for its grace period (`CutOffGuard`).
    private var cutOffHolds: Bool { cutOff?.holds(now: MonotonicClock.nanoseconds) ?? false }

    /// Carries out the lifecycle's actions in order; a start or a prepare reports its result,
    /// whose own actions follow at once.
    private func run(_ actions: [StrategyLifecycle.Action]) {
        for action in actions {
            switch action {
            case .stopDispatching(let reason):
                strategy.stop()
                exchange.stoppedDispatching()
                logger.notice("strategy \(strategy.plugin.name) stopped: \(reason)")
            case .unprepareServer:
                strategy.unprepareServer()
            case .publishServers:
                publishServers()
            case .prepareServer:
                do throws(OptionError) {
                    try strategy.prepareServer()
                    lifecycle.serverPrepared(true)
                } catch {
                    lifecycle.serverPrepared(false)
                    logger.error("strategy \(strategy.plugin.name) cannot prepare this member's server side: \(error)")
                }
            case .start:
                start()
            case .retryStart:
                queue.asyncAfter(deadline: .now() + Self.startRetry) { [self] in run(lifecycle.retryDue(cutOff: cutOffHolds)) }
            case .holdingBack(true):
                logger.warning("""
                    standalone but cut off from every peer (is the link down?): not serving the VIP until the ring socket \
                    has reached a peer for \((cutOff?.grace ?? 0) / 1_000_000) ms
                    """)
            case .holdingBack(false):
                break
            case .checkCutOffAgain:
                queue.asyncAfter(deadline: .now() + .milliseconds(250)) { [self] in run(lifecycle.cutOffCheckDue(cutOff: cutOffHolds)) }
            case .withdraw(let reason):
                readiness?(false)
                logger.warning("handing the dispatcher role over (\(reason)); this member may be elected again in \(Self.withdrawnSeconds) s")
                queue.asyncAfter(deadline: .now() + .seconds(Self.withdrawnSeconds)) { [self] in run(lifecycle.withdrawalOver()) }
            case .rejoinElection:
                readiness?(true)
            }
        }
    }

    private func start() {
        let began = MonotonicClock.nanoseconds
        let retries = lifecycle.startFailures
        do throws(OptionError) {
            try strategy.start()
            lifecycle.started()
            exchange.startedDispatching()
            let took = (MonotonicClock.nanoseconds - began) / 1_000_000
            logger.notice("strategy \(strategy.plugin.name) started: dispatching (took \(took) ms\(retries > 0 ? ", after \(retries) retries" : ""))")
        } catch {
            let actions = lifecycle.startFailed("\(error)")
            // The first failure and then one a second (at the retry interval): the reason is in
            // the log without flooding it while another member still holds the VIP.
            if lifecycle.startFailures == 1 || lifecycle.startFailures % 10 == 0 {
                logger.error("strategy \(strategy.plugin.name) cannot start (attempt \(lifecycle.startFailures), retrying): \(error)")
            }
            run(actions)
        }
    }

    /// The strategy said its running data path failed (`host->data_path_failed`).
    private func dataPathFailed(_ reason: String) {
        run(lifecycle.dataPathFailed(reason))
    }

    /// The policy reminder's timer, for as long as the runner runs.
    private func remindOfPolicy() {
        queue.asyncAfter(deadline: .now() + PolicySwitch.reminderInterval) { [weak self] in
            guard let self, !lifecycle.stopped else { return }
            policySwitch.remind(view: view?.members.map(\.address) ?? [])
            remindOfPolicy()
        }
    }

    private func adopt(_ view: RingView) {
        self.view = view
        exchange.viewChanged(view.members.map(\.address))
    }

    private func otherMembers() -> [IPv4Address] {
        view?.members.map(\.address).filter { $0 != policySwitch.address } ?? []
    }

    /// Makes a swapped-in policy current: it hears the servers first, so that its first pick
    /// already knows them; then picks move to it atomically (`CurrentPolicy`), and the old one
    /// goes once the last pick on it returns. Connections already mapped keep their server: the
    /// strategy's map, not the policy, holds them.
    private func install(_ instance: PolicyInstance, _ record: PolicyRecord) {
        if let view {
            instance.serversChanged(builder.servers(in: view) { [exclusions] in exclusions.isExcluded($0) })
        }
        policy = instance
        services.currentPolicy.replace(with: instance)
        recordedPolicy.withLock { $0 = record }
    }

    /// Hands the strategy and then the policy the servers of the current view. The strategy
    /// first, so that the policy never names a server the strategy has not heard of yet (a server
    /// that left may still be picked for a moment: the strategy treats it as a failed server).
    private func publishServers() {
        guard let view else { return }
        let list = builder.servers(in: view) { [exclusions] in exclusions.isExcluded($0) }
        strategy.serversChanged(list)
        policy.serversChanged(list)
    }
}
