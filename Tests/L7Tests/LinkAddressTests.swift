import Foundation
@testable import L7Strategy
import SashaSDK
import SashaTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// On a real link the dispatcher adds the VIP to the ring's interface and gives it back on stop
/// (SashaLink); on loopback binding suffices. Runs in a network namespace of its own (root).
@Suite struct LinkAddressTests {
    @Test func loopbackAndLocalAddressesNeedNoLinkChange() {
        #expect(VirtualAddress(vip: IPv4Address(0x7F00_0264), interface: "eth0").linkInterface == nil)
        #expect(VirtualAddress(vip: IPv4Address(0xC612_0A64), interface: "lo").linkInterface == nil)
        #expect(VirtualAddress(vip: IPv4Address(0xC612_0A64), interface: nil).linkInterface == nil)
        #expect(VirtualAddress(vip: IPv4Address(0xC612_0A64), interface: "sasha-nosuch0").linkInterface == "sasha-nosuch0")
    }

    @Test func theVIPIsAddedToTheLinkWhileDispatchingAndRemovedAfter() async throws {
        let namespace = try LinkNamespace()
        defer { namespace.tearDown() }
        let vip = "198.18.10.100"
        // Made here, not on the namespace thread: whatever it starts lazily (NIO's singleton event
        // loops among them) must live in the test's own namespace, or every later test that
        // uses it would reach 127.0.0.0/8 of the namespace instead.
        let host = LinkNamespace.host
        let strategy = try await namespace.run {
            let strategy = try L7(
                options: PluginOptions(json: #"{"threads": 1}"#),
                context: StrategyContext(node: IPv4Address("198.18.10.1")!, vip: IPv4Address(vip)!, ports: [7_780], interface: "link0"),
                host: host)
            // Its event loops start on this thread, so they live in the namespace.
            try strategy.start()
            return strategy
        }
        let during = LinkNamespace.addresses(in: namespace.name, on: "link0")
        let reply = try await namespace.run { try? RawHTTP.get("/", host: "a", address: vip, port: 7_780, timeout: 5) }
        try await namespace.run { strategy.stop() }
        let outcome = (during: during, reply: reply, after: LinkNamespace.addresses(in: namespace.name, on: "link0"))
        #expect(outcome.during.contains("\(vip)/32"))
        // Listening on it: no servers yet, so the proxy itself answers.
        #expect(outcome.reply?.status == 503)
        #expect(!outcome.after.contains("\(vip)/32"))
        #expect(outcome.after.contains("198.18.10.1/24"))
    }
}

/// A network namespace with a veth pair (`link0` 198.18.10.1/24, `link1` 198.18.10.2/24), both
/// up; removed with the test. Named after the process, so parallel runs do not collide.
final class LinkNamespace: Sendable {
    let name = "sasha-l7-\(getpid())"

    /// A host table for a strategy made on a namespace thread (no policy: every pick is empty).
    static let host: PluginHost = try! ProxyHarness(start: false).host

    init() throws {
        Self.ip(["netns", "del", name])
        for command in [
            ["netns", "add", name],
            ["-n", name, "link", "add", "link0", "type", "veth", "peer", "name", "link1"],
            ["-n", name, "addr", "add", "198.18.10.1/24", "dev", "link0"],
            ["-n", name, "addr", "add", "198.18.10.2/24", "dev", "link1"],
            ["-n", name, "link", "set", "link0", "up"], ["-n", name, "link", "set", "link1", "up"],
            ["-n", name, "link", "set", "lo", "up"],
        ] {
            let (status, output) = Self.ip(command)
            guard status == 0 else {
                tearDown()
                throw SetupError(description: "ip \(command.joined(separator: " ")) failed: \(output)")
            }
        }
    }

    typealias SetupError = NetworkNamespace.SetupError

    func tearDown() { Self.ip(["netns", "del", name]) }

    /// Runs `body` in the namespace (see `NetworkNamespace.run`).
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await NetworkNamespace.run(in: name, body)
    }

    static func addresses(in namespace: String, on interface: String) -> [String] {
        ip(["-n", namespace, "-o", "-4", "addr", "show", "dev", interface]).output
            .split(separator: "\n")
            .compactMap { line in
                let words = line.split(separator: " ")
                return words.firstIndex(of: "inet").flatMap { words.index(after: $0) < words.endIndex ? String(words[$0 + 1]) : nil }
            }
    }

    @discardableResult
    static func ip(_ arguments: [String]) -> (status: Int32, output: String) { NetworkNamespace.ip(arguments) }
}
