import SashaABI
import SashaSDK
import Synchronization

/// Where a strategy's `serve_also` calls land: this member's service, once it runs. A strategy is
/// made before the service starts, and its host table before either, so the table reaches the
/// service through here rather than holding it. One per member (`HostServices`).
final class ServiceAddresses: Sendable {
    private let service = Protected<MemberService?>(nil)

    func attach(_ service: MemberService) { self.service.withLock { $0 = service } }
    func detach() { service.withLock { $0 = nil } }

    /// `listen`: start (true) or stop answering on `address`:`port`. A member without a service
    /// yet has nothing to bind, which is no error: its service is made with what it needs.
    func serve(on address: IPv4Address, port: UInt16, listen: Bool) throws(OptionError) {
        guard let service = service.withLock({ $0 }) else { return }
        if listen {
            try service.serveAlso(on: address, port: port)
        } else {
            service.stopServing(on: address, port: port)
        }
    }
}
