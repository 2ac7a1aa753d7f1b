import Glibc
import SashaBase

/// One rtnetlink request as bytes: the message header, the family header, then attributes, each
/// padded to four bytes. Integers are in host byte order, addresses in network byte order, as the
/// kernel expects.
struct NetlinkRequest {
    private(set) var bytes: [UInt8] = []
    let sequence: UInt32

    init(type: UInt16, flags: Netlink.Flags, sequence: UInt32) {
        self.sequence = sequence
        bytes.reserveCapacity(64)
        append(UInt32(0))  // nlmsg_len, set as the message grows
        append(type)
        append(flags.rawValue)
        append(sequence)
        append(UInt32(0))  // nlmsg_pid: the kernel is the destination
        setLength()
    }

    /// RTM_NEWADDR or RTM_DELADDR for an IPv4 address on the interface with index `interface`.
    static func address(
        _ type: UInt16, flags: Netlink.Flags, sequence: UInt32,
        address: IPv4Address, prefixLength: UInt8, interface: UInt32
    ) -> NetlinkRequest {
        var request = NetlinkRequest(type: type, flags: flags, sequence: sequence)
        // ifaddrmsg: family, prefix length, flags, scope, index. Loopback addresses get host scope,
        // as `ip addr add` gives them.
        let scope = address.value >> 24 == 127 ? Netlink.Scope.host : Netlink.Scope.universe
        request.append([UInt8(AF_INET), prefixLength, 0, scope])
        request.append(interface)
        // IFA_LOCAL is the address itself; IFA_ADDRESS differs from it only on point-to-point links.
        let octets = address.networkOrderBytes
        request.appendAttribute(Netlink.AddressAttribute.local, octets)
        request.appendAttribute(Netlink.AddressAttribute.address, octets)
        return request
    }

    /// RTM_NEWROUTE or RTM_DELROUTE for `destination/prefixLength` via `gateway` in the main table.
    static func route(
        _ type: UInt16, flags: Netlink.Flags, sequence: UInt32,
        destination: IPv4Address, prefixLength: UInt8, gateway: IPv4Address
    ) -> NetlinkRequest {
        var request = NetlinkRequest(type: type, flags: flags, sequence: sequence)
        // rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
        request.append([UInt8(AF_INET), prefixLength, 0, 0, Netlink.Route.mainTable, Netlink.Route.protocolStatic,
                        Netlink.Scope.universe, Netlink.Route.unicast])
        request.append(UInt32(0))
        if prefixLength > 0 { request.appendAttribute(Netlink.Route.destination, destination.networkOrderBytes) }
        request.appendAttribute(Netlink.Route.gateway, gateway.networkOrderBytes)
        return request
    }

    /// RTM_GETROUTE for every IPv4 route.
    static func routeDump(sequence: UInt32) -> NetlinkRequest {
        var request = NetlinkRequest(type: Netlink.MessageType.getRoute, flags: [.request, .dump], sequence: sequence)
        request.append([UInt8(AF_INET), 0, 0, 0, 0, 0, 0, 0])
        request.append(UInt32(0))
        return request
    }

    /// RTM_GETADDR for every IPv4 address of every interface.
    static func addressDump(sequence: UInt32) -> NetlinkRequest {
        var request = NetlinkRequest(type: Netlink.MessageType.getAddress, flags: [.request, .dump], sequence: sequence)
        request.append([UInt8(AF_INET), 0, 0, 0])
        request.append(UInt32(0))
        return request
    }

    /// RTM_GETLINK for the interface with index `interface`.
    static func link(_ interface: UInt32, sequence: UInt32) -> NetlinkRequest {
        var request = NetlinkRequest(type: Netlink.MessageType.getLink, flags: [.request], sequence: sequence)
        request.append([UInt8(AF_UNSPEC), 0])  // ifi_family, padding
        request.append(UInt16(0))  // ifi_type
        request.append(Int32(bitPattern: interface))  // ifi_index
        request.append(UInt32(0))  // ifi_flags
        request.append(UInt32(0))  // ifi_change
        return request
    }

    mutating func appendAttribute(_ type: UInt16, _ payload: [UInt8]) {
        append(UInt16(Netlink.attributeHeaderSize + payload.count))
        append(type)
        append(payload)
        while bytes.count % 4 != 0 { bytes.append(0) }
        setLength()
    }

    private mutating func append(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
        setLength()
    }

    private mutating func append<Integer: FixedWidthInteger>(_ value: Integer) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        setLength()
    }

    private mutating func setLength() {
        withUnsafeBytes(of: UInt32(bytes.count)) { length in
            for index in 0..<4 { bytes[index] = length[index] }
        }
    }
}

extension IPv4Address {
    /// The four octets as they go on the wire.
    var networkOrderBytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    init?(networkOrderBytes bytes: ArraySlice<UInt8>) {
        guard bytes.count == 4 else { return nil }
        self.init(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }
}
