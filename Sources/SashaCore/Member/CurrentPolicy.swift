import SashaABI
import SashaSDK

/// The policy that a member's strategy reaches through the host's `pick`: one per member
/// (`HostServices`), replaced atomically between two picks when the policy is swapped, without
/// the strategy knowing.
public final class CurrentPolicy: Sendable {
    /// A box, because a cell holds a class and "no policy yet" is a valid state.
    final class Slot: Sendable {
        let policy: PolicyInstance?
        init(_ policy: PolicyInstance?) { self.policy = policy }
    }

    private let cell = SnapshotCell(Slot(nil))

    public init() {}

    public var policy: PolicyInstance? { cell.value.policy }

    /// Makes `policy` current. Picks already running finish on the old one, which is destroyed
    /// once no pick uses it.
    public func replace(with policy: PolicyInstance?) { cell.replace(with: Slot(policy)) }

    @inline(__always)
    func pick(_ flow: UnsafePointer<sasha_flow>) -> UInt32 {
        cell.read { $0.policy?.pick(flow) ?? 0 }
    }

    @inline(__always)
    func connectionOpened(on server: UInt32) { cell.read { $0.policy?.connectionOpened(on: server) } }

    @inline(__always)
    func connectionClosed(on server: UInt32) { cell.read { $0.policy?.connectionClosed(on: server) } }
}
