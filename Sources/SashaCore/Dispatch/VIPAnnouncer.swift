import Dispatch
import SashaLink
import SashaSDK

/// Announces the VIP again when members join a ring this member dispatches. A member that was
/// cut off (its link went down, a partition) went on holding the VIP alone; when its link came
/// back its kernel may have told the link so (an ARP request for a client, sent from the VIP by
/// the TCP connections it still had), and clients then send the VIP's traffic to a member that
/// lets go of it as soon as the rings merge. Only the dispatcher can put that right.
///
/// Only where this member's kernel holds the VIP on `ring.interface` (`l7`): the L4 strategies
/// keep the VIP out of the kernel and announce it themselves.
struct VIPAnnouncer: Sendable {
    let vip: IPv4Address
    let interface: String

    /// At once, twice soon for a lost frame, then twice past Linux's 1 s neighbour `locktime`:
    /// a host ignores a gratuitous ARP for an entry updated less than a second before.
    static let delays = [0, 100, 200, 1_100, 3_000]

    /// Nil where there is no link to announce on (no `ring.interface`, loopback, a 127/8 VIP).
    init?(vip: IPv4Address, interface: String?) {
        guard let interface, !interface.isEmpty, vip.value >> 24 != 127, !LinkInterface.isLoopback(interface) else { return nil }
        self.vip = vip
        self.interface = interface
    }

    /// Sends the announcements from a background queue, each only while `dispatching()` and the
    /// kernel still holds the VIP on the interface.
    func announce(while dispatching: @escaping @Sendable () -> Bool, failed: @escaping @Sendable (String) -> Void) {
        let (vip, interface) = (vip, interface)
        for delay in Self.delays {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) {
                guard dispatching(), InterfaceAddress.has(vip, on: interface) else { return }
                do throws(LinkError) {
                    try GratuitousARP.announce(vip, on: interface, count: 1)
                } catch {
                    failed("cannot announce the VIP \(vip) again on \(interface): \(error)")
                }
            }
        }
    }
}
