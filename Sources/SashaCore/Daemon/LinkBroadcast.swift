#if canImport(Glibc)
import Glibc
#endif
import SashaSDK

/// The broadcast address of `ring.interface`, where the link has one: ring broadcasts (joins,
/// purges, views, beacons) then go out as one datagram that every member on the link receives,
/// the spec's broadcast, instead of one copy per known member. Members outside the link's subnet
/// still get their copy by unicast. Loopback has no broadcast address: there the ring fans out.
public struct LinkBroadcast: Sendable, Equatable {
    public var interface: String
    public var address: IPv4Address
    public var broadcast: IPv4Address
    public var netmask: UInt32

    public func isOnLink(_ member: IPv4Address) -> Bool {
        member.value & netmask == address.value & netmask
    }

    /// Reads the interface's IPv4 address, netmask and broadcast address. Nil when the interface
    /// has no broadcast (loopback, point-to-point); a refusal naming the fix when it has no IPv4
    /// address at all or does not exist.
    public static func lookup(interface: String) throws(DaemonSettings.Refusal) -> LinkBroadcast? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else {
            throw DaemonSettings.Refusal("cannot list this host's interfaces to find ring.interface \(interface): errno \(errno)")
        }
        defer { freeifaddrs(list) }
        var found = false
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard String(cString: entry.pointee.ifa_name) == interface else { continue }
            found = true
            guard let raw = entry.pointee.ifa_addr, raw.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let flags = Int32(bitPattern: entry.pointee.ifa_flags)
            guard flags & Int32(IFF_BROADCAST) != 0, let mask = entry.pointee.ifa_netmask else { return nil }
            // The directed broadcast of the subnet (what `ip addr ... brd +` sets).
            let address = ipv4(raw), netmask = ipv4(mask).value
            return LinkBroadcast(interface: interface, address: address, broadcast: IPv4Address(address.value | ~netmask),
                                 netmask: netmask)
        }
        throw DaemonSettings.Refusal(found
            ? "ring.interface \(interface) has no IPv4 address; give it the member's address (ip -4 addr add ADDRESS/PREFIX dev \(interface))"
            : "ring.interface \(interface) does not exist on this host (ip -brief link lists the interfaces); fix ring.interface or remove it to fan out")
    }

    private static func ipv4(_ raw: UnsafeMutablePointer<sockaddr>) -> IPv4Address {
        raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPv4Address(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)) }
    }
}
