import Glibc

/// Why an operation on a link failed, as one line: what was being done, on which interface and
/// address, what went wrong and the fix ("cannot add 198.18.9.100/32 to eth9: no interface eth9
/// (see `ip link`)").
public struct LinkError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// The interface does not exist (in this network namespace).
        case noSuchInterface
        /// The process lacks the capability (CAP_NET_ADMIN for addresses, CAP_NET_RAW for ARP).
        case notPermitted
        /// The interface has no Ethernet hardware address, so ARP means nothing there.
        case notEthernet
        /// An argument out of range (prefix length, count, interval).
        case invalidArgument
        /// Anything else the kernel or libnet reported, with its errno when there is one.
        case failed(errno: Int32)
    }

    public let reason: Reason
    public let description: String

    init(_ reason: Reason, action: String, cause: String, fix: String? = nil) {
        self.reason = reason
        let line = "cannot \(action): \(cause)" + (fix.map { " (\($0))" } ?? "")
        // One line whatever the cause's text (libnet's messages end in a newline).
        description = String(line.map { $0.isNewline ? " " : $0 }).trimmingTrailingSpaces()
    }

    static func noSuchInterface(_ interface: String, action: String) -> LinkError {
        LinkError(.noSuchInterface, action: action, cause: "no interface \(interface)", fix: "see `ip link`")
    }

    static func invalid(_ cause: String, action: String) -> LinkError {
        LinkError(.invalidArgument, action: action, cause: cause)
    }

    /// A failed system call or kernel answer, named by its errno; `capability` is what the
    /// operation needs, for the fix of EPERM.
    static func system(_ code: Int32, action: String, interface: String, capability: String, context: String? = nil) -> LinkError {
        let text = String(cString: strerror(code)).lowercased()
        let cause = context.map { "\($0): \(text)" } ?? text
        switch code {
        case EPERM, EACCES:
            return LinkError(.notPermitted, action: action, cause: cause, fix: "run as root or give \(capability)")
        case ENODEV, ENXIO:
            return noSuchInterface(interface, action: action)
        case ENETDOWN:
            return LinkError(.failed(errno: code), action: action, cause: cause, fix: "bring it up: ip link set \(interface) up")
        default:
            return LinkError(.failed(errno: code), action: action, cause: cause)
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
