import SashaRing
import SashaSDK

/// One change of this member's role in the ring, as the ring machine reported it.
public struct RoleEvent: Sendable, Equatable {
    public var from: RingRole
    public var to: RingRole
    /// Why, in words every member logs alike ("member left gracefully", "ring formed", ...).
    public var cause: String
    /// The view that made the change (nil only if the machine had none, which it always has here).
    public var view: RingView?
    /// Monotonic nanoseconds (`NIODeadline.now().uptimeNanoseconds`) when it happened.
    public var at: UInt64
}

/// Where the layers above the ring attach: strategies start when this member becomes dispatcher
/// (`.server → .dispatcher`, or `.joining/.standalone → .dispatcher`) and stop when it stops being
/// one; a server prepares its side (VIP on `lo`, gateway route) on `→ .server` and undoes it on
/// leaving that role.
///
/// `roleChanged` is called on the ring's event loop, synchronously, in the order the changes
/// happened and before the next datagram is read: an observer sees every transition exactly once
/// and never two at a time. Because it runs on the packet path, it must not block: hand slow work
/// (loading a plugin, taking an address) to another thread or task and return. Register observers
/// with `RingNode.addRoleObserver(_:)`; the node holds them strongly until it stops.
public protocol RoleObserver: AnyObject, Sendable {
    func roleChanged(_ event: RoleEvent)
    /// The ring's membership or a member's health changed (same thread and rules as `roleChanged`;
    /// a view that also changes this member's role comes first, then the role change).
    func viewChanged(_ view: RingView)
    /// A cluster message from another member reached this one (same thread and rules).
    func delivered(channel: UInt8, payload: [UInt8], from: IPv4Address)
}

extension RoleObserver {
    public func viewChanged(_ view: RingView) {}
    public func delivered(channel: UInt8, payload: [UInt8], from: IPv4Address) {}
}
