import Foundation
import SashaTestSupport

/// Faults of the network for the chaos lab, made on the hosts of `examples/lab/lab.sh` (topology
/// one: every host on the bridge `lan` in the lab's bridge namespace, host H's port `H-lan`).
///
/// This kernel has no `sch_netem` (nor `nft queue`), so loss is made with nft on the bridge
/// (`numgen random mod 100 < N drop`) and duplication with nft's `dup` on the ports' egress;
/// delay and reordering cannot be made here (see docs/operations.md, "Network faults").
struct ChaosFault: Sendable, CustomStringConvertible {
    /// Whose link a fault takes, chosen from the ring when the fault starts.
    enum Target: String, Sendable { case dispatcher, server, master }

    enum Kind: Sendable {
        /// `ip link set eth0 down`, then up.
        case linkDown(Target)
        /// N% of the frames dropped: to and from `target`'s host, or every frame on the bridge.
        case loss(percent: Int, target: Target?)
        /// N% of the frames delivered twice: to `target`'s host, or to every host.
        case duplicate(percent: Int, target: Target?)
        /// The MTU of `target`'s link (both ends) dropped to `mtu`.
        case mtu(Int, Target)
        /// `target`'s network interface deleted (the veth pair with it), then made again; the
        /// member's process runs on throughout.
        case interfaceGone(Target)
        /// `target`'s host vanishes: every process in its namespace killed, the namespace
        /// deleted; healed by building the host again and starting its member.
        case hostGone(Target)
    }

    var kind: Kind
    var duration: Duration

    var description: String {
        switch kind {
        case let .linkDown(target): "link down/up of the \(target)"
        case let .loss(percent, target): "\(percent)% loss " + (target.map { "on the \($0)'s link" } ?? "on all links")
        case let .duplicate(percent, target): "\(percent)% duplication " + (target.map { "on the \($0)'s link" } ?? "on all links")
        case let .mtu(mtu, target): "MTU \(mtu) on the \(target)'s link"
        case let .interfaceGone(target): "the \(target)'s interface deleted and made again"
        case let .hostGone(target): "the \(target)'s host vanishes (namespace deleted), then comes back"
        }
    }

    var target: Target? {
        switch kind {
        case let .linkDown(target), let .mtu(_, target), let .interfaceGone(target), let .hostGone(target): target
        case let .loss(_, target), let .duplicate(_, target): target
        }
    }

    /// Loss and duplication leave every member running: any purge during them is a false one.
    var noMemberFails: Bool {
        switch kind {
        case .loss, .duplicate: true
        default: false
        }
    }

    /// The short schedule CI runs (each fault once, a few seconds), or with SASHA_CHAOS_LONG=1
    /// the long one (every fault, longer).
    static func schedule(long: Bool) -> [ChaosFault] {
        let hold: Duration = long ? .seconds(20) : .seconds(5)
        var faults: [ChaosFault] = [
            ChaosFault(kind: .linkDown(.dispatcher), duration: .seconds(3)),
            ChaosFault(kind: .linkDown(.server), duration: .seconds(3)),
            ChaosFault(kind: .linkDown(.master), duration: .seconds(3)),
            ChaosFault(kind: .loss(percent: 5, target: nil), duration: hold),
            ChaosFault(kind: .loss(percent: 20, target: .dispatcher), duration: hold),
            ChaosFault(kind: .duplicate(percent: 10, target: nil), duration: hold),
            ChaosFault(kind: .mtu(1280, .dispatcher), duration: .seconds(3)),
            ChaosFault(kind: .interfaceGone(.server), duration: .seconds(3)),
        ]
        if long {
            faults += [
                ChaosFault(kind: .loss(percent: 5, target: .dispatcher), duration: hold),
                ChaosFault(kind: .loss(percent: 20, target: nil), duration: hold),
                ChaosFault(kind: .duplicate(percent: 10, target: .dispatcher), duration: hold),
                ChaosFault(kind: .hostGone(.server), duration: .seconds(3)),
            ]
        }
        return faults
    }
}

/// The lab's hosts as the faults see them.
struct ChaosNetwork {
    let lab: L4Lab

    private var bridges: String { "bridges" }
    private func port(_ host: String) -> String { "\(host)-lan" }

    /// Makes `fault` on `host` (the host its target named, nil for faults on every link).
    func inject(_ fault: ChaosFault, on host: String?, folder: TemporaryFolder, members: LabMembers) throws {
        switch fault.kind {
        case .linkDown:
            try run(host!, ["ip", "link", "set", "eth0", "down"])
        case let .loss(percent, _):
            let match = host.map { ["iifname \"\(port($0))\" ", "oifname \"\(port($0))\" "] } ?? [""]
            let rules = match.map { "        \($0)numgen random mod 100 < \(percent) drop" }.joined(separator: "\n")
            try nft(folder, "loss.nft", """
                table bridge chaos {
                    chain forward {
                        type filter hook forward priority 0; policy accept;
                \(rules)
                    }
                }
                """)
        case let .duplicate(percent, _):
            let hosts = host.map { [$0] } ?? lab.hosts
            let chains = hosts.map { name in
                """
                    chain dup_\(name) {
                        type filter hook egress device "\(port(name))" priority 0;
                        numgen random mod 100 < \(percent) dup to "\(port(name))"
                    }
                """
            }.joined(separator: "\n")
            try nft(folder, "dup.nft", "table netdev chaos {\n\(chains)\n}\n")
        case let .mtu(mtu, _):
            try run(bridges, ["ip", "link", "set", port(host!), "mtu", "\(mtu)"])
            try run(host!, ["ip", "link", "set", "eth0", "mtu", "\(mtu)"])
        case .interfaceGone:
            try run(bridges, ["ip", "link", "del", port(host!)])
        case .hostGone:
            members.kill(host!)
            for pid in L4Lab.command("/usr/sbin/ip", ["netns", "pids", lab.namespace(host!)]).output.split(separator: "\n") {
                if let pid = Int32(pid) { kill(pid, SIGKILL) }
            }
            try command("/usr/sbin/ip", ["netns", "del", lab.namespace(host!)])
            // The namespace, and the veth pair with it, goes when its last process has: wait
            // for the bridge's end, so that the heal can make the link again.
            let deadline = ContinuousClock.now + .seconds(10)
            while lab.exec(host: bridges, ["ip", "link", "show", port(host!)]).status == 0, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    /// Undoes `fault`.
    func heal(_ fault: ChaosFault, on host: String?, members: LabMembers, start: () throws -> Void) throws {
        switch fault.kind {
        case .linkDown:
            try run(host!, ["ip", "link", "set", "eth0", "up"])
        case .loss:
            try run(bridges, ["nft", "delete", "table", "bridge", "chaos"])
        case .duplicate:
            try run(bridges, ["nft", "delete", "table", "netdev", "chaos"])
        case .mtu:
            try run(host!, ["ip", "link", "set", "eth0", "mtu", "1500"])
            try run(bridges, ["ip", "link", "set", port(host!), "mtu", "1500"])
        case .interfaceGone:
            try attach(host!)
        case .hostGone:
            try command("/usr/sbin/ip", ["netns", "add", lab.namespace(host!)])
            try run(host!, ["ip", "link", "set", "lo", "up"])
            try attach(host!)
            try start()
        }
    }

    /// Host `host`'s link to the bridge again, as lab.sh made it: same MAC, address, no TX offload.
    private func attach(_ host: String) throws {
        try run(bridges, ["ip", "link", "add", port(host), "type", "veth", "peer", "name", "eth0", "netns", lab.namespace(host)])
        try run(host, ["ip", "link", "set", "eth0", "address", lab.environment["LAB_\(host)_eth0_MAC"] ?? ""])
        try run(bridges, ["ip", "link", "set", port(host), "master", "lan", "up"])
        try run(host, ["ip", "addr", "add", lab.address(host, interface: "eth0") + "/24", "dev", "eth0"])
        try run(host, ["ip", "link", "set", "eth0", "up"])
        try run(bridges, ["ethtool", "-K", port(host), "tx", "off"])
        try run(host, ["ethtool", "-K", "eth0", "tx", "off"])
    }

    private func nft(_ folder: TemporaryFolder, _ name: String, _ rules: String) throws {
        try run(bridges, ["nft", "-f", try folder.write(name, rules)])
    }

    private func run(_ host: String, _ argv: [String]) throws {
        let result = lab.exec(host: host, argv)
        guard result.status == 0 else {
            throw NetworkNamespace.SetupError(description: "\(host): \(argv.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
    }

    private func command(_ executable: String, _ arguments: [String]) throws {
        let result = L4Lab.command(executable, arguments)
        guard result.status == 0 else {
            throw NetworkNamespace.SetupError(description: "\(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
    }
}

/// A request through the VIP every 50 ms on a new connection (0.5 s timeout), from the client:
/// when the service stopped and when it came back. Each line of its output is "TIME OK" (TIME in
/// seconds since the epoch, OK 1 or 0).
enum VIPProbe {
    static let script = """
        import socket, sys, time
        vip, port, seconds, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
        end = time.time() + seconds
        with open(out, "w") as f:
            while time.time() < end:
                start = time.time()
                ok = 0
                try:
                    s = socket.create_connection((vip, port), timeout=0.5)
                    s.settimeout(0.5)
                    s.sendall(b"GET / HTTP/1.1\\r\\nHost: lab\\r\\nConnection: close\\r\\n\\r\\n")
                    ok = 1 if s.recv(64).startswith(b"HTTP/1.1 200") else 0
                    s.close()
                except OSError:
                    pass
                f.write("%.3f %d\\n" % (start, ok))
                f.flush()
                time.sleep(max(0.0, 0.05 - (time.time() - start)))
        """

    /// From the probe's output: the longest outage that began at or after `since` (seconds
    /// since the epoch), from its first failed probe to the next good one; 0 when none failed,
    /// nil when the service had not come back by the end.
    static func outage(_ output: String, since: Double) -> Double? {
        let samples = output.split(separator: "\n").compactMap { line -> (Double, Bool)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let time = Double(parts[0]) else { return nil }
            return (time, parts[1] == "1")
        }.filter { $0.0 >= since }
        var longest = 0.0
        var failedAt: Double?
        for (time, ok) in samples {
            if ok, let start = failedAt {
                longest = max(longest, time - start)
                failedAt = nil
            } else if !ok, failedAt == nil {
                failedAt = time
            }
        }
        return failedAt == nil ? longest : nil
    }
}
