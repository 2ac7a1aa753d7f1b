import Glibc
import SashaLink
import SashaSDK

/// The l4-2 server side (the spec's Figure 3): the VIP as a secondary address on `lo`, so that the
/// kernel accepts frames the dispatcher forwarded unchanged and answers from the VIP directly;
/// `arp_ignore=1` and `arp_announce=2`, so that this member never answers ARP for the VIP or
/// announces it (only the dispatcher may); and the member's service listening on the VIP's ports.
/// Everything it changed is put back by `undo()`.
public struct DirectReturnServerSide: Sendable {
    private var addedVIP = false
    private var savedSysctls: [(path: String, value: String)] = []
    private var served: [UInt16] = []

    public init() {}

    public mutating func apply(vip: IPv4Address, ports: [UInt16], host: PluginHost?) throws(OptionError) {
        do {
            addedVIP = try InterfaceAddress.add(vip, prefixLength: 32, to: "lo") || addedVIP
        } catch {
            throw OptionError("cannot add the VIP \(vip)/32 to lo for l4-2: \(error)")
        }
        for (name, value) in [("arp_ignore", "1"), ("arp_announce", "2")] {
            let path = "/proc/sys/net/ipv4/conf/all/\(name)"
            guard let old = Sysctl.read(path) else {
                throw OptionError("cannot read \(path): l4-2 servers need it (run sasha as root)")
            }
            guard Sysctl.write(path, value) else {
                throw OptionError("cannot set \(path) to \(value): l4-2 servers need it (run sasha as root)")
            }
            if !savedSysctls.contains(where: { $0.path == path }) { savedSysctls.append((path, old)) }
        }
        for port in ports where !served.contains(port) {
            try host?.serveAlso(on: vip, port: port)
            served.append(port)
        }
    }

    public mutating func undo(vip: IPv4Address, host: PluginHost?) {
        for port in served { host?.stopServing(on: vip, port: port) }
        served = []
        for (path, value) in savedSysctls.reversed() { _ = Sysctl.write(path, value) }
        savedSysctls = []
        if addedVIP {
            try? InterfaceAddress.remove(vip, prefixLength: 32, from: "lo")
            addedVIP = false
        }
    }
}

/// Reads and writes `/proc/sys` values (per network namespace, as the calling thread sees it).
public enum Sysctl {
    public static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: "\n ")
    }

    public static func write(_ path: String, _ value: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let bytes = Array((value + "\n").utf8)
        return bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        var result = Substring(self)
        while let last = result.last, set.contains(last) { result.removeLast() }
        return String(result)
    }
}
