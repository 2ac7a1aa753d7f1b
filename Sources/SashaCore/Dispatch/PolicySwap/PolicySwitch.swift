import Dispatch
import Logging
import SashaSDK

/// One member's part in live policy swaps: it answers proposals by loading the plugin, records
/// commits (newest epoch wins), tells members that join what the ring agreed on, and runs the
/// rounds of the swaps an operator asks this member for (`PolicySwapRound`).
///
/// Confined to the strategy runner's serial queue, like every plugin call: loading a plugin may
/// block, and the ring's event loop must not.
final class PolicySwitch: @unchecked Sendable {
    /// Makes a policy instance from a plugin name and options, or says why it cannot.
    typealias Factory = (_ name: String, _ options: JSONValue) -> Result<PolicyInstance, PolicyRefusal>
    typealias Send = (_ message: PolicyMessage, _ to: IPv4Address?) -> Void

    struct PolicyRefusal: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// How long each round waits for the other members.
    static let roundDeadline: DispatchTimeInterval = .seconds(3)
    /// Prepared instances of proposals whose commit or abort never came are dropped after this.
    static let preparedLifetime: UInt64 = 30_000_000_000

    let address: IPv4Address
    private(set) var record: PolicyRecord
    private let factory: Factory
    private let queue: DispatchQueue
    private let logger: Logger
    var send: Send = { _, _ in }
    /// Makes a committed policy current on this member; set once, before the first message.
    var install: (PolicyInstance, PolicyRecord) -> Void = { _, _ in }

    private var prepared: [UInt64: (instance: PolicyInstance, at: UInt64)] = [:]
    private var round: PolicySwapRound?
    private var answer: ((PolicySwapOutcome) -> Void)?
    /// Which deadline is current: one per round phase, so that the vote round's timer does not
    /// cut the commit round short.
    private var deadline = 0

    init(address: IPv4Address, record: PolicyRecord, factory: @escaping Factory, queue: DispatchQueue, logger: Logger) {
        self.address = address
        self.record = record
        self.factory = factory
        self.queue = queue
        self.logger = logger
    }

    // MARK: The operator's request, on this member

    /// Runs a swap to `name` with `options` across `others` (the rest of the view); `reply` gets
    /// the outcome once the commit has been acknowledged, or the refusals.
    func propose(name: String, options: JSONValue, others: [IPv4Address], reply: @escaping (PolicySwapOutcome) -> Void) {
        let now = MonotonicClock.nanoseconds
        guard round == nil else {
            reply(Self.refused(name, member: address, reason: "another swap started on this member is still under way; try again"))
            return
        }
        // This member votes first: a plugin it cannot load is refused without a round.
        let instance: PolicyInstance
        switch factory(name, options) {
        case .failure(let refusal):
            reply(Self.refused(name, member: address, reason: refusal.description))
            return
        case .success(let made):
            instance = made
        }
        let id = UInt64.random(in: 1...UInt64.max)
        prepared[id] = (instance, now)
        var round = PolicySwapRound(id: id, name: name, options: options, proposer: address, others: others, now: now)
        answer = reply
        if let step = round.startIfAlone(known: record.epoch, now: now) {
            self.round = round
            perform(step, others: others)
            return
        }
        self.round = round
        send(.propose(id: id, name: name, options: options), nil)
        armDeadline(id: id)
    }

    /// The view changed: a round in progress stops waiting for members that left, and when members
    /// joined, the smallest member of the previous view tells them the agreed policy.
    func viewChanged(from old: [IPv4Address], to new: [IPv4Address]) {
        if var round {
            let step = round.membersRemain(Set(new), known: record.epoch, now: MonotonicClock.nanoseconds)
            self.round = round
            if let step { perform(step, others: new.filter { $0 != address }) }
        }
        // The smallest member that was here before and still is tells the newcomers (this member
        // itself, when it is the one that joined).
        let joined = Set(new).subtracting(old)
        let stayed = old.isEmpty ? [address] : Set(old).intersection(new)
        if !joined.isEmpty, record.epoch != .configured, stayed.min() == address {
            send(.state(record), nil)
        }
    }

    /// How often the smallest member repeats the agreed policy to the ring: a member that lost
    /// a commit or a `state` (ring messages are datagrams, not retried) catches up within it.
    static let reminderInterval: DispatchTimeInterval = .seconds(5)

    /// Every `reminderInterval`: the smallest member of the view repeats the agreed policy, and
    /// instances prepared for swaps whose commit or abort never came are dropped.
    func remind(view: [IPv4Address]) {
        let now = MonotonicClock.nanoseconds
        prepared = prepared.filter { now - $0.value.at < Self.preparedLifetime }
        if view.count > 1, record.epoch != .configured, view.min() == address, round == nil {
            send(.state(record), nil)
        }
    }

    // MARK: Messages from other members

    func received(_ message: PolicyMessage, from member: IPv4Address, others: @autoclosure () -> [IPv4Address]) {
        let now = MonotonicClock.nanoseconds
        switch message {
        case let .propose(id, name, options):
            prepared = prepared.filter { now - $0.value.at < Self.preparedLifetime }
            switch factory(name, options) {
            case .success(let instance):
                prepared[id] = (instance, now)
                send(.vote(id: id, refusal: nil, holds: record.epoch), member)
            case .failure(let refusal):
                logger.warning("refused the policy swap to \(name) that \(member) proposed: \(refusal)")
                send(.vote(id: id, refusal: refusal.description, holds: record.epoch), member)
            }
        case let .vote(id, refusal, holds):
            guard var round, round.id == id else { return }
            let step = round.vote(from: member, refusal: refusal, holds: holds, known: record.epoch, now: now)
            self.round = round
            if let step { perform(step, others: others()) }
        case let .commit(id, commit):
            let problem = apply(commit, prepared: prepared.removeValue(forKey: id)?.instance, from: member)
            send(.ack(id: id, holds: record.epoch, problem: problem), member)
        case let .ack(id, holds, problem):
            guard var round, round.id == id else { return }
            let step = round.acknowledged(from: member, holds: holds, problem: problem, now: now)
            self.round = round
            if let step { perform(step, others: others()) }
        case let .abort(id):
            prepared.removeValue(forKey: id)
        case let .state(state):
            if state.epoch.number > 0, record.isReplaced(by: state.epoch) {
                _ = apply(state, prepared: nil, from: member)
            }
        }
    }

    // MARK: Steps

    private func perform(_ step: PolicySwapRound.Step, others: [IPv4Address]) {
        guard var round else { return }
        switch step {
        case .commit(let commit):
            _ = apply(commit, prepared: prepared.removeValue(forKey: round.id)?.instance, from: address)
            send(.commit(id: round.id, record: commit), nil)
            let next = round.awaitAcknowledgements(from: others, now: MonotonicClock.nanoseconds)
            self.round = round
            if let next { perform(next, others: others) } else { armDeadline(id: round.id) }
        case .abort(let outcome):
            prepared.removeValue(forKey: round.id)
            send(.abort(id: round.id), nil)
            finish(outcome)
        case .finish(let outcome):
            finish(outcome)
        }
    }

    private func finish(_ outcome: PolicySwapOutcome) {
        round = nil
        let reply = answer
        answer = nil
        if outcome.committed {
            logger.notice("\(outcome.summary)")
        } else {
            logger.warning("\(outcome.summary)")
        }
        reply?(outcome)
    }

    private func armDeadline(id: UInt64) {
        deadline += 1
        let armed = deadline
        queue.asyncAfter(deadline: .now() + Self.roundDeadline) { [weak self] in
            guard let self, armed == deadline, var round, round.id == id else { return }
            let step = round.timedOut(known: record.epoch, now: MonotonicClock.nanoseconds)
            self.round = round
            // A commit after a vote timeout cannot happen: a silent voter is a refusal.
            if let step { perform(step, others: []) }
        }
    }

    /// Records `commit` if it is newer than what this member holds, making its policy current;
    /// returns a problem to report, or nil.
    private func apply(_ commit: PolicyRecord, prepared instance: PolicyInstance?, from member: IPv4Address) -> String? {
        guard record.isReplaced(by: commit.epoch) else { return nil }
        let made: PolicyInstance
        if let instance {
            made = instance
        } else {
            switch factory(commit.name, commit.options) {
            case .success(let instance):
                made = instance
            case .failure(let refusal):
                logger.error("cannot follow the ring to policy \(commit.name) (epoch \(commit.epoch)) from \(member): \(refusal); still dispatching with \(record.name) (epoch \(record.epoch))")
                return "cannot load it: \(refusal)"
            }
        }
        record = commit
        install(made, commit)
        logger.notice("policy \(commit.name) recorded as epoch \(commit.epoch) (from \(member))")
        return nil
    }

    private static func refused(_ name: String, member: IPv4Address, reason: String) -> PolicySwapOutcome {
        PolicySwapOutcome(policy: name, epoch: nil, members: 1, refusals: [.init(member: member.description, reason: reason)],
                          unconfirmed: [], voteMilliseconds: 0, totalMilliseconds: 0)
    }
}
