import Foundation
import SashaRing
import SashaSDK

/// What `sasha status` shows: the daemon's answer to `{"command":"status"}`, one line of JSON.
/// `ring.created` is the ring's creation time in microseconds since the Unix epoch (its name on
/// the wire); `ring.created_at` is the same instant in ISO 8601 for people. `ring` is null until
/// the member has been in a ring; while it rebuilds after a purge, `state` is "joining" and `ring`
/// is the ring that was purged.
public struct StatusReport: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var address: String
        public var id: Int
        /// "dispatcher", "server" or "standalone".
        public var role: String
        public var healthy: Bool
        public var canDispatch: Bool

        enum CodingKeys: String, CodingKey {
            case address, id, role, healthy
            case canDispatch = "can_dispatch"
        }
    }

    public struct Ring: Codable, Sendable, Equatable {
        public var members: [Member]
        public var master: String
        public var dispatcher: String?
        public var created: UInt64
        public var createdAt: String
        public var version: UInt32
        public var cause: String

        enum CodingKeys: String, CodingKey {
            case members, master, dispatcher, created, version, cause
            case createdAt = "created_at"
        }

        /// Written by hand so that "no dispatcher" is an explicit null, not a missing key.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(members, forKey: .members)
            try container.encode(master, forKey: .master)
            try container.encode(dispatcher, forKey: .dispatcher)
            try container.encode(created, forKey: .created)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(version, forKey: .version)
            try container.encode(cause, forKey: .cause)
        }
    }

    public struct Policy: Codable, Sendable, Equatable {
        public var name: String
        public var epoch: UInt64
    }

    public struct Counters: Codable, Sendable, Equatable {
        public var packetsIn: UInt64
        public var packetsOut: UInt64
        public var bytesIn: UInt64
        public var bytesOut: UInt64
        public var rotations: UInt64
        public var elections: UInt64
        public var purges: UInt64
        public var viewChanges: UInt64
        public var expiredMessages: UInt64
        /// Dropped datagrams by cause (the machine's causes and "not_ipv4").
        public var drops: [String: UInt64]

        enum CodingKeys: String, CodingKey {
            case rotations, elections, purges, drops
            case packetsIn = "packets_in", packetsOut = "packets_out", bytesIn = "bytes_in", bytesOut = "bytes_out"
            case viewChanges = "view_changes", expiredMessages = "expired_messages"
        }
    }

    /// The ring socket's errors: datagrams that could not be sent (by cause, and by peer) and
    /// read errors. None of them closes the socket.
    public struct Transport: Codable, Sendable, Equatable {
        public struct Peer: Codable, Sendable, Equatable {
            public var address: String
            /// The cause sending to it fails with now; null while it works.
            public var failing: String?
            public var errors: [String: UInt64]

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(address, forKey: .address)
                try container.encode(failing, forKey: .failing)
                try container.encode(errors, forKey: .errors)
            }
        }

        public var sendErrors: [String: UInt64]
        public var receiveErrors: [String: UInt64]
        /// Every peer this member has sent to (up to 1,024), in address order.
        public var peers: [Peer]

        enum CodingKeys: String, CodingKey {
            case peers
            case sendErrors = "send_errors", receiveErrors = "receive_errors"
        }

        init(_ faults: TransportFaults) {
            sendErrors = Dictionary(uniqueKeysWithValues: faults.sendErrors.map { ($0.key.rawValue, $0.value) })
            receiveErrors = Dictionary(uniqueKeysWithValues: faults.receiveErrors.map { ($0.key.rawValue, $0.value) })
            peers = faults.peers.sorted { $0.key < $1.key }.map { address, peer in
                Peer(address: address.description, failing: peer.failing?.rawValue,
                     errors: Dictionary(uniqueKeysWithValues: peer.errors.map { ($0.key.rawValue, $0.value) }))
            }
        }
    }

    /// This member's own service (the embedded web server, or the external one it checks).
    public struct Service: Codable, Sendable, Equatable {
        /// "files" (embedded web server), "external" (a local server at `port`) or "none".
        public var kind: String
        public var port: Int
        /// Its own health check's latest answer.
        public var healthy: Bool
        /// Requests the embedded web server has answered (0 for an external server).
        public var requests: UInt64
    }

    public var node: String
    /// This member's own role: "dispatcher", "server", "standalone" or "joining".
    public var role: String
    /// "joining" (looking for a ring, or rebuilding one) or "member".
    public var state: String
    public var ring: Ring?
    public var strategy: String
    public var policy: Policy
    /// Connections the strategy holds (its `active` count), 0 when it is not dispatching.
    public var connections: Int
    public var counters: Counters
    /// The strategy's own counters and state (its `stats()`), while this member dispatches.
    public var strategyStats: JSONValue?
    public var service: Service?
    /// Nil only in the answer of a daemon older than this field.
    public var transport: Transport?

    enum CodingKeys: String, CodingKey {
        case node, role, state, ring, strategy, policy, connections, counters, service, transport
        case strategyStats = "strategy_stats"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(node, forKey: .node)
        try container.encode(role, forKey: .role)
        try container.encode(state, forKey: .state)
        try container.encode(ring, forKey: .ring)
        try container.encode(strategy, forKey: .strategy)
        try container.encode(policy, forKey: .policy)
        try container.encode(connections, forKey: .connections)
        try container.encode(counters, forKey: .counters)
        try container.encode(strategyStats, forKey: .strategyStats)
        try container.encode(service, forKey: .service)
        try container.encode(transport, forKey: .transport)
    }
}

extension StatusReport {
    init(_ snapshot: RingSnapshot, strategy: String, policy: Policy, strategyStats: JSONValue? = nil, service: Service? = nil) {
        self.strategyStats = strategyStats
        self.service = service
        node = snapshot.address.description
        role = snapshot.role.rawValue
        state = snapshot.isJoining ? "joining" : "member"
        ring = snapshot.view.map { view in
            Ring(members: view.members.map {
                    Member(address: $0.address.description, id: Int($0.id), role: view.role(of: $0.address).rawValue,
                           healthy: $0.healthy, canDispatch: $0.canDispatch)
                 },
                 master: view.master.description, dispatcher: view.dispatcher?.description, created: view.ring,
                 createdAt: Self.iso8601(microseconds: view.ring), version: view.version, cause: view.cause.description)
        }
        self.strategy = strategy
        self.policy = policy
        if case .object(let stats)? = strategyStats, case .number(let active)? = stats["active"] {
            connections = Int(active)
        } else {
            connections = 0
        }
        let counts = snapshot.counters
        var drops = Dictionary(uniqueKeysWithValues: counts.drops.map { ($0.cause, $0.count) })
        drops["not_ipv4"] = snapshot.droppedNotIPv4
        counters = Counters(packetsIn: counts.packetsIn, packetsOut: counts.packetsOut, bytesIn: counts.bytesIn,
                            bytesOut: counts.bytesOut, rotations: counts.rotations, elections: counts.elections,
                            purges: counts.purges, viewChanges: counts.viewChanges, expiredMessages: counts.expiredMessages,
                            drops: drops)
        transport = Transport(snapshot.transport)
    }

    static func iso8601(microseconds: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(microseconds) / 1_000_000))
    }

    /// One line of JSON, keys sorted: the control socket's answer.
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Indented JSON for `sasha status --json`.
    public func prettyJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(_ line: String) throws -> StatusReport {
        try JSONDecoder().decode(StatusReport.self, from: Data(line.utf8))
    }
}
