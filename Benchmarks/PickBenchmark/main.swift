import Dispatch
import LeastConnectionsPolicy
import MaglevPolicy
import RoundRobinPolicy
import SashaABI
import SashaCore
import SashaSDK
import TwoChoicesPolicy
import WeightedRoundRobinPolicy

#if canImport(Glibc)
import Glibc
#endif

// Nanoseconds per `pick` through the real plugin boundary: each built-in policy is loaded from its
// .so by the same loader the daemon uses, given 64 servers, and asked for servers for a spread of
// flows. Four ways, side by side in one run:
//   direct    the same Swift class linked into this program, called without the boundary
//   boundary  the host calling the plugin's C `pick` (PolicyInstance.pick)
//   host      what a strategy does: sasha_host.pick -> current policy -> plugin
//   2 threads the boundary call from two threads at once (wall time per pick per thread)
// Each figure is the median of `rounds` rounds of `picks` picks. Every server carries 1 to 5 open
// connections, so least-connections and two-choices compare real loads.

let arguments = CommandLine.arguments
let rounds = arguments.count > 1 ? Int(arguments[1]) ?? 21 : 21
let picks = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
let serverCount = 64
let policies: [(name: String, type: any Policy.Type)] = [
    ("round-robin", RoundRobin.self), ("weighted-round-robin", WeightedRoundRobin.self),
    ("least-connections", LeastConnections.self), ("maglev", Maglev.self), ("two-choices", TwoChoices.self),
]

let servers = (0..<serverCount).map { index in
    // 198.18.0.0/15: addresses set aside for benchmarks; nothing is sent to them.
    Server(address: IPv4Address(0xC612_0000 | UInt32(index + 1)), port: 8080, weight: 1 + index % 4)
}
let flows: [sasha_flow] = (0..<4096).map { (index: Int) -> sasha_flow in
    let client = IPv4Address(0x7F00_0000 | UInt32(index * 7919 % 65_000))
    let port = UInt16(1024 + index % 60_000)
    return Flow(client: client, clientPort: port, clusterPort: 8080).raw
}

func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

/// Runs `body` over all flows `picks` times and returns nanoseconds per pick.
@inline(never)
func measure(_ body: (UnsafePointer<sasha_flow>) -> UInt32) -> Double {
    var sink: UInt32 = 0
    let start = now()
    flows.withUnsafeBufferPointer { buffer in
        let base = buffer.baseAddress!
        for index in 0..<picks { sink &+= body(base + (index & 4095)) }
    }
    let elapsed = now() - start
    if sink == 0xFFFF_FFFF { print("") }  // keeps the loop from being optimised away
    return Double(elapsed) / Double(picks)
}

func measureTwoThreads(_ policy: PolicyInstance) -> Double {
    final class Result: @unchecked Sendable { var nanoseconds = [Double](repeating: 0, count: 2) }
    let result = Result()
    let instance = UncheckedSendable(policy)
    DispatchQueue.concurrentPerform(iterations: 2) { thread in
        result.nanoseconds[thread] = measure { instance.value.pick($0) }
    }
    return result.nanoseconds.max()!
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

guard let folder = PluginSearchPath.executableDirectory else { fatalError("cannot find the plugins' folder") }
let loader = PluginLoader(searchPaths: [folder])
/// A member's host services: the strategy path's `pick` goes through its table to its policy.
let member = HostServices()

print("pick through the plugin boundary: \(serverCount) servers, median of \(rounds) rounds × \(picks) picks, ns per pick")
print("")
print("| policy | direct | boundary | host (strategy path) | 2 threads | boundary / direct |")
print("|---|---:|---:|---:|---:|---:|")
for (name, type) in policies {
    let plugin: LoadedPlugin
    switch loader.load(name: name, kind: .policy) {
    case .success(let loaded): plugin = loaded
    case .failure(let refusal): fatalError("\(refusal)")
    }
    let policy = try plugin.makePolicy(options: .object([:]))
    policy.serversChanged(ServerList(servers: servers))
    member.currentPolicy.replace(with: policy)
    let hostTable = member.table(for: "bench")
    let direct = try type.init(options: PluginOptions(), host: nil)
    direct.serversChanged(ServerList(servers: servers))
    // Servers under load, as on a busy dispatcher: 1 to 5 open connections each, so load-aware
    // policies compare real counts instead of stopping at the first idle server.
    for (index, server) in servers.enumerated() {
        for _ in 0...(index % 5) {
            policy.connectionOpened(on: server.address.value)
            direct.connectionOpened(on: server.address)
        }
    }
    var inImage: [Double] = []
    var boundary: [Double] = []
    var viaHost: [Double] = []
    var twoThreads: [Double] = []
    for _ in 0..<rounds {
        inImage.append(measure { direct.pick(Flow($0.pointee))?.value ?? 0 })
        boundary.append(measure { policy.pick($0) })
        viaHost.append(measure { hostTable.pointee.pick(hostTable, $0) })
        twoThreads.append(measureTwoThreads(policy))
    }
    let ratio = median(boundary) / median(inImage)
    print("| \(name) | \(format(median(inImage))) | \(format(median(boundary))) | \(format(median(viaHost))) | \(format(median(twoThreads))) | \(format(ratio))× |")
}

func format(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}
