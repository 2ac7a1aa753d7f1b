import Foundation
import L4Common
import SashaABI
import SashaCapture
import SashaSDK
import SashaTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the fake host heard: log lines and `data_path_failed` reasons.
private let heardLogs = Mutex<[String]>([])
private let heardFailures = Mutex<[String]>([])

private let recordingHost: PluginHost = {
    let table = UnsafeMutablePointer<sasha_host>.allocate(capacity: 1)
    table.initialize(to: sasha_host(
        struct_size: UInt32(MemoryLayout<sasha_host>.size), abi_version: SASHA_ABI_VERSION, context: nil,
        log: { _, _, message in
            guard let message else { return }
            let line = String(cString: message)
            heardLogs.withLock { $0.append(line) }
        },
        register_counter: nil, register_gauge: nil, counter_add: nil, gauge_set: nil,
        monotonic_ns: { _ in UInt64(DispatchTime.now().uptimeNanoseconds) },
        pick: nil, connection_opened: nil, connection_closed: nil, exclude_server: nil, serve_also: nil,
        data_path_failed: { _, reason in
            let line = reason.map { String(cString: $0) } ?? ""
            heardFailures.withLock { $0.append(line) }
        }))
    return PluginHost(UnsafePointer(table))
}()

/// Frames the current capture handed over, across reopens.
final class Seen: Sendable {
    let frames = Atomic<Int>(0)
}

/// A running L4 path whose capture fails is reopened, or reported to the host (issue 22). Root:
/// the lab's network namespaces and AF_PACKET sockets.
@Suite("path watch", .serialized, .enabled(if: Privileges.isRoot, "needs root (network namespaces, AF_PACKET): CI runs it as root"))
struct PathWatchTests {
    /// A runtime on s1's eth0 whose launch opens a capture for an experimental EtherType; what the
    /// fake host heard is forgotten first.
    func start(in lab: L4Lab, seen: Seen) throws -> L4Runtime {
        heardLogs.withLock { $0 = [] }
        heardFailures.withLock { $0 = [] }
        let node = IPv4Address(lab.address("s1"))!, vip = IPv4Address(lab.vip)!
        let runtime = L4Runtime(name: "watch-test", node: node, vip: vip, ports: [9])
        let context = StrategyContext(node: node, vip: vip, ports: [9])
        let settings = try L4Settings(options: PluginOptions(values: ["interface": .string("eth0")]), context: context, validating: false)
        let connections = ConnectionMap(settings: settings, host: recordingHost, counters: runtime.counters, node: node)
        let namespace = lab.namespace("s1")
        try NetworkNamespace.within(namespace) {
            try runtime.start(host: recordingHost) { _ throws(OptionError) in
                do {
                    return try NetworkNamespace.within(namespace) { () throws(OptionError) -> L4Runtime.Running in
                        let port = try LinkPort(interface: "eth0", filter: "ether proto 0x88b5", bufferBytes: 1 << 20)
                        try L4Runtime.startCaptures(input: port, { _ in seen.frames.add(1, ordering: .relaxed) }, idle: {},
                                                    output: port, nil)
                        return L4Runtime.Running(connections: connections, ports: [port], claims: [])
                    }
                } catch let error as OptionError {
                    throw error
                } catch {
                    throw OptionError("\(error)")
                }
            }
        }
        return runtime
    }

    /// Sends one frame of the test's EtherType from d1 to s1.
    func send(in lab: L4Lab) async throws -> Bool {
        let frame = lab.mac("s1") + lab.mac("d1") + [0x88, 0xb5] + [UInt8](repeating: 7, count: 50)
        let injector = try await NetworkNamespace.run(in: lab.namespace("d1")) { try FrameInjector(interface: "eth0") }
        return frame.withUnsafeBytes { injector.inject($0) }
    }

    func eventually(within timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    /// Runs `body` with a lab and a running path on s1 that has seen a frame already.
    func withRunningPath(_ body: (L4Lab, Seen) async throws -> Void) async throws {
        let lab = try L4Lab.up(topology: .one)
        defer { lab.tearDown() }
        let seen = Seen()
        let runtime = try start(in: lab, seen: seen)
        defer { runtime.stop(host: recordingHost) }
        #expect(try await framesArrive(in: lab, seen: seen))
        try await body(lab, seen)
    }

    /// Whether a frame sent from d1 reaches the capture within a few tries.
    func framesArrive(in lab: L4Lab, seen: Seen) async throws -> Bool {
        let before = seen.frames.load(ordering: .relaxed)
        for _ in 0..<20 {
            _ = try await send(in: lab)
            if await eventually(within: .milliseconds(250), { seen.frames.load(ordering: .relaxed) > before }) { return true }
        }
        return false
    }

    /// A link that goes down and up leaves the packet socket bound (libpcap reports nothing):
    /// frames flow again without a reopen.
    @Test func aLinkFlapIsRiddenOutWithoutAReopen() async throws {
        try await withRunningPath { lab, seen throws in
            _ = lab.exec(host: "s1", ["ip", "link", "set", "eth0", "down"])
            try await Task.sleep(for: .milliseconds(500))
            _ = lab.exec(host: "s1", ["ip", "link", "set", "eth0", "up"])
            #expect(try await framesArrive(in: lab, seen: seen), "no frame after the flap")
            #expect(heardFailures.withLock { $0 }.isEmpty)
            #expect(!heardLogs.withLock { $0 }.contains { $0.contains("reopening") })
        }
    }

    /// An interface deleted and made again within the reopen attempts (a driver reload, a veth
    /// recreated by a container runtime) gets a new capture, which sees frames.
    @Test func aCaptureWhoseInterfaceCameBackIsReopened() async throws {
        try await withRunningPath { lab, seen throws in
            _ = lab.exec(host: "bridges", ["ip", "link", "del", "s1-lan"])
            #expect(await eventually(within: .seconds(2)) { heardLogs.withLock { $0.contains { $0.contains("reopening") } } },
                    "the failed capture was not noticed: \(heardLogs.withLock { $0 })")
            for argv in [["ip", "link", "add", "s1-lan", "type", "veth", "peer", "name", "eth0", "netns", lab.namespace("s1")],
                         ["ip", "link", "set", "s1-lan", "master", "lan", "up"]] {
                #expect(lab.exec(host: "bridges", argv).status == 0, "\(argv)")
            }
            for argv in [["ip", "link", "set", "eth0", "address", lab.environment["LAB_s1_eth0_MAC"] ?? ""],
                         ["ip", "link", "set", "eth0", "up"]] {
                #expect(lab.exec(host: "s1", argv).status == 0, "\(argv)")
            }
            #expect(await eventually(within: .seconds(4)) { heardLogs.withLock { $0.contains { $0.contains("capture reopened") } } },
                    "not reopened: \(heardLogs.withLock { $0 })")
            #expect(heardFailures.withLock { $0 }.isEmpty)
            #expect(try await framesArrive(in: lab, seen: seen), "no frame reached the reopened capture")
        }
    }

    @Test func aCaptureWhoseInterfaceIsGoneIsReportedToTheHost() async throws {
        let lab = try L4Lab.up(topology: .one)
        defer { lab.tearDown() }
        let runtime = try start(in: lab, seen: Seen())
        defer { runtime.stop(host: recordingHost) }
        #expect(lab.exec(host: "s1", ["ip", "link", "del", "eth0"]).status == 0)
        // Noticed within the watch interval, then five attempts half a second apart.
        #expect(await eventually(within: .seconds(5)) { !heardFailures.withLock { $0 }.isEmpty },
                "the host was not told: \(heardLogs.withLock { $0 })")
        let reason = heardFailures.withLock { $0.first } ?? ""
        #expect(reason.contains("could not be reopened"))
        #expect(reason.contains("eth0"))
        // Stopping after the failure (the core does) is clean and idempotent.
        runtime.stop(host: recordingHost)
        #expect(runtime.stats().contains("\"running\":false"))
    }
}
