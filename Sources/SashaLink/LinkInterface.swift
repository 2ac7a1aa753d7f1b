import Glibc

/// What the kernel says about one network interface, in the calling thread's network namespace.
public enum LinkInterface {
    /// The interface's hardware (MAC) address: six bytes on an Ethernet link.
    public static func mac(of interface: String) throws(LinkError) -> [UInt8] {
        let action = "read the hardware address of \(interface)"
        let link = try describe(interface, action: action)
        guard let mac = link.hardwareAddress, mac.count == 6, mac.contains(where: { $0 != 0 }) else {
            throw LinkError(.notEthernet, action: action, cause: "\(interface) has no Ethernet address",
                            fix: "use an Ethernet interface; see `ip link`")
        }
        return mac
    }

    /// Whether the interface is a loopback (it has no ARP and no hardware address); false when it
    /// does not exist.
    public static func isLoopback(_ interface: String) -> Bool {
        (try? describe(interface, action: "look up \(interface)"))?.isLoopback ?? false
    }

    struct Description {
        var index: UInt32
        var isLoopback: Bool
        var hardwareAddress: [UInt8]?
    }

    /// The interface's index, or a `LinkError` naming it.
    static func index(of interface: String, action: String) throws(LinkError) -> UInt32 {
        guard !interface.isEmpty, interface.utf8.count < Int(IFNAMSIZ), !interface.utf8.contains(0) else {
            throw LinkError.noSuchInterface(interface, action: action)
        }
        let index = if_nametoindex(interface)
        guard index != 0 else {
            let code = errno
            if code == ENODEV || code == ENXIO || code == 0 { throw LinkError.noSuchInterface(interface, action: action) }
            throw LinkError.system(code, action: action, interface: interface, capability: "CAP_NET_ADMIN", context: "if_nametoindex")
        }
        return index
    }

    /// The interface's index, flags and hardware address from one RTM_GETLINK.
    static func describe(_ interface: String, action: String) throws(LinkError) -> Description {
        let index = try index(of: interface, action: action)
        let reply: NetlinkMessage
        do throws(RouteSocket.Failure) {
            let socket = try RouteSocket()
            guard let message = try socket.exchange(.link(index, sequence: 1)).first,
                  message.type == Netlink.MessageType.newLink
            else { throw RouteSocket.Failure.malformed("no RTM_NEWLINK in the answer") }
            reply = message
        } catch {
            throw error.linkError(action: action, interface: interface, capability: "CAP_NET_ADMIN")
        }
        let flags = reply.payload.load(UInt32.self, at: 8) ?? 0
        let hardwareAddress = reply.attributes(after: Netlink.linkHeaderSize)[Netlink.LinkAttribute.address].map(Array.init)
        return Description(index: index, isLoopback: flags & UInt32(IFF_LOOPBACK) != 0, hardwareAddress: hardwareAddress)
    }
}

extension RouteSocket.Failure {
    func linkError(action: String, interface: String, capability: String) -> LinkError {
        switch self {
        case .system(let call, let code):
            return .system(code, action: action, interface: interface, capability: capability, context: call)
        case .kernel(let code):
            return .system(code, action: action, interface: interface, capability: capability)
        case .malformed(let text):
            return LinkError(.failed(errno: EPROTO), action: action, cause: "unexpected netlink answer: \(text)")
        }
    }
}
