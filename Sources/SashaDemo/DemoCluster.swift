import Foundation
import SashaCore
import SashaSDK

/// The members of a demo cluster as child processes of `sasha demo`: one `sasha run` per
/// address in `ring.members`, each logging to its own file, stopped together with SIGTERM (a
/// graceful leave) and, if one lingers, SIGKILL.
public final class DemoCluster: @unchecked Sendable {
    public let configPath: String
    public let config: SashaConfig
    public let logFolder: String
    private let executable: String
    private var processes: [IPv4Address: Process] = [:]

    public init(configPath: String, config: SashaConfig, executable: String, logFolder: String) {
        self.configPath = configPath
        self.config = config
        self.executable = executable
        self.logFolder = logFolder
    }

    public var members: [IPv4Address] { config.ring.members }

    public func logPath(_ member: IPv4Address) -> String { "\(logFolder)/\(member).log" }

    /// Starts every member. Throws with the member and the reason when one cannot be started.
    public func start() throws {
        // Inside control.dir, which the members refuse if their group could write to it (a
        // umask of 002 would make it so): private from the start.
        try FileManager.default.createDirectory(atPath: logFolder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        for member in members { try start(member) }
    }

    /// Starts `member` (again: its log is appended to).
    public func start(_ member: IPv4Address) throws {
        if !FileManager.default.fileExists(atPath: logPath(member)) {
            _ = FileManager.default.createFile(atPath: logPath(member), contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath(member)))
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", "--config", configPath, "--node", member.description]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
        processes[member] = process
    }

    /// SIGKILL, as a crash would be (no leave), and reap; the member no longer counts as exited.
    public func kill9(_ member: IPv4Address) {
        guard let process = processes.removeValue(forKey: member) else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Members whose process has exited, with its status: the demo reports them and stops.
    public func exited() -> [(IPv4Address, Int32)] {
        processes.compactMap { member, process in process.isRunning ? nil : (member, process.terminationStatus) }
            .sorted { $0.0 < $1.0 }
    }

    /// The status of every member that answers.
    public func statuses() -> [IPv4Address: StatusReport] {
        var reports: [IPv4Address: StatusReport] = [:]
        for member in members {
            guard let socket = try? ControlSocketPath(folder: config.control.dir, node: member),
                  let line = try? ControlClient.request(#"{"command":"status"}"#, at: socket.path, timeoutSeconds: 1),
                  let report = try? StatusReport.decode(line) else { continue }
            reports[member] = report
        }
        return reports
    }

    /// Waits until every member is in one ring that has a dispatcher; nil on timeout.
    public func waitForRing(timeout: Duration) -> [IPv4Address: StatusReport]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let reports = statuses()
            let rings = Set(reports.values.compactMap { $0.ring.map { "\($0.created)/\($0.dispatcher ?? "-")" } })
            if reports.count == members.count, rings.count == 1,
               reports.values.allSatisfy({ $0.state == "member" && $0.ring?.dispatcher != nil }) {
                return reports
            }
            if !exited().isEmpty { return nil }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    /// SIGTERM to all, then SIGKILL to any still running after `grace`.
    public func stop(grace: Duration = .seconds(5)) {
        for process in processes.values where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while processes.values.contains(where: \.isRunning), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        for process in processes.values where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
