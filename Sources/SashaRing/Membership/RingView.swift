import SashaBase

/// The membership of one ring at one moment: who is in it, in address order, and who dispatches.
///
/// A ring is named by its creation time (`ring`, microseconds since the Unix epoch on the clock of
/// the member that formed it); `version` counts the changes since. Views of one ring are ordered by
/// version; views of two rings are never compared, except that a ring with a smaller master
/// absorbs one with a greater master when they meet (see `RingMachine`).
public struct RingView: Equatable, Sendable {
    /// The ring's creation time in microseconds since the epoch; never 0 for a formed ring.
    public var ring: UInt64
    public var version: UInt32
    public var cause: ViewCause
    public var dispatcher: IPv4Address?
    /// Sorted by address, no duplicates.
    public private(set) var members: [RingMember]

    /// The most members one ring holds: the spec's number, and what a one-byte member id allows.
    public static let maximumMembers = 254

    public init(ring: UInt64, version: UInt32, cause: ViewCause, dispatcher: IPv4Address?, members: [RingMember]) {
        self.ring = ring
        self.version = version
        self.cause = cause
        self.dispatcher = dispatcher
        self.members = members.sorted { $0.address < $1.address }
    }

    /// The ring master: the smallest address. It originates the heartbeat and assigns ids.
    public var master: IPv4Address { members[0].address }
    public var smallest: IPv4Address { members[0].address }
    public var greatest: IPv4Address { members[members.count - 1].address }
    public var count: Int { members.count }

    public func index(of address: IPv4Address) -> Int? {
        var low = 0, high = members.count
        while low < high {
            let middle = (low + high) / 2
            if members[middle].address < address { low = middle + 1 } else { high = middle }
        }
        return low < members.count && members[low].address == address ? low : nil
    }

    public func contains(_ address: IPv4Address) -> Bool { index(of: address) != nil }

    public func member(_ address: IPv4Address) -> RingMember? { index(of: address).map { members[$0] } }

    /// Nearest downstream neighbour: the next greater address, the smallest after the greatest.
    public func downstream(of address: IPv4Address) -> IPv4Address? {
        guard members.count > 1, let index = index(of: address) else { return nil }
        return members[(index + 1) % members.count].address
    }

    /// Nearest upstream neighbour: the next smaller address, the greatest before the smallest.
    public func upstream(of address: IPv4Address) -> IPv4Address? {
        guard members.count > 1, let index = index(of: address) else { return nil }
        return members[(index + members.count - 1) % members.count].address
    }

    public func role(of address: IPv4Address) -> RingRole {
        guard contains(address) else { return .joining }
        if members.count == 1 { return .standalone }
        return dispatcher == address ? .dispatcher : .server
    }

    /// Inserts or replaces a member, keeping address order and giving a new member the smallest
    /// free id (the master's at-most-once duty).
    mutating func insert(address: IPv4Address, canDispatch: Bool, healthy: Bool) {
        if let index = index(of: address) {
            members[index].canDispatch = canDispatch
            members[index].healthy = healthy
            return
        }
        let used = Set(members.map(\.id))
        let id = (1...UInt8(Self.maximumMembers)).first { !used.contains($0) } ?? 0
        let position = members.firstIndex { $0.address > address } ?? members.count
        members.insert(RingMember(address: address, id: id, canDispatch: canDispatch, healthy: healthy), at: position)
    }

    mutating func remove(_ address: IPv4Address) {
        if let index = index(of: address) { members.remove(at: index) }
        if dispatcher == address { dispatcher = nil }
    }

    /// Records a member's own report of its health and of whether it can dispatch now; a
    /// dispatcher that no longer can is replaced (`settleDispatcher`).
    mutating func setState(_ address: IPv4Address, healthy: Bool, canDispatch: Bool) {
        guard let index = index(of: address) else { return }
        members[index].healthy = healthy
        members[index].canDispatch = canDispatch
        settleDispatcher()
    }

    /// Keeps a dispatcher that is still a member and still may dispatch; otherwise elects one.
    /// Members in `preferred` (those that were in the ring before a change) are elected first,
    /// so that one coming back joins as a server: no preemption.
    mutating func settleDispatcher(preferring preferred: Set<IPv4Address>? = nil) {
        if members.count <= 1 { dispatcher = nil; return }
        if let current = dispatcher, let member = member(current), member.canDispatch { return }
        if let preferred, let choice = members.first(where: { $0.canDispatch && preferred.contains($0.address) }) {
            dispatcher = choice.address
        } else {
            dispatcher = members.first { $0.canDispatch }?.address
        }
    }
}
