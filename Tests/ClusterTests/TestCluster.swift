import Foundation
import SashaCore
import SashaTestSupport

/// Real `sasha run` processes on 127.0.0.1-127.0.0.N, one YAML file, a control folder inside a
/// temporary folder (short, so socket paths fit), each member's log in its own file. Every child
/// is killed when the cluster is dropped, whatever the test did.
final class TestCluster {
    let folder: TemporaryFolder
    let configPath: String
    let controlDir: String
    let addresses: [String]
    private var processes: [String: Process] = [:]

    struct Timing {
        var heartbeat = 20, tokenTimeout = 150, broadcastTimeout = 100
        static let fast = Timing()
    }

    /// - Parameters:
    ///   - security: the YAML that goes into `ring` for the key (`insecure: true` by default).
    init(port: Int, size: Int, timing: Timing = .fast, security: String = "insecure: true") throws {
        folder = try TemporaryFolder()
        // Straight under /tmp whatever TMPDIR says: a socket path must fit in 107 bytes.
        var template = Array("/tmp/sasha-ctl-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        controlDir = String(cString: made) + "/c"
        addresses = (1...size).map { "127.0.0.\($0)" }
        configPath = try folder.write("cluster.yaml", Self.yaml(port: port, members: addresses, timing: timing,
                                                                 security: security, controlDir: controlDir))
    }

    /// `key_file: PATH` for a ring off loopback (a lab of namespaces), where `insecure: true` is
    /// refused: a fresh key in the cluster's folder, written once.
    func ringKey() throws -> String {
        let path = folder.file("ring.key")
        if access(path, F_OK) != 0 {
            try RingKey.generate().write(to: path, replacing: false)
        }
        return "key_file: \(path)"
    }

    static func yaml(port: Int, members: [String], timing: Timing, security: String, controlDir: String,
                     metrics: String? = nil) -> String {
        """
        cluster: { name: test, vip: 127.0.0.100, ports: [\(port + 1000)] }
        ring:
          port: \(port)
          members: [\(members.joined(separator: ", "))]
          heartbeat_ms: \(timing.heartbeat)
          token_timeout_ms: \(timing.tokenTimeout)
          broadcast_timeout_ms: \(timing.broadcastTimeout)
          \(security)
        control: { dir: \(controlDir)\(metrics.map { ", metrics: \"\($0)\"" } ?? "") }
        """
    }

    deinit {
        killAll()
        try? FileManager.default.removeItem(atPath: (controlDir as NSString).deletingLastPathComponent)
    }

    // MARK: Processes

    func logPath(_ address: String) -> String { folder.file("\(address).log") }

    /// Starts `sasha run` for `address` (again, if it ran before; its log is appended to).
    @discardableResult
    func start(_ address: String, config: String? = nil) throws -> Process {
        let log = logPath(address)
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PackagePaths.sashaExecutable)
        process.arguments = ["run", "--config", config ?? configPath, "--node", address]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        processes[address] = process
        return process
    }

    func startAll() throws {
        for address in addresses { try start(address) }
    }

    func signal(_ address: String, _ signal: Int32) {
        guard let process = processes[address], process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    /// SIGKILL and reap.
    func kill9(_ address: String) {
        guard let process = processes[address] else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        processes[address] = nil
    }

    /// Waits for `address` to exit; its exit status, or nil if it still runs after `timeout`.
    func exitStatus(_ address: String, within timeout: Duration) async -> Int32? {
        guard let process = processes[address] else { return nil }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func killAll() {
        for address in processes.keys {
            if let process = processes[address], process.isRunning { kill(process.processIdentifier, SIGCONT) }
            kill9(address)
        }
    }

    // MARK: Status

    /// The member's status over its control socket, nil if it does not answer within a second.
    func status(_ address: String) -> StatusReport? {
        let path = controlDir + "/\(address).sock"
        guard let line = try? ControlClient.request(#"{"command":"status"}"#, at: path, timeoutSeconds: 1) else { return nil }
        return try? StatusReport.decode(line)
    }

    /// What `live` agree on: every one is a member of the same ring with exactly `live` as members
    /// and one dispatcher; nil until they do.
    func agreement(_ live: [String]) -> (dispatcher: String?, reports: [String: StatusReport])? {
        var reports: [String: StatusReport] = [:]
        for address in live {
            guard let report = status(address), report.state == "member", let ring = report.ring,
                  ring.members.map(\.address) == live.sorted(by: Self.addressOrder) else { return nil }
            reports[address] = report
        }
        let rings = Set(reports.values.map { "\($0.ring!.created) \($0.ring!.dispatcher ?? "-")" })
        guard rings.count == 1, let any = reports.values.first else { return nil }
        return (any.ring!.dispatcher, reports)
    }

    /// Polls until `live` agree (see `agreement`), for at most `timeout`.
    func waitForAgreement(_ live: [String], timeout: Duration = .seconds(30)) async -> (dispatcher: String?, reports: [String: StatusReport])? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let agreed = agreement(live) { return agreed }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// The kernel's view of a child (running, sleeping, stopped) from /proc, to tell a hung
    /// daemon from a stopped or starved one in a failure message.
    static func kernelState(_ pid: Int32) -> String {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return "state unknown" }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return "state \(fields.first ?? "?")"
    }

    static func addressOrder(_ a: String, _ b: String) -> Bool {
        a.split(separator: ".").map { Int($0)! }.lexicographicallyPrecedes(b.split(separator: ".").map { Int($0)! })
    }

    /// Every member's process state and log, for a failure message.
    func logs() -> String {
        addresses.map { address in
            let state = processes[address].map { $0.isRunning ? "running, pid \($0.processIdentifier), \(Self.kernelState($0.processIdentifier))"
                                                              : "exited \($0.terminationStatus)" } ?? "not started"
            return "--- \(address) (\(state))\n"
                + ((try? String(contentsOfFile: logPath(address), encoding: .utf8)) ?? "(no log)")
        }.joined(separator: "\n")
    }

    /// Runs `sasha` to completion (status, a refused start) and returns its exit status and
    /// output; a process still running after `timeout` is killed and reported as status -1, so a
    /// daemon that should have refused cannot hang the test.
    func sasha(_ arguments: [String], timeout: Duration = .seconds(20)) async throws -> (status: Int32, output: String) {
        let output = folder.file("command-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PackagePaths.sashaExecutable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        var status: Int32 = -1
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        } else {
            status = process.terminationStatus
        }
        return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }
}
