import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The hosts of `examples/lab/lab.sh` for a test: network namespaces on bridged veth links, with
/// a prefix of the test's own so tests in parallel and runs in parallel do not meet.
///
///     let lab = try L4Lab.up(topology: .one)
///     defer { lab.tearDown() }
///     let capture = try await NetworkNamespace.run(in: lab.namespace("s1")) { ... }
///     let status = lab.exec(host: "client", ["bash", "-c", "echo > /dev/tcp/\(lab.address("s1"))/9999"])
///
/// Needs root (CI runs tests as root) and `ethtool`.
public final class L4Lab: Sendable {
    public enum Topology: String, Sendable {
        /// Every host on 198.18.0.0/24.
        case one
        /// Front link 198.18.1.0/24, back link 198.18.2.0/24, a router between them.
        case two
    }

    public let prefix: String
    public let topology: Topology
    /// The lab folder (lab.env, member logs).
    public let folder: String
    /// lab.env's variables: LAB_VIP, LAB_GATEWAY, LAB_<host>_NS, LAB_<host>_eth0, ... (README.md).
    public let environment: [String: String]

    public static let script = PackagePaths.root + "/examples/lab/lab.sh"

    /// Builds a lab. The first call in a process also removes labs left by test processes that
    /// are gone (a crash skips `tearDown`).
    public static func up(topology: Topology = .one) throws -> L4Lab {
        _ = leftoversRemoved
        let prefix = "sl\(getpid())x\(counter.next())"
        _ = runScript(["down", "--prefix", prefix])
        let (status, output) = runScript(["up", "--prefix", prefix, "--topology", topology.rawValue])
        guard status == 0 else {
            throw NetworkNamespace.SetupError(description: "lab.sh up failed (\(status)): \(output)")
        }
        let folder = "/tmp/sasha-lab-\(prefix)"
        let text = try String(contentsOfFile: folder + "/lab.env", encoding: .utf8)
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let value = line[line.index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            environment[String(line[..<equals])] = value
        }
        return L4Lab(prefix: prefix, topology: topology, folder: folder, environment: environment)
    }

    private init(prefix: String, topology: Topology, folder: String, environment: [String: String]) {
        self.prefix = prefix
        self.topology = topology
        self.folder = folder
        self.environment = environment
    }

    /// "client d1 d2 s1 s2 s3" (and "router" in topology two).
    public var hosts: [String] { (environment["LAB_HOSTS"] ?? "").split(separator: " ").map(String.init) }
    /// The hosts that run sasha: d1 d2 s1 s2 s3.
    public var members: [String] { (environment["LAB_MEMBERS"] ?? "").split(separator: " ").map(String.init) }
    public var vip: String { environment["LAB_VIP"] ?? "" }
    public var gateway: String { environment["LAB_GATEWAY"] ?? "" }

    /// The namespace of `host` ("client", "d1", ...), for `NetworkNamespace.run(in:)`.
    public func namespace(_ host: String) -> String { "\(prefix)-\(host)" }

    /// The host's main address (a member's ring address: its back-link address in topology two).
    public func address(_ host: String) -> String { environment["LAB_\(host)_ADDRESS"] ?? "" }

    /// The address of `host`'s `interface` ("eth0", "eth1").
    public func address(_ host: String, interface: String) -> String { environment["LAB_\(host)_\(interface)"] ?? "" }

    /// The MAC of `host`'s `interface` as six bytes.
    public func mac(_ host: String, interface: String = "eth0") -> [UInt8] {
        (environment["LAB_\(host)_\(interface)_MAC"] ?? "").split(separator: ":").compactMap { UInt8($0, radix: 16) }
    }

    /// Starts `argv` in `host`'s namespace (`ip netns exec`), output to `log` or discarded.
    /// The caller waits for it or terminates it; `tearDown` kills whatever is left in the lab.
    public func run(host: String, argv: [String], log: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace(host)] + argv
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try Self.launch(process)
        return process
    }

    /// Runs `argv` in `host`'s namespace to the end: its exit status and output (both streams).
    @discardableResult
    public func exec(host: String, _ argv: [String]) -> (status: Int32, output: String) {
        Self.command("/usr/sbin/ip", ["netns", "exec", namespace(host)] + argv)
    }

    /// Removes the lab and kills what runs in it (`lab.sh down`).
    public func tearDown() {
        _ = Self.runScript(["down", "--prefix", prefix])
    }

    /// Runs lab.sh; exit status and output (both streams).
    @discardableResult
    public static func runScript(_ arguments: [String]) -> (status: Int32, output: String) {
        command("/bin/bash", [script] + arguments)
    }

    /// Runs `executable` to the end; exit status and output (both streams). The output goes
    /// through a file, not a pipe: Foundation's pipe reading traps on EINTR, which the SIGCHLDs
    /// of tests running processes in parallel cause.
    public static func command(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        var template = Array("/tmp/sasha-lab-output-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { return (-1, "mkstemp: errno \(errno)") }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        let output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        guard (try? launch(process)) != nil else { return (-1, "cannot run \(executable)") }
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }

    /// Starts `process` with the termination signals unblocked.
    ///
    /// The threads tests run on block SIGTERM, SIGINT and others, and a child started by
    /// `Process` inherits that mask: `terminate()`, `timeout` or `kill` without -9 would then do
    /// nothing to it. The mask is cleared for those signals on this thread while it spawns.
    public static func launch(_ process: Process) throws {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM] { sigaddset(&unblock, signal) }
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// Labs whose prefix names a process that no longer exists, removed once per process.
    private static let leftoversRemoved: Bool = {
        var prefixes = Set<String>()
        for line in command("/usr/sbin/ip", ["netns", "list"]).output.split(separator: "\n") {
            guard let name = line.split(separator: " ").first, name.hasPrefix("sl"),
                  let dash = name.firstIndex(of: "-"), let x = name.firstIndex(of: "x"), x < dash,
                  let pid = Int32(name[name.index(name.startIndex, offsetBy: 2)..<x]), pid != getpid(),
                  kill(pid, 0) == -1, errno == ESRCH
            else { continue }
            prefixes.insert(String(name[..<dash]))
        }
        for prefix in prefixes { runScript(["down", "--prefix", prefix]) }
        return true
    }()

    private static let counter = Counter()

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }
}
