import SashaSDK

#if canImport(Glibc)
import Glibc
#endif

/// The TCP connections this host's kernel holds on some local address and ports, read from the
/// kernel's socket tables (`/proc/thread-self/net/tcp`, and `tcp6` for services listening on
/// `[::]`, whose IPv4 clients are v4-mapped there): what a server of an L4 strategy reports
/// (`connections()`), so that a new dispatcher can load them into its map and keep forwarding
/// their frames to the same server (the spec's Figure 9).
///
/// /proc rather than netlink `sock_diag`: one read of a text file, which the kernel writes at
/// about 150 bytes per socket, so 100,000 connections are 15 MB and a few hundred milliseconds,
/// and no netlink message layout to keep in step with the kernel.
public enum KernelConnections {
    /// The socket states (the `st` column) of a connection that can still get a client's frame:
    /// all but SYN_SENT (outgoing), TIME_WAIT, CLOSE and LISTEN.
    static let live: Set<UInt8> = [
        0x01,  // ESTABLISHED
        0x03,  // SYN_RECV
        0x04,  // FIN_WAIT1
        0x05,  // FIN_WAIT2
        0x08,  // CLOSE_WAIT
        0x09,  // LAST_ACK
        0x0B,  // CLOSING
    ]

    /// The live connections to `local` on one of `ports` in the calling thread's network
    /// namespace, each reported as held by `server`; empty if the table cannot be read.
    public static func read(local: IPv4Address, ports: Set<UInt16>, server: IPv4Address,
                            paths: [String] = ["/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"]) -> [Connection] {
        paths.flatMap { path in readFile(path).map { parse($0, local: local, ports: ports, server: server) } ?? [] }
    }

    /// The live connections to `local` on one of `ports` in a `/proc/net/tcp` text. Lines it
    /// cannot read (the header, anything malformed) are skipped.
    public static func parse(_ text: [UInt8], local: IPv4Address, ports: Set<UInt16>, server: IPv4Address) -> [Connection] {
        var connections: [Connection] = []
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count, text[end] != UInt8(ascii: "\n") { end += 1 }
            if let socket = SocketLine(text[start..<end]), socket.localAddress == local.value,
               ports.contains(socket.localPort), live.contains(socket.state) {
                connections.append(Connection(
                    client: IPv4Address(socket.remoteAddress), clientPort: socket.remotePort,
                    clusterPort: socket.localPort, server: server))
            }
            start = end + 1
        }
        return connections
    }

    /// The whole file; /proc files report no size, so it reads until the end.
    static func readFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? bytes : nil }
            bytes += chunk[..<count]
        }
    }
}

/// One line of /proc/net/tcp: `  sl  local_address rem_address   st ...`, as
/// `   0: 0100007F:1F90 0100007F:A2C4 01 ...`. An address is the kernel's network-order u32
/// printed as a host integer in hex; a port is printed in host order. In /proc/net/tcp6 an
/// address is four such words; only v4-mapped ones (`::ffff:a.b.c.d`) are read, and a line with
/// any other IPv6 address is skipped.
struct SocketLine {
    var localAddress: UInt32
    var localPort: UInt16
    var remoteAddress: UInt32
    var remotePort: UInt16
    var state: UInt8

    init?(_ line: ArraySlice<UInt8>) {
        var reader = HexReader(line)
        guard reader.skipField(), let local = reader.endpoint(), let remote = reader.endpoint(),
              let state = reader.hex(maxDigits: 2) else { return nil }
        localAddress = UInt32(bigEndian: UInt32(truncatingIfNeeded: local.address))
        localPort = local.port
        remoteAddress = UInt32(bigEndian: UInt32(truncatingIfNeeded: remote.address))
        remotePort = remote.port
        self.state = UInt8(state)
    }
}

/// Reads the space-separated hexadecimal fields of a /proc/net/tcp line.
private struct HexReader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    mutating func skipSpaces() {
        while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index += 1 }
    }

    /// Skips the `sl` field ("0:"); false if the line has none (the header's "sl" has no colon).
    mutating func skipField() -> Bool {
        skipSpaces()
        while index < bytes.endIndex, bytes[index] != UInt8(ascii: " ") { index += 1 }
        return index > bytes.startIndex && bytes[index - 1] == UInt8(ascii: ":")
    }

    /// "0100007F:1F90", or in tcp6 "0000000000000000FFFF00000100007F:1F90".
    mutating func endpoint() -> (address: UInt64, port: UInt16)? {
        skipSpaces()
        let start = index
        guard let low = hex(maxDigits: 32), index < bytes.endIndex, bytes[index] == UInt8(ascii: ":") else { return nil }
        let address: UInt64
        switch index - start {
        case 8:
            address = low
        case 32:
            // The first three words are ::ffff as the kernel prints them: 0, 0, then 0000FFFF
            // in network order read as a (little-endian) host word.
            let prefix = bytes[start..<start + 24].map { $0 | 0x20 }   // lower case
            guard prefix.elementsEqual("0000000000000000ffff0000".utf8) else { return nil }
            address = low & 0xFFFF_FFFF
        default:
            return nil
        }
        index += 1
        guard let port = hex(maxDigits: 4) else { return nil }
        return (address, UInt16(port))
    }

    /// A field of 1 to `maxDigits` hex digits, after spaces; nil if there is none or it is longer.
    mutating func hex(maxDigits: Int) -> UInt64? {
        skipSpaces()
        var value: UInt64 = 0, digits = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default:
                return digits == 0 ? nil : value
            }
            digits += 1
            guard digits <= maxDigits else { return nil }
            value = value << 4 | UInt64(digit)
            index += 1
        }
        return digits == 0 ? nil : value
    }
}
