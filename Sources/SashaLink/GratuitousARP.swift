import CLibnet
import Glibc
import SashaBase

/// Gratuitous ARP: tells every host on the link that an address now lives at this interface's MAC,
/// so that they and the switch update their caches at once after a dispatcher takes the VIP over.
public enum GratuitousARP {
    /// Sends `count` rounds, `interval` apart, of one ARP request (RFC 5227's announcement: sender
    /// and target address both `address`, target MAC zero) and one ARP reply (RFC 2002's form,
    /// target MAC our own, for stacks that only learn from replies), both to the Ethernet broadcast
    /// address from the interface's MAC, with libnet. Needs CAP_NET_RAW. A loopback interface has
    /// no ARP: nothing is sent there.
    public static func announce(
        _ address: IPv4Address, on interface: String, count: Int = 3, interval: Duration = .milliseconds(100)
    ) throws(LinkError) {
        let action = "announce \(address) by gratuitous ARP on \(interface)"
        guard count >= 1 else { throw LinkError.invalid("count \(count) is less than 1", action: action) }
        guard interval >= .zero else { throw LinkError.invalid("interval \(interval) is negative", action: action) }
        let link = try LinkInterface.describe(interface, action: action)
        if link.isLoopback { return }
        guard let mac = link.hardwareAddress, mac.count == 6 else {
            throw LinkError(.notEthernet, action: action, cause: "\(interface) has no Ethernet address",
                            fix: "use an Ethernet interface; see `ip link`")
        }
        let injector = try LinkInjector(interface: interface, action: action)
        for round in 0..<count {
            if round > 0 { pause(interval) }
            try injector.send(.request, address: address, mac: mac)
            try injector.send(.reply, address: address, mac: mac)
        }
    }

    private static func pause(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var request = remaining
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}

/// A libnet context on one interface's link layer, destroyed when dropped.
private struct LinkInjector: ~Copyable {
    enum Operation: UInt16 {
        case request = 1  // ARPOP_REQUEST
        case reply = 2  // ARPOP_REPLY
    }

    private let context: OpaquePointer
    private let action: String
    private let interface: String

    init(interface: String, action: String) throws(LinkError) {
        var message = [CChar](repeating: 0, count: Int(LIBNET_ERRBUF_SIZE))
        guard let context = libnet_init(LIBNET_LINK, interface, &message) else {
            // libnet closes what it opened before returning, so errno no longer says why; a
            // packet socket of our own does (EPERM without CAP_NET_RAW).
            let code = LinkInjector.packetSocketError() ?? errno
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw LinkInjector.failure(code, "libnet_init: \(text)", action: action, interface: interface)
        }
        self.context = OpaquePointer(context)
        self.action = action
        self.interface = interface
    }

    deinit { libnet_destroy(UnsafeMutablePointer(context)) }

    /// The errno of opening a packet socket here, or nil when it opens.
    private static func packetSocketError() -> Int32? {
        let probe = socket(AF_PACKET, rawSocketType, 0)
        guard probe < 0 else {
            close(probe)
            return nil
        }
        return errno
    }

    /// Builds one ARP frame (Ethernet, IPv4, sender = target = `address`) and writes it.
    func send(_ operation: Operation, address: IPv4Address, mac: [UInt8]) throws(LinkError) {
        let libnet = UnsafeMutablePointer<libnet_t>(context)
        libnet_clear_packet(libnet)
        let ip = address.networkOrderBytes
        let targetMAC: [UInt8] = operation == .reply ? mac : [0, 0, 0, 0, 0, 0]
        let broadcast: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        // libnet builds from the top layer down: ARP first, then the Ethernet header under it.
        guard libnet_build_arp(1 /* ARPHRD_ETHER */, 0x0800 /* ETHERTYPE_IP */, 6, 4, operation.rawValue,
                               mac, ip, targetMAC, ip, nil, 0, libnet, 0) != -1,
              libnet_build_ethernet(broadcast, mac, 0x0806 /* ETHERTYPE_ARP */, nil, 0, libnet, 0) != -1
        else { throw LinkInjector.failure(0, "libnet_build: \(lastError)", action: action, interface: interface) }
        guard libnet_write(libnet) != -1 else {
            throw LinkInjector.failure(errno, "libnet_write: \(lastError)", action: action, interface: interface)
        }
    }

    private var lastError: String {
        libnet_geterror(UnsafeMutablePointer(context)).map { String(cString: $0) } ?? "unknown error"
    }

    private static func failure(_ code: Int32, _ text: String, action: String, interface: String) -> LinkError {
        switch code {
        case EPERM, EACCES, ENODEV, ENXIO, ENETDOWN:
            return .system(code, action: action, interface: interface, capability: "CAP_NET_RAW", context: text)
        default:
            return LinkError(.failed(errno: code), action: action, cause: text)
        }
    }
}
