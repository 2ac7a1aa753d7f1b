import SashaLink
import SashaSDK

/// Holding the cluster address while dispatching. On a real link the VIP is added to the ring's
/// interface as a /32 and announced by gratuitous ARP; on loopback (or a 127/8 VIP) binding the
/// listeners is all it takes.
struct VirtualAddress {
    let vip: IPv4Address
    let interface: String?
    /// We added the address (so we remove it when we stop); false when it was there already.
    private(set) var added = false

    init(vip: IPv4Address, interface: String?) {
        self.vip = vip
        self.interface = interface
    }

    /// The interface to add the VIP to, or nil when binding suffices.
    var linkInterface: String? {
        guard let interface, !interface.isEmpty, vip.value >> 24 != 127, !LinkInterface.isLoopback(interface) else { return nil }
        return interface
    }

    mutating func take() throws(OptionError) {
        guard let interface = linkInterface else { return }
        do throws(LinkError) {
            added = try InterfaceAddress.add(vip, prefixLength: 32, to: interface)
            try GratuitousARP.announce(vip, on: interface, count: 3, interval: .milliseconds(100))
        } catch {
            release()
            throw OptionError("cannot take the cluster address \(vip) on \(interface): \(error)")
        }
    }

    /// Removes the VIP if we added it; returns why that failed, if it did.
    @discardableResult
    mutating func release() -> String? {
        guard added, let interface = linkInterface else { return nil }
        added = false
        do throws(LinkError) {
            try InterfaceAddress.remove(vip, prefixLength: 32, from: interface)
            return nil
        } catch {
            return "cannot remove the cluster address \(vip) from \(interface): \(error)"
        }
    }
}
