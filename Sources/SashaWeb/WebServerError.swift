import SashaBase

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the web server could not start, in words an operator can act on.
public struct WebServerError: Error, CustomStringConvertible, Sendable {
    public var description: String

    /// A bind failure, with the likely fix for the usual causes.
    static func bindFailed(address: IPv4Address, port: UInt16, errno code: CInt?, underlying: any Error) -> Self {
        let endpoint = "\(address):\(port)"
        let hint: String
        switch code {
        case EADDRINUSE:
            hint = "the port is already taken: stop the other server on it or choose another service.port"
        case EADDRNOTAVAIL:
            hint = "\(address) is not an address of this host: add it to an interface or fix the member's address"
        case EACCES:
            hint = "ports below 1024 need root or CAP_NET_BIND_SERVICE: run as root or choose a higher service.port"
        default:
            hint = "\(underlying)"
        }
        return WebServerError(description: "web server cannot listen on \(endpoint): \(hint)")
    }
}
