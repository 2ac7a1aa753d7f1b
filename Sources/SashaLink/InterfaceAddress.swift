import Glibc
import SashaBase

/// Adds and removes an IPv4 address on an interface through rtnetlink (what `ip addr add/del`
/// does, without a child process), in the calling thread's network namespace. Needs
/// CAP_NET_ADMIN, except `has`.
public enum InterfaceAddress {
    /// Adds `address/prefixLength` to the interface. Already present is fine. Returns whether
    /// this call added it, so that a caller removes only what it added: an address the operator
    /// configured stays when the dispatcher stops.
    public static func add(_ address: IPv4Address, prefixLength: Int = 32, to interface: String) throws(LinkError) -> Bool {
        let action = "add \(address)/\(prefixLength) to \(interface)"
        let index = try validated(prefixLength, interface, action: action)
        do throws(RouteSocket.Failure) {
            // NLM_F_EXCL: the kernel answers EEXIST when the address is there, which tells us
            // whether we added it in the same step, with no race against another writer.
            _ = try RouteSocket().exchange(.address(
                Netlink.MessageType.newAddress, flags: [.request, .acknowledge, .create, .exclusive], sequence: 1,
                address: address, prefixLength: UInt8(prefixLength), interface: index))
            return true
        } catch .kernel(errno: EEXIST) {
            return false
        } catch {
            throw error.linkError(action: action, interface: interface, capability: "CAP_NET_ADMIN")
        }
    }

    /// Removes `address/prefixLength` from the interface. Already absent is fine.
    public static func remove(_ address: IPv4Address, prefixLength: Int = 32, from interface: String) throws(LinkError) {
        let action = "remove \(address)/\(prefixLength) from \(interface)"
        let index = try validated(prefixLength, interface, action: action)
        do throws(RouteSocket.Failure) {
            _ = try RouteSocket().exchange(.address(
                Netlink.MessageType.deleteAddress, flags: [.request, .acknowledge], sequence: 1,
                address: address, prefixLength: UInt8(prefixLength), interface: index))
        } catch .kernel(errno: EADDRNOTAVAIL) {
            return
        } catch {
            throw error.linkError(action: action, interface: interface, capability: "CAP_NET_ADMIN")
        }
    }

    /// Whether the interface holds `address` (with any prefix length); false when the interface
    /// does not exist or the kernel cannot be asked.
    public static func has(_ address: IPv4Address, on interface: String) -> Bool {
        guard let index = try? LinkInterface.index(of: interface, action: "look up \(interface)"),
              let socket = try? RouteSocket(),
              let answer = try? socket.exchange(.addressDump(sequence: 1))
        else { return false }
        return answer.contains { message in
            guard message.type == Netlink.MessageType.newAddress,
                  message.payload.load(UInt32.self, at: 4) == index
            else { return false }
            let attributes = message.attributes(after: Netlink.addressHeaderSize)
            let local = attributes[Netlink.AddressAttribute.local] ?? attributes[Netlink.AddressAttribute.address]
            return local.flatMap(IPv4Address.init(networkOrderBytes:)) == address
        }
    }

    private static func validated(_ prefixLength: Int, _ interface: String, action: String) throws(LinkError) -> UInt32 {
        guard (0...32).contains(prefixLength) else {
            throw LinkError.invalid("prefix length \(prefixLength) is not between 0 and 32", action: action)
        }
        return try LinkInterface.index(of: interface, action: action)
    }
}
