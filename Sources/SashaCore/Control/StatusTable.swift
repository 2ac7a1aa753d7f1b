extension StatusReport {
    /// `sasha status` without `--json`: the member, its ring, and one row per member.
    public var table: String {
        var lines = ["node \(node): \(role), \(state)"]
        if let ring {
            lines.append("ring created \(ring.createdAt) (\(ring.created) µs), version \(ring.version), cause: \(ring.cause)")
            lines.append("master \(ring.master), dispatcher \(ring.dispatcher ?? "none")")
        } else {
            lines.append("ring: none yet (looking for the other members)")
        }
        lines.append("strategy \(strategy), policy \(policy.name) (epoch \(policy.epoch)), connections \(connections)")
        if let ring {
            lines.append("")
            let rows = [["ADDRESS", "ID", "ROLE", "HEALTHY", "MAY DISPATCH"]] + ring.members.map {
                [$0.address, String($0.id), $0.role, $0.healthy ? "yes" : "no", $0.canDispatch ? "yes" : "no"]
            }
            let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let cells = row.enumerated().map { index, cell in
                    cell + String(repeating: " ", count: widths[index] - cell.count)
                }
                lines.append(String(cells.joined(separator: "  ").reversed().drop { $0 == " " }.reversed()))
            }
        }
        lines.append("")
        let c = counters
        lines.append("packets in \(c.packetsIn) (\(c.bytesIn) bytes), out \(c.packetsOut) (\(c.bytesOut) bytes)")
        lines.append("rotations \(c.rotations), elections \(c.elections), purges \(c.purges), view changes \(c.viewChanges), "
            + "expired messages \(c.expiredMessages)")
        lines.append("drops: " + c.drops.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if let transport {
            lines.append(transport.line)
            for peer in transport.peers {
                lines.append("  to \(peer.address): \(peer.failing.map { "failing (\($0))" } ?? "works"); "
                    + Self.counts(peer.errors))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func counts(_ counts: [String: UInt64]) -> String {
        counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}

extension StatusReport.Transport {
    /// "transport errors: send none, receive none", or the counts by cause.
    var line: String {
        "transport errors: send \(StatusReport.counts(sendErrors)), receive \(StatusReport.counts(receiveErrors))"
    }
}
