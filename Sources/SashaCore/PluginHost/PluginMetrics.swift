import CoreMetrics
import SashaSDK
import Synchronization

/// The counters and gauges one plugin registered, addressable by the small integer handles the C
/// boundary uses. Registering takes a lock; bumping on the data path is an array index and a
/// swift-metrics call, with no lock of ours and no allocation.
final class PluginMetrics: @unchecked Sendable {
    /// Enough for any plugin's own counters; registering more returns -1 (ignored later).
    static let capacity = 256

    private let prefix: String
    private let counters: UnsafeMutablePointer<Unmanaged<Counter>?>
    private let gauges: UnsafeMutablePointer<Unmanaged<Gauge>?>
    private let counterCount = Atomic<Int>(0)
    private let gaugeCount = Atomic<Int>(0)
    private let registering = Protected<[String: Int32]>([:])

    init(plugin: String) {
        prefix = "sasha_plugin_" + plugin.map { $0.isLetter || $0.isNumber ? $0 : "_" }.map(String.init).joined() + "_"
        counters = .allocate(capacity: Self.capacity)
        counters.initialize(repeating: nil, count: Self.capacity)
        gauges = .allocate(capacity: Self.capacity)
        gauges.initialize(repeating: nil, count: Self.capacity)
    }

    /// Metric names are Prometheus names: letters, digits and underscores, not starting with a digit.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || isASCIIAlphanumeric($0) }
    }

    func registerCounter(_ name: String) -> Int32 {
        register(name, kind: "counter", count: counterCount) { [prefix] index in
            counters[index] = .passRetained(Counter(label: prefix + name))
        }
    }

    func registerGauge(_ name: String) -> Int32 {
        register(name, kind: "gauge", count: gaugeCount) { [prefix] index in
            gauges[index] = .passRetained(Gauge(label: prefix + name))
        }
    }

    private func register(_ name: String, kind: String, count: borrowing Atomic<Int>, store: (Int) -> Void) -> Int32 {
        guard Self.isValidName(name) else { return -1 }
        return registering.withLock { known in
            if let handle = known[kind + ":" + name] { return handle }
            let index = count.load(ordering: .relaxed)
            guard index < Self.capacity else { return -1 }
            store(index)
            count.store(index + 1, ordering: .releasing)
            known[kind + ":" + name] = Int32(index)
            return Int32(index)
        }
    }

    @inline(__always)
    func add(_ delta: UInt64, to handle: Int32) {
        guard handle >= 0, Int(handle) < counterCount.load(ordering: .acquiring) else { return }
        counters[Int(handle)]!._withUnsafeGuaranteedRef { $0.increment(by: Int64(clamping: delta)) }
    }

    @inline(__always)
    func set(_ value: Double, on handle: Int32) {
        guard handle >= 0, Int(handle) < gaugeCount.load(ordering: .acquiring) else { return }
        gauges[Int(handle)]!._withUnsafeGuaranteedRef { $0.record(value) }
    }
}

private func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
}
