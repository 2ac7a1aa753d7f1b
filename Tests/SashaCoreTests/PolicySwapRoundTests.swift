@testable import SashaCore
import SashaSDK
import Testing

/// The proposer's two rounds of a live policy swap, without a ring: votes, commit, acknowledgements,
/// refusals naming members, members leaving, deadlines.
@Suite("policy swap rounds")
struct PolicySwapRoundTests {
    let me = IPv4Address("198.18.0.11")!
    let others = [IPv4Address("198.18.0.12")!, IPv4Address("198.18.0.13")!, IPv4Address("198.18.0.14")!]
    let known = PolicyEpoch(number: 4, proposer: IPv4Address("198.18.0.12")!.value)

    func round(now: UInt64 = 0) -> PolicySwapRound {
        PolicySwapRound(id: 7, name: "maglev", options: .object(["table_size": .number(101)]), proposer: me, others: others, now: now)
    }

    @Test("every member agrees: commit with the next epoch, then finish when every member holds it")
    func agreed() throws {
        var round = round()
        let step1 = round.startIfAlone(known: known, now: 1)
        #expect(step1 == nil)
        let step2 = round.vote(from: others[0], refusal: nil, known: known, now: 1_000_000)
        #expect(step2 == nil)
        let step3 = round.vote(from: others[1], refusal: nil, known: known, now: 2_000_000)
        #expect(step3 == nil)
        // A repeated vote, and one from a stranger, count for nothing.
        let step4 = round.vote(from: others[1], refusal: "late", known: known, now: 2_500_000)
        #expect(step4 == nil)
        let step5 = round.vote(from: IPv4Address("198.18.0.99")!, refusal: nil, known: known, now: 2_500_000)
        #expect(step5 == nil)
        let made9 = round.vote(from: others[2], refusal: nil, known: known, now: 3_000_000)
        let step = try #require(made9)
        let expected = PolicyRecord(name: "maglev", options: .object(["table_size": .number(101)]),
                                    epoch: PolicyEpoch(number: 5, proposer: me.value))
        #expect(step == .commit(expected))
        let step6 = round.awaitAcknowledgements(from: others, now: 3_000_000)
        #expect(step6 == nil)
        for member in others.dropLast() {
            let step7 = round.acknowledged(from: member, holds: expected.epoch, problem: nil, now: 4_000_000)
            #expect(step7 == nil)
        }
        guard case .finish(let outcome) = round.acknowledged(from: others[2], holds: expected.epoch, problem: nil, now: 5_000_000) else {
            Issue.record("no finish after the last acknowledgement")
            return
        }
        #expect(outcome.epoch == 5 && outcome.members == 4 && outcome.committed)
        #expect(outcome.refusals.isEmpty && outcome.unconfirmed.isEmpty)
        #expect(outcome.voteMilliseconds == 3 && outcome.totalMilliseconds == 5)
        #expect(outcome.summary == "policy maglev live on 4 members as epoch 5 (5.0 ms; votes in 3.0 ms)")
    }

    @Test("one refusal refuses the swap cluster-wide, naming the member and its reason")
    func refused() throws {
        var round = round()
        _ = round.vote(from: others[0], refusal: nil, known: known, now: 1)
        _ = round.vote(from: others[1], refusal: "no policy plugin named 'maglev'", known: known, now: 2)
        guard case .abort(let outcome) = round.vote(from: others[2], refusal: nil, known: known, now: 3) else {
            Issue.record("a refusal did not abort")
            return
        }
        #expect(!outcome.committed && outcome.epoch == nil)
        #expect(outcome.refusals == [.init(member: "198.18.0.13", reason: "no policy plugin named 'maglev'")])
        #expect(outcome.summary.contains("198.18.0.13: no policy plugin named 'maglev'"))
        #expect(round.phase == .finished)
    }

    @Test("a silent member refuses by the deadline; one that left is not waited for")
    func deadlines() throws {
        var silent = round()
        _ = silent.vote(from: others[0], refusal: nil, known: known, now: 1)
        guard case .abort(let outcome) = silent.timedOut(known: known, now: 2) else {
            Issue.record("the deadline did not abort")
            return
        }
        #expect(outcome.refusals.map(\.member) == ["198.18.0.13", "198.18.0.14"])

        var left = round()
        _ = left.vote(from: others[0], refusal: nil, known: known, now: 1)
        _ = left.vote(from: others[1], refusal: nil, known: known, now: 1)
        let step = left.membersRemain(Set([me, others[0], others[1]]), known: known, now: 2)
        guard case .commit = step else {
            Issue.record("the last awaited member left, but no commit: \(String(describing: step))")
            return
        }
        let step8 = left.awaitAcknowledgements(from: Array(others.prefix(2)), now: 2)
        #expect(step8 == nil)
        _ = left.acknowledged(from: others[0], holds: PolicyEpoch(number: 5, proposer: me.value), problem: nil, now: 3)
        guard case .finish(let done) = left.timedOut(known: known, now: 4) else {
            Issue.record("the commit's deadline did not finish the swap")
            return
        }
        #expect(done.committed && done.members == 3)
        #expect(done.unconfirmed == [.init(member: "198.18.0.13", reason: "did not confirm within the deadline")])
    }

    @Test("a member that holds another epoch after the commit is reported: a concurrent swap won")
    func overtaken() throws {
        var round = round()
        for member in others { _ = round.vote(from: member, refusal: nil, known: known, now: 1) }
        _ = round.awaitAcknowledgements(from: others, now: 1)
        let winner = PolicyEpoch(number: 5, proposer: IPv4Address("198.18.0.14")!.value)
        _ = round.acknowledged(from: others[0], holds: winner, problem: nil, now: 2)
        _ = round.acknowledged(from: others[1], holds: winner, problem: nil, now: 2)
        guard case .finish(let outcome) = round.acknowledged(from: others[2], holds: winner, problem: nil, now: 2) else {
            Issue.record("no finish")
            return
        }
        #expect(outcome.unconfirmed.count == 3)
        #expect(outcome.unconfirmed[0].reason.contains("concurrent swap"))
    }

    @Test("the new epoch is newer than every voter's, even when the proposer is behind")
    func proposerBehind() throws {
        var round = round()
        let ahead = PolicyEpoch(number: 9, proposer: others[2].value)
        _ = round.vote(from: others[0], refusal: nil, holds: ahead, known: .configured, now: 1)
        _ = round.vote(from: others[1], refusal: nil, holds: known, known: .configured, now: 1)
        let step = round.vote(from: others[2], refusal: nil, holds: ahead, known: .configured, now: 1)
        guard case .commit(let record) = step else {
            Issue.record("no commit")
            return
        }
        #expect(record.epoch == PolicyEpoch(number: 10, proposer: me.value))
    }

    @Test("a ring of one commits at once")
    func alone() throws {
        var round = PolicySwapRound(id: 1, name: "round-robin", options: .object([:]), proposer: me, others: [], now: 0)
        let made10 = round.startIfAlone(known: .configured, now: 0)
        let step = try #require(made10)
        guard case .commit(let record) = step else {
            Issue.record("no commit")
            return
        }
        #expect(record.epoch == PolicyEpoch(number: 1, proposer: me.value))
        guard case .finish(let outcome) = round.awaitAcknowledgements(from: [], now: 0) else {
            Issue.record("no finish")
            return
        }
        #expect(outcome.members == 1 && outcome.epoch == 1)
    }
}
