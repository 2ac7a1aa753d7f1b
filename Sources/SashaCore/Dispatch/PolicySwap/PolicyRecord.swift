import SashaSDK

/// Which swap a member's policy came from. Swaps are numbered cluster-wide; two swaps proposed at
/// once on different members may draw the same number, and the proposer's address breaks the tie,
/// so that every member settles on the same one whatever order the commits reach it in.
public struct PolicyEpoch: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var number: UInt64
    /// The proposing member's address (`IPv4Address.value`); 0 for the configured policy.
    public var proposer: UInt32

    public init(number: UInt64, proposer: UInt32) {
        self.number = number
        self.proposer = proposer
    }

    /// The policy named in the configuration, before any swap.
    public static let configured = PolicyEpoch(number: 0, proposer: 0)

    public static func < (a: PolicyEpoch, b: PolicyEpoch) -> Bool {
        (a.number, a.proposer) < (b.number, b.proposer)
    }

    public var description: String { "\(number)" }
}

/// The policy a member records: the one it dispatches with when it is (or becomes) dispatcher.
public struct PolicyRecord: Hashable, Sendable, Codable {
    public var name: String
    public var options: JSONValue
    public var epoch: PolicyEpoch

    public init(name: String, options: JSONValue, epoch: PolicyEpoch) {
        self.name = name
        self.options = options
        self.epoch = epoch
    }

    /// Whether a commit or a state carrying `epoch` replaces this record: only a newer one does,
    /// so that a stale swap (one a later swap overtook) and a repeated one change nothing.
    public func isReplaced(by epoch: PolicyEpoch) -> Bool { epoch > self.epoch }
}
