import CoreMetrics
import SashaRing
import SashaSDK

/// The ring's counters and gauges in swift-metrics (Prometheus names). The machine keeps plain
/// counts; after every event the node passes them here and only the deltas since the last call
/// are added, so the packet path costs a comparison when nothing changed and a few atomic adds
/// when something did. Until `MetricsSystem` is bootstrapped (metrics are off by default) the
/// handles are no-ops.
final class RingMetrics {
    private var last = RingCounters()
    private var lastNotIPv4: UInt64 = 0
    private let packetsIn = Counter(label: "sasha_ring_packets_in_total")
    private let packetsOut = Counter(label: "sasha_ring_packets_out_total")
    private let bytesIn = Counter(label: "sasha_ring_bytes_in_total")
    private let bytesOut = Counter(label: "sasha_ring_bytes_out_total")
    private let rotations = Counter(label: "sasha_ring_rotations_total")
    private let elections = Counter(label: "sasha_ring_elections_total")
    private let purges = Counter(label: "sasha_ring_purges_total")
    private let viewChanges = Counter(label: "sasha_ring_view_changes_total")
    private let expired = Counter(label: "sasha_ring_expired_messages_total")
    /// One per cause, in the order of `RingCounters.drops`.
    private let drops: [Counter]
    private let notIPv4 = Counter(label: "sasha_ring_drops_total", dimensions: [("cause", "not_ipv4")])
    private let members = Gauge(label: "sasha_ring_members")
    private let roles: [(role: RingRole, gauge: Gauge)]
    /// `sasha_ring_transport_errors_total{direction, cause, peer}`, made when first needed.
    private var transportErrors: [String: Counter] = [:]

    init() {
        drops = RingCounters().drops.map { Counter(label: "sasha_ring_drops_total", dimensions: [("cause", $0.cause)]) }
        let all: [RingRole] = [.dispatcher, .server, .standalone, .joining]
        roles = all.map { ($0, Gauge(label: "sasha_ring_role", dimensions: [("role", $0.rawValue)])) }
        members.record(0)
        roleChanged(.joining)
    }

    func update(_ counters: RingCounters, droppedNotIPv4: UInt64) {
        if droppedNotIPv4 != lastNotIPv4 {
            notIPv4.increment(by: Int64(droppedNotIPv4 - lastNotIPv4))
            lastNotIPv4 = droppedNotIPv4
        }
        guard counters != last else { return }
        add(packetsIn, counters.packetsIn, last.packetsIn)
        add(packetsOut, counters.packetsOut, last.packetsOut)
        add(bytesIn, counters.bytesIn, last.bytesIn)
        add(bytesOut, counters.bytesOut, last.bytesOut)
        add(rotations, counters.rotations, last.rotations)
        add(elections, counters.elections, last.elections)
        add(purges, counters.purges, last.purges)
        add(viewChanges, counters.viewChanges, last.viewChanges)
        add(expired, counters.expiredMessages, last.expiredMessages)
        // `drops` builds an array: only when some drop counter moved (rare), found by its total.
        if counters.dropped != last.dropped {
            for (index, (now, before)) in zip(counters.drops, last.drops).enumerated() {
                add(drops[index], now.count, before.count)
            }
        }
        last = counters
    }

    func viewChanged(_ view: RingView) {
        members.record(view.count)
    }

    /// The role gauge is 1 for this member's role and 0 for the others.
    func roleChanged(_ role: RingRole) {
        for entry in roles { entry.gauge.record(entry.role == role ? 1 : 0) }
    }

    /// A datagram that could not be sent to `peer`, or a read error (no peer).
    func transportFailed(_ cause: TransportFaults.Cause, peer: IPv4Address?) {
        let direction = peer == nil ? "receive" : "send"
        let peerLabel = peer?.description ?? ""
        let key = "\(direction) \(cause.rawValue) \(peerLabel)"
        if let counter = transportErrors[key] {
            counter.increment()
            return
        }
        // A bounded family: the causes times the ring's members and its broadcast address.
        guard transportErrors.count < 4096 else { return }
        let counter = Counter(label: "sasha_ring_transport_errors_total",
                              dimensions: [("direction", direction), ("cause", cause.rawValue), ("peer", peerLabel)])
        transportErrors[key] = counter
        counter.increment()
    }

    private func add(_ counter: Counter, _ now: UInt64, _ before: UInt64) {
        if now > before { counter.increment(by: Int64(now - before)) }
    }
}
