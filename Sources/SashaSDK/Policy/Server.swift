import SashaABI
import SashaBase

/// A member that can serve, as the host describes it in `serversChanged`.
public struct Server: Sendable, Hashable {
    public var address: IPv4Address
    public var port: UInt16
    /// Relative share of new flows; 0 drains the server (no new flows, existing ones stay).
    public var weight: Int
    /// Bit i set: the server carries tag i of `ServerList.tagNames`.
    public var tagMask: UInt64
    public var mac: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    public var isUp: Bool

    public init(
        address: IPv4Address, port: UInt16 = 0, weight: Int = 1, tagMask: UInt64 = 0,
        mac: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0), isUp: Bool = true
    ) {
        self.address = address
        self.port = port
        self.weight = weight
        self.tagMask = tagMask
        self.mac = mac
        self.isUp = isUp
    }

    public init(_ raw: sasha_server) {
        self.init(
            address: IPv4Address(raw.address), port: raw.port, weight: Int(raw.weight),
            tagMask: raw.tags, mac: raw.mac, isUp: raw.up != 0)
    }

    public var raw: sasha_server {
        sasha_server(
            address: address.value, port: port, weight: UInt16(clamping: weight), tags: tagMask,
            mac: mac, up: isUp ? 1 : 0, reserved: 0)
    }

    /// True when the server may receive new flows.
    public var isEligible: Bool { isUp && weight > 0 }

    public func hasTag(_ id: Int) -> Bool { id >= 0 && id < 64 && tagMask & (1 << UInt64(id)) != 0 }

    public static func == (lhs: Server, rhs: Server) -> Bool {
        lhs.address == rhs.address && lhs.port == rhs.port && lhs.weight == rhs.weight
            && lhs.tagMask == rhs.tagMask && lhs.isUp == rhs.isUp
            && lhs.mac.0 == rhs.mac.0 && lhs.mac.1 == rhs.mac.1 && lhs.mac.2 == rhs.mac.2
            && lhs.mac.3 == rhs.mac.3 && lhs.mac.4 == rhs.mac.4 && lhs.mac.5 == rhs.mac.5
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(address) }
}

/// The full list of servers, replacing the previous one, with the names of the tag bits.
public struct ServerList: Sendable {
    public var servers: [Server]
    /// `tagNames[i]` names bit i of `Server.tagMask`. Ids are stable for the life of the process.
    public var tagNames: [String]

    public init(servers: [Server], tagNames: [String] = []) {
        self.servers = servers
        self.tagNames = tagNames
    }

    init(_ pointer: UnsafePointer<sasha_server>?, count: Int, tagNames: UnsafePointer<UnsafePointer<CChar>?>?, tagCount: Int) {
        let buffer = UnsafeBufferPointer(start: pointer, count: pointer == nil ? 0 : count)
        servers = buffer.map(Server.init)
        let names = UnsafeBufferPointer(start: tagNames, count: tagNames == nil ? 0 : tagCount)
        self.tagNames = names.map { $0.map { String(cString: $0) } ?? "" }
    }
}
