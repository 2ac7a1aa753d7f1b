import SashaPacket
import SashaSDK

/// Servers' MAC addresses, learned from ARP. Read on the data path for every forwarded frame
/// (lock-free, through `SnapshotCell`), written rarely: when an ARP frame says something new.
public final class Neighbours: Sendable {
    final class Table: Sendable {
        let macs: [UInt32: MACAddress]
        init(_ macs: [UInt32: MACAddress]) { self.macs = macs }
    }

    private let cell = SnapshotCell(Table([:]))

    public init() {}

    @inlinable public func mac(of address: IPv4Address) -> MACAddress? { lookup(address.value) }

    @usableFromInline func lookup(_ address: UInt32) -> MACAddress? { cell.read { $0.macs[address] } }

    /// Records `address` at `mac` when that is news (so a steady stream of ARP copies nothing).
    /// Safe from several threads at once (the input thread and the reply threads all learn).
    public func learn(_ address: IPv4Address, at mac: MACAddress) {
        guard address.value != 0, !mac.isBroadcast, mac != .zero, lookup(address.value) != mac else { return }
        cell.update { table in
            guard table.macs[address.value] != mac else { return nil }
            var macs = table.macs
            macs[address.value] = mac
            return Table(macs)
        }
    }

    public var count: Int { cell.read { $0.macs.count } }
}
