import SashaBase

/// A connection's state in the table.
public enum FlowState: UInt8, Hashable, Sendable {
    /// Carrying traffic: expires after the table's idle timeout without packets.
    case open = 1
    /// The client sent FIN or RST: kept for the table's linger time so retransmissions and the
    /// last ACKs still reach the same server, then removed.
    case closing = 2
    /// The client's SYN was seen, its ACK of the handshake not yet (conntrack's `SYN_RECV`):
    /// expires after the table's `embryonicTimeout`, so SYNs from addresses that never answer
    /// (a SYN flood) leave quickly.
    case embryonic = 3
}

extension FlowTable {
    /// What a lookup did to a connection's state, for whoever counts connections.
    public enum Transition: Sendable, Equatable {
        case none
        /// An embryonic connection got the client's ACK: it is established now.
        case established
        /// An established connection got the client's FIN or RST.
        case ended
        /// The lookup found the connection expired (idle past the timeout before the sweep came
        /// by) and removed it; it was established, on `server`.
        case expired(server: IPv4Address)
    }
}

extension FlowTable {
    /// One slot of the table, 24 bytes: the packed key (8), server (4), state (1) and last-seen
    /// time (8), padded. A million connections then take 24 MB of entries (48 MB of slots at
    /// the table's load factor), well inside the 100 MiB budget.
    ///
    /// Stored as plain integers rather than `FlowKey`/`IPv4Address`/`FlowState` so the layout is
    /// fixed and an empty slot is simply `state == 0`: no optional, no tombstone.
    public struct Entry: Hashable, Sendable {
        /// Last packet time (nanoseconds or ticks: the caller's clock). For a closing entry, the
        /// time the FIN or RST was seen.
        public var lastSeen: UInt64
        @usableFromInline var _key: UInt64
        @usableFromInline var _server: UInt32
        @usableFromInline var _state: UInt8

        @inlinable
        public init(key: FlowKey, server: IPv4Address, lastSeen: UInt64, state: FlowState = .open) {
            self.lastSeen = lastSeen
            self._key = key.packed
            self._server = server.value
            self._state = state.rawValue
        }

        @inlinable
        init(_empty: ()) {
            lastSeen = 0
            _key = 0
            _server = 0
            _state = 0
        }

        @inlinable var _isEmpty: Bool { _state == 0 }

        @inlinable public var key: FlowKey { FlowKey(packed: _key) }

        @inlinable
        public var server: IPv4Address {
            get { IPv4Address(_server) }
            set { _server = newValue.value }
        }

        @inlinable
        public var state: FlowState {
            get { FlowState(rawValue: _state) ?? .open }
            set { _state = newValue.rawValue }
        }
    }
}
