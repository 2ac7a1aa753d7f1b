import SashaSDK

/// Which port each server's service answers on, from the last `serversChanged`: `pick` names a
/// server by address alone. Replaced whole on a change and read without a lock on every new
/// connection (see `SnapshotCell`).
final class ServerPorts: Sendable {
    private let ports: [IPv4Address: UInt16]

    init(_ list: ServerList) {
        ports = Dictionary(list.servers.map { ($0.address, $0.port) }, uniquingKeysWith: { _, last in last })
    }

    /// The server's port, or nil when the last list did not carry it (or carried 0).
    func port(of server: IPv4Address) -> UInt16? {
        ports[server].flatMap { $0 == 0 ? nil : $0 }
    }
}
