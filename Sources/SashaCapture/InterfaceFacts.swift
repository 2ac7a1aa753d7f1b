#if canImport(Glibc)
import Glibc
#endif

/// What an L4 strategy needs to know about an interface: its MAC (the source of the frames it
/// re-sends, and the answer to ARP for the VIP), its index, its MTU and its IPv4 address.
///
/// Read with ioctls on a socket made by the calling thread, so the answer is the one of the
/// calling thread's network namespace. `/sys/class/net` is not: sysfs shows the namespace of
/// whoever mounted it, which is not the namespace a thread entered with setns(2).
public struct InterfaceFacts: Sendable, Equatable {
    public var name: String
    /// The kernel's interface index (SIOCGIFINDEX).
    public var index: Int32
    /// The 6-byte hardware address (SIOCGIFHWADDR).
    public var mac: [UInt8]
    /// The MTU in bytes (SIOCGIFMTU).
    public var mtu: Int32
    /// The primary IPv4 address in network order (SIOCGIFADDR), nil if the interface has none.
    public var ipv4: [UInt8]?

    public init(name: String, index: Int32, mac: [UInt8], mtu: Int32, ipv4: [UInt8]?) {
        self.name = name
        self.index = index
        self.mac = mac
        self.mtu = mtu
        self.ipv4 = ipv4
    }

    /// "02:00:5a:00:01:00".
    public var macText: String {
        mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// "198.18.0.1", or nil.
    public var ipv4Text: String? { ipv4.map { $0.map(String.init).joined(separator: ".") } }

    /// Reads the facts of `name` in the calling thread's network namespace.
    public static func lookup(_ name: String) throws(CaptureError) -> InterfaceFacts {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketDescriptor >= 0 else {
            throw .interfaceQuery(interface: name, operation: "socket", errno: errno)
        }
        defer { close(socketDescriptor) }
        let query = InterfaceQuery(socket: socketDescriptor, name: name)

        let index = try query.perform(0x8933, "SIOCGIFINDEX") { $0.ifr_ifru.ifru_ivalue }
        let mtu = try query.perform(0x8921, "SIOCGIFMTU") { $0.ifr_ifru.ifru_mtu }
        let mac = try query.perform(0x8927, "SIOCGIFHWADDR") { request in
            withUnsafeBytes(of: request.ifr_ifru.ifru_hwaddr.sa_data) { Array($0.prefix(6)) }
        }
        // EADDRNOTAVAIL: the interface exists but has no IPv4 address.
        let ipv4 = try query.perform(0x8915, "SIOCGIFADDR", absentOn: EADDRNOTAVAIL) { request in
            // sockaddr_in: family (2), port (2), address (4); sa_data starts after the family.
            withUnsafeBytes(of: request.ifr_ifru.ifru_addr.sa_data) { Array($0[2..<6]) }
        }
        return InterfaceFacts(name: name, index: index, mac: mac, mtu: mtu, ipv4: ipv4)
    }
}

/// One `struct ifreq` ioctl at a time on a socket, with errors mapped to `CaptureError`.
private struct InterfaceQuery {
    let socket: Int32
    let name: String

    func perform<Value>(
        _ request: UInt, _ operation: String, _ read: (ifreq) -> Value
    ) throws(CaptureError) -> Value {
        guard let value = try perform(request, operation, absentOn: nil, read) else {
            throw .interfaceQuery(interface: name, operation: operation, errno: 0)
        }
        return value
    }

    func perform<Value>(
        _ request: UInt, _ operation: String, absentOn absent: Int32?, _ read: (ifreq) -> Value
    ) throws(CaptureError) -> Value? {
        var ifRequest = ifreq()
        let bytes = Array(name.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: ifRequest.ifr_ifrn.ifrn_name) else {
            throw .noSuchInterface(interface: name)
        }
        withUnsafeMutableBytes(of: &ifRequest.ifr_ifrn.ifrn_name) { field in
            field.copyBytes(from: bytes)
        }
        guard ioctl(socket, request, &ifRequest) == 0 else {
            let code = errno
            if code == ENODEV { throw .noSuchInterface(interface: name) }
            if code == absent { return nil }
            throw .interfaceQuery(interface: name, operation: operation, errno: code)
        }
        return read(ifRequest)
    }
}
