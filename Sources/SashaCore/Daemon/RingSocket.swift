#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SashaSDK

/// The ring's UDP sockets are made and bound here rather than by NIO, so that the daemon keeps a
/// descriptor of its own to send on. NIO's datagram channel closes itself on any write error but
/// EHOSTUNREACH and EMSGSIZE: one heartbeat to a peer behind a link that is down (ENETUNREACH),
/// or one a firewall drops (EPERM), would close the ring's socket. Sent here, a datagram that
/// cannot leave is an errno for that datagram and that peer, and the socket stays open. NIO
/// still reads: it owns the socket, and `RingSender` owns a `dup` of it.
enum RingSocket {
    /// A non-blocking UDP socket bound to `address:port`, with the ring's options. Throws an
    /// `IOError` naming the call that failed.
    static func bound(to address: IPv4Address, port: UInt16, broadcast: Bool) throws -> CInt {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        do {
            try set(descriptor, SO_BROADCAST, broadcast ? 1 : 0)
            // Room for a burst of joins and views from a large ring while the loop is busy, and for
            // the chunks of several servers' connection lists passing through at once; the same
            // room to send them (the kernel caps both at net.core.{r,w}mem_max).
            try set(descriptor, SO_RCVBUF, 4 << 20)
            try set(descriptor, SO_SNDBUF, 4 << 20)
            var raw = sockaddr_in()
            raw.sin_family = sa_family_t(AF_INET)
            raw.sin_port = port.bigEndian
            raw.sin_addr.s_addr = address.value.bigEndian
            let bound = withUnsafePointer(to: &raw) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw IOError(errnoCode: errno, reason: "bind") }
            return descriptor
        } catch {
            close(descriptor)
            throw error
        }
    }

    private static func set(_ descriptor: CInt, _ option: CInt, _ value: CInt) throws {
        var value = value
        guard setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
            throw IOError(errnoCode: errno, reason: "setsockopt")
        }
    }
}

/// Sends ring datagrams on a descriptor of its own (a `dup` of the bound socket's), never
/// blocking: each send returns 0 or the errno that datagram met. Used on the ring's event loop
/// only; the descriptor is closed when the sender goes.
final class RingSender: @unchecked Sendable {
    private let descriptor: CInt

    /// Duplicates `socket` (which NIO will own and close).
    init(duplicating socket: CInt) throws {
        descriptor = fcntl(socket, F_DUPFD_CLOEXEC, 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "dup") }
    }

    deinit { close(descriptor) }

    func send(_ bytes: UnsafeRawBufferPointer, to destination: sockaddr_in) -> CInt {
        var destination = destination
        while true {
            let sent = withUnsafePointer(to: &destination) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if sent >= 0 { return 0 }
            if errno != EINTR { return errno }
        }
    }
}
