import SashaSDK

/// The proposing member's side of one live policy swap: who still has to answer, who refused, and
/// what to send next. Pure: the caller sends the messages, keeps the clock and the timer.
///
/// Voting waits for every other member in the view; a member that leaves the ring meanwhile is no
/// longer waited for (it gets the policy as a `state` when it comes back). A member that neither
/// answers nor leaves before the deadline counts as a refusal: the swap must not go live on a ring
/// that cannot be sure every member can follow it. Once committed, a swap cannot be undone, so a
/// missing acknowledgement only makes the outcome say which members did not confirm.
struct PolicySwapRound: Sendable {
    enum Phase: Sendable, Equatable {
        case voting
        case committing(PolicyRecord)
        case finished
    }

    /// What the caller does next.
    enum Step: Sendable, Equatable {
        /// Send `commit` with this record to every member (and record it here first).
        case commit(PolicyRecord)
        /// Send `abort` to every member; the swap is refused.
        case abort(PolicySwapOutcome)
        /// Answer the operator.
        case finish(PolicySwapOutcome)
    }

    let id: UInt64
    let name: String
    let options: JSONValue
    let proposer: IPv4Address
    private(set) var phase: Phase = .voting
    private(set) var waiting: Set<IPv4Address>
    private var refusals: [PolicySwapOutcome.Refusal] = []
    private var superseded: [PolicySwapOutcome.Refusal] = []
    private let started: UInt64
    private var votedAt: UInt64?
    private var members: Int
    /// The newest epoch a voter holds: the commit's must be newer still.
    private var newestHeld: PolicyEpoch = .configured

    /// `others` are the other members of the view; `known` is the newest epoch this member knows.
    init(id: UInt64, name: String, options: JSONValue, proposer: IPv4Address, others: [IPv4Address], now: UInt64) {
        self.id = id
        self.name = name
        self.options = options
        self.proposer = proposer
        self.waiting = Set(others)
        self.members = others.count + 1
        self.started = now
    }

    /// Nothing to wait for (a ring of one): the next step at once.
    mutating func startIfAlone(known: PolicyEpoch, now: UInt64) -> Step? {
        waiting.isEmpty ? votesComplete(known: known, now: now) : nil
    }

    mutating func vote(from member: IPv4Address, refusal: String?, holds: PolicyEpoch = .configured, known: PolicyEpoch,
                       now: UInt64) -> Step? {
        guard phase == .voting, waiting.remove(member) != nil else { return nil }
        newestHeld = max(newestHeld, holds)
        if let refusal { refusals.append(.init(member: member.description, reason: refusal)) }
        return waiting.isEmpty ? votesComplete(known: known, now: now) : nil
    }

    mutating func acknowledged(from member: IPv4Address, holds: PolicyEpoch, problem: String?, now: UInt64) -> Step? {
        guard case .committing(let record) = phase, waiting.remove(member) != nil else { return nil }
        if let problem {
            superseded.append(.init(member: member.description, reason: problem))
        } else if holds != record.epoch {
            superseded.append(.init(member: member.description, reason: "holds epoch \(holds.number), a concurrent swap that won"))
        }
        return waiting.isEmpty ? finish(now: now) : nil
    }

    /// The view changed: members that left are no longer waited for.
    mutating func membersRemain(_ remaining: Set<IPv4Address>, known: PolicyEpoch, now: UInt64) -> Step? {
        let gone = waiting.subtracting(remaining)
        guard !gone.isEmpty, phase != .finished else { return nil }
        waiting.subtract(gone)
        members -= gone.count
        guard waiting.isEmpty else { return nil }
        return phase == .voting ? votesComplete(known: known, now: now) : finish(now: now)
    }

    /// The deadline of the current round passed.
    mutating func timedOut(known: PolicyEpoch, now: UInt64) -> Step? {
        switch phase {
        case .finished:
            return nil
        case .voting:
            for member in waiting.sorted() {
                refusals.append(.init(member: member.description, reason: "did not answer within the deadline"))
            }
            waiting = []
            return votesComplete(known: known, now: now)
        case .committing:
            let silent = waiting.sorted().map { PolicySwapOutcome.Refusal(member: $0.description, reason: "did not confirm within the deadline") }
            superseded += silent
            waiting = []
            return finish(now: now)
        }
    }

    private mutating func votesComplete(known: PolicyEpoch, now: UInt64) -> Step {
        votedAt = now
        guard refusals.isEmpty else {
            phase = .finished
            return .abort(outcome(epoch: nil, now: now))
        }
        let newest = max(known, newestHeld)
        let record = PolicyRecord(name: name, options: options,
                                  epoch: PolicyEpoch(number: newest.number + 1, proposer: proposer.value))
        phase = .committing(record)
        return .commit(record)
    }

    /// After `commit`: the members that must acknowledge it (those of the view now).
    mutating func awaitAcknowledgements(from others: [IPv4Address], now: UInt64) -> Step? {
        guard case .committing = phase else { return nil }
        waiting = Set(others)
        members = others.count + 1
        return waiting.isEmpty ? finish(now: now) : nil
    }

    private mutating func finish(now: UInt64) -> Step {
        guard case .committing(let record) = phase else { return .finish(outcome(epoch: nil, now: now)) }
        phase = .finished
        return .finish(outcome(epoch: record.epoch, now: now))
    }

    private func outcome(epoch: PolicyEpoch?, now: UInt64) -> PolicySwapOutcome {
        PolicySwapOutcome(policy: name, epoch: epoch?.number, members: members, refusals: refusals,
                          unconfirmed: superseded,
                          voteMilliseconds: Double((votedAt ?? now) - started) / 1e6,
                          totalMilliseconds: Double(now - started) / 1e6)
    }
}
