import Foundation
import SashaTestSupport
import Synchronization

/// Two network namespaces joined by a veth pair, `link0` (198.18.9.1/24) in `a` and `link1`
/// (198.18.9.2/24) in `b`, both up. Names carry the test process's id and a counter, so parallel
/// tests and parallel test runs do not collide; pairs left by a run that died are removed first.
/// Needs root.
final class NamespacePair: Sendable {
    static let prefix = "sasha-link-"
    let a: String
    let b: String
    let linkA = "link0"
    let linkB = "link1"

    private static let made = Atomic<Int>(0)

    init() throws {
        Self.removeLeftovers()
        let id = "\(getpid())-\(Self.made.add(1, ordering: .relaxed).newValue)"
        a = Self.prefix + id + "-a"
        b = Self.prefix + id + "-b"
        let commands = [
            ["netns", "add", a], ["netns", "add", b],
            ["-n", a, "link", "add", linkA, "type", "veth", "peer", "name", linkB, "netns", b],
            ["-n", a, "addr", "add", "198.18.9.1/24", "dev", linkA], ["-n", b, "addr", "add", "198.18.9.2/24", "dev", linkB],
            ["-n", a, "link", "set", linkA, "up"], ["-n", b, "link", "set", linkB, "up"],
            ["-n", a, "link", "set", "lo", "up"], ["-n", b, "link", "set", "lo", "up"],
        ]
        for command in commands {
            let (status, output) = Self.ip(command)
            guard status == 0 else {
                tearDown()
                throw SetupError(description: "ip \(command.joined(separator: " ")) failed (\(status)): \(output)")
            }
        }
    }

    typealias SetupError = NetworkNamespace.SetupError

    deinit { tearDown() }

    func tearDown() {
        Self.ip(["netns", "del", a])
        Self.ip(["netns", "del", b])
    }

    /// `ip -o -4 addr show dev <interface>` in `namespace`, as "address/prefix" strings.
    func addresses(in namespace: String, on interface: String) -> [String] {
        Self.ip(["-n", namespace, "-o", "-4", "addr", "show", "dev", interface]).output
            .split(separator: "\n")
            .compactMap { line in
                let words = line.split(separator: " ")
                return words.firstIndex(of: "inet").flatMap { words.index(after: $0) < words.endIndex ? String(words[$0 + 1]) : nil }
            }
    }

    /// The interface's MAC as `ip link` prints it.
    func mac(in namespace: String, of interface: String) -> String? {
        let words = Self.ip(["-n", namespace, "-o", "link", "show", "dev", interface]).output.split(separator: " ")
        return words.firstIndex(of: "link/ether").flatMap { words.index(after: $0) < words.endIndex ? String(words[$0 + 1]) : nil }
    }

    /// Runs `body` in `namespace` (see `NetworkNamespace.run`). With
    /// `droppingNetworkCapabilities`, the thread first gives up CAP_NET_ADMIN and CAP_NET_RAW
    /// (capabilities are per thread), to see the refusals a non-root daemon gets.
    func run<Result: Sendable>(
        in namespace: String, droppingNetworkCapabilities: Bool = false,
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await NetworkNamespace.run(in: namespace, prepare: {
            !droppingNetworkCapabilities || Self.dropNetworkCapabilities() ? nil : "capset: errno \(errno)"
        }, body)
    }

    /// glibc has capget and capset but the Swift Glibc module declares neither.
    private static let capget = unsafeBitCast(
        dlsym(nil, "capget"), to: (@convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32).self)
    private static let capset = unsafeBitCast(
        dlsym(nil, "capset"), to: (@convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32).self)

    /// Clears CAP_NET_ADMIN (12) and CAP_NET_RAW (13) from the calling thread's effective set.
    private static func dropNetworkCapabilities() -> Bool {
        // struct __user_cap_header_struct { u32 version = _LINUX_CAPABILITY_VERSION_3; int pid = 0 (this thread) }
        var header: [UInt32] = [0x2008_0522, 0]
        // Two struct __user_cap_data_struct { u32 effective, permitted, inheritable }.
        var data = [UInt32](repeating: 0, count: 6)
        guard capget(&header, &data) == 0 else { return false }
        data[0] &= ~(UInt32(1) << 12 | UInt32(1) << 13)
        return capset(&header, &data) == 0
    }

    /// Deletes pairs whose test process is gone.
    private static func removeLeftovers() {
        for line in ip(["netns", "list"]).output.split(separator: "\n") {
            guard let name = line.split(separator: " ").first, name.hasPrefix(prefix),
                  let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }),
                  kill(pid, 0) == -1, errno == ESRCH
            else { continue }
            ip(["netns", "del", String(name)])
        }
    }

    @discardableResult
    static func ip(_ arguments: [String]) -> (status: Int32, output: String) { NetworkNamespace.ip(arguments) }
}
