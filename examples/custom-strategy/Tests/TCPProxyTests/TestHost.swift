import SashaABI
import SashaSDK
import Synchronization

/// A hand-made `sasha_host`: C function pointers over a state object that the test controls.
/// `pick` answers `server` (0: no server), and the connection and exclusion calls are recorded.
final class TestHost: Sendable {
    let server: Atomic<UInt32>
    let opened = Atomic<Int>(0)
    let closed = Atomic<Int>(0)
    let excluded = Mutex<[(server: IPv4Address, nanoseconds: UInt64)]>([])
    let logs = Mutex<[String]>([])
    private nonisolated(unsafe) let table: UnsafeMutablePointer<sasha_host>

    init(picking server: IPv4Address?) {
        self.server = Atomic(server?.value ?? 0)
        table = .allocate(capacity: 1)
        table.initialize(to: sasha_host(
            struct_size: UInt32(MemoryLayout<sasha_host>.size),
            abi_version: SASHA_ABI_VERSION,
            context: nil,
            log: { host, _, message in
                TestHost.of(host).logs.withLock { $0.append(message.map { String(cString: $0) } ?? "") }
            },
            register_counter: { _, _, _ in -1 },
            register_gauge: { _, _, _ in -1 },
            counter_add: { _, _, _ in },
            gauge_set: { _, _, _ in },
            monotonic_ns: { _ in 0 },
            pick: { host, _ in TestHost.of(host).server.load(ordering: .relaxed) },
            connection_opened: { host, _ in TestHost.of(host).opened.add(1, ordering: .relaxed) },
            connection_closed: { host, _ in TestHost.of(host).closed.add(1, ordering: .relaxed) },
            exclude_server: { host, server, nanoseconds in
                TestHost.of(host).excluded.withLock { $0.append((IPv4Address(server), nanoseconds)) }
            },
            // tcp-proxy's servers need nothing of their service (it listens where it always does).
            serve_also: { _, _, _, _, _ in SASHA_OK },
            // tcp-proxy never reports its data path failed (it has no capture to lose).
            data_path_failed: nil
        ))
        // The host finds this object through `context`; the test keeps it alive.
        table.pointee.context = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        table.deinitialize(count: 1)
        table.deallocate()
    }

    var pluginHost: PluginHost { PluginHost(table) }

    private static func of(_ host: UnsafePointer<sasha_host>?) -> TestHost {
        Unmanaged<TestHost>.fromOpaque(host!.pointee.context!).takeUnretainedValue()
    }
}
