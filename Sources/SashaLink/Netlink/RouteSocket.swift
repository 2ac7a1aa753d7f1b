import Glibc

/// A NETLINK_ROUTE socket for one exchange with the kernel, in the network namespace of the thread
/// that opens it; closed when dropped.
struct RouteSocket: ~Copyable {
    enum Failure: Error {
        /// A system call failed.
        case system(call: String, errno: Int32)
        /// The kernel refused the request with this errno.
        case kernel(errno: Int32)
        case malformed(String)
    }

    private let descriptor: Int32

    init() throws(Failure) {
        descriptor = socket(AF_NETLINK, rawSocketType, Netlink.protocolRoute)
        guard descriptor >= 0 else { throw .system(call: "socket(AF_NETLINK)", errno: errno) }
        // The kernel answers at once; a bound wait means a wedged kernel cannot hang the caller.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Sends `request` and returns the answer's messages: for a dump, all of them up to
    /// NLMSG_DONE; for a request with `.acknowledge`, none (it returns on the kernel's ack); for a
    /// plain GET, the one reply. A refusal throws `.kernel` with its errno.
    func exchange(_ request: NetlinkRequest) throws(Failure) -> [NetlinkMessage] {
        let sent = request.bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        guard sent == request.bytes.count else { throw .system(call: "send(netlink)", errno: errno) }

        var answer: [NetlinkMessage] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard received >= 0 else {
                if errno == EINTR { continue }
                throw .system(call: "recv(netlink)", errno: errno == EAGAIN ? ETIMEDOUT : errno)
            }
            let messages: [NetlinkMessage]
            do throws(NetlinkMessage.Malformed) { messages = try NetlinkMessage.messages(in: buffer[0..<received]) } catch { throw .malformed(error.description) }
            for message in messages where message.sequence == request.sequence {
                if let code = message.errorCode {
                    if code == 0 { return answer }
                    throw .kernel(errno: code)
                }
                if message.type == Netlink.MessageType.done { return answer }
                answer.append(message)
                if !message.flags.contains(.multipart) { return answer }
            }
        }
    }
}
