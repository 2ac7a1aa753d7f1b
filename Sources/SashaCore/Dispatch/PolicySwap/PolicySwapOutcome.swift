/// What `sasha policy set` prints: the epoch the swap went live with, or who refused and why.
public struct PolicySwapOutcome: Codable, Sendable, Equatable {
    public struct Refusal: Codable, Sendable, Equatable {
        public var member: String
        public var reason: String
    }

    public var policy: String
    /// The new epoch; nil when the swap was refused (nothing changed anywhere).
    public var epoch: UInt64?
    /// Members in the ring when the swap finished, the proposer included.
    public var members: Int
    public var refusals: [Refusal]
    /// Members that did not confirm the commit, or hold another epoch (a concurrent swap won).
    public var unconfirmed: [Refusal]
    /// From the request to the last vote, and to the last acknowledgement.
    public var voteMilliseconds: Double
    public var totalMilliseconds: Double

    public var committed: Bool { epoch != nil }

    /// The lines the command prints.
    public var summary: String {
        guard let epoch else {
            let reasons = refusals.map { "  \($0.member): \($0.reason)" }.joined(separator: "\n")
            return "policy \(policy) refused; nothing changed on any member:\n\(reasons)"
        }
        var text = "policy \(policy) live on \(members) members as epoch \(epoch) "
            + "(\(Self.tenths(totalMilliseconds)) ms; votes in \(Self.tenths(voteMilliseconds)) ms)"
        for member in unconfirmed { text += "\n  not confirmed by \(member.member): \(member.reason)" }
        return text
    }

    private static func tenths(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
