import SashaABI
import SashaBase

/// The host's callbacks as a plugin sees them: logging, metrics, the clock and, for strategies,
/// the current policy. A thin, allocation-free wrapper over `sasha_host`.
public struct PluginHost: @unchecked Sendable {
    public let raw: UnsafePointer<sasha_host>

    public init(_ raw: UnsafePointer<sasha_host>) { self.raw = raw }

    public enum LogLevel: UInt32, Sendable {
        case trace = 0, debug, info, notice, warning, error, critical
    }

    /// A counter handle from `registerCounter`; cheap to copy and to bump on the data path.
    public struct Counter: Sendable {
        @usableFromInline let handle: Int32
    }

    /// A gauge handle from `registerGauge`.
    public struct Gauge: Sendable {
        @usableFromInline let handle: Int32
    }

    public func log(_ level: LogLevel, _ message: String) {
        guard let log = raw.pointee.log else { return }
        message.withCString { log(raw, sasha_log_level(rawValue: level.rawValue), $0) }
    }

    /// Registers a counter once, at create time (takes a lock in the host).
    public func registerCounter(_ name: String, help: String) -> Counter {
        let handle = raw.pointee.register_counter.map { register in
            name.withCString { n in help.withCString { h in register(raw, n, h) } }
        } ?? -1
        return Counter(handle: handle)
    }

    public func registerGauge(_ name: String, help: String) -> Gauge {
        let handle = raw.pointee.register_gauge.map { register in
            name.withCString { n in help.withCString { h in register(raw, n, h) } }
        } ?? -1
        return Gauge(handle: handle)
    }

    @inlinable public func add(_ delta: UInt64 = 1, to counter: Counter) {
        raw.pointee.counter_add?(raw, counter.handle, delta)
    }

    @inlinable public func set(_ value: Double, on gauge: Gauge) {
        raw.pointee.gauge_set?(raw, gauge.handle, value)
    }

    /// Monotonic nanoseconds, the same clock as the host's.
    @inlinable public var monotonicNanoseconds: UInt64 { raw.pointee.monotonic_ns?(raw) ?? 0 }

    /// Asks the current policy for a server; nil when none can take the flow.
    @inlinable public func pick(_ flow: Flow) -> IPv4Address? {
        var raw = flow.raw
        let address = self.raw.pointee.pick?(self.raw, &raw) ?? 0
        return address == 0 ? nil : IPv4Address(address)
    }

    @inlinable public func connectionOpened(on server: IPv4Address) {
        raw.pointee.connection_opened?(raw, server.value)
    }

    @inlinable public func connectionClosed(on server: IPv4Address) {
        raw.pointee.connection_closed?(raw, server.value)
    }

    /// Leaves `server` out of new flows for `duration` (it refused or dropped connections); the
    /// host puts it back afterwards. `.zero` puts it back now. Takes a lock in the host: call it
    /// on failures only. A host too old to offer it ignores the call.
    public func exclude(_ server: IPv4Address, for duration: Duration) {
        guard offers(\.exclude_server), let exclude = raw.pointee.exclude_server else { return }
        let (seconds, attoseconds) = duration.components
        let nanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        exclude(raw, server.value, nanoseconds)
    }

    /// Makes this member's service answer on `address`:`port` too (see `sasha_host.serve_also`):
    /// an l4-2 server's VIP, an l4-3 server's cluster ports. Throws when the embedded web server
    /// cannot bind there; a host too old to offer it throws too, since the mode cannot work.
    public func serveAlso(on address: IPv4Address, port: UInt16) throws(OptionError) {
        guard offers(\.serve_also), let serveAlso = raw.pointee.serve_also else {
            throw OptionError("this sasha is too old to serve on \(address):\(port) for the strategy; upgrade it")
        }
        var error = sasha_error()
        guard serveAlso(raw, address.value, port, 1, &error) == SASHA_OK else { throw OptionError(error) }
    }

    /// Undoes `serveAlso(on:port:)`.
    public func stopServing(on address: IPv4Address, port: UInt16) {
        guard offers(\.serve_also), let serveAlso = raw.pointee.serve_also else { return }
        var error = sasha_error()
        _ = serveAlso(raw, address.value, port, 0, &error)
    }

    /// Tells the host this dispatcher's data path failed for good (see
    /// `sasha_host.data_path_failed`): another member takes the role. A host too old to offer it
    /// ignores the call, and the member keeps the role without a working path.
    public func dataPathFailed(_ reason: String) {
        guard offers(\.data_path_failed), let report = raw.pointee.data_path_failed else { return }
        reason.withCString { report(raw, $0) }
    }

    /// Whether the host's table reaches `field`: tables grow at the end, and an older host's
    /// `struct_size` stops short of the fields it does not have.
    private func offers<Field>(_ field: KeyPath<sasha_host, Field>) -> Bool {
        guard let offset = MemoryLayout<sasha_host>.offset(of: field) else { return false }
        return Int(raw.pointee.struct_size) >= offset + MemoryLayout<Field>.size
    }
}
