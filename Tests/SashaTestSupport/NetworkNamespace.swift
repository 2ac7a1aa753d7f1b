import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Work inside a network namespace from an in-process test, and `ip` for building them.
public enum NetworkNamespace {
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `body` on a thread of its own that has joined `namespace` (setns(2) moves only the
    /// calling thread; threads it starts, such as event loops, inherit the namespace).
    /// `prepare` runs first in the namespace and returns an error message to stop there (for
    /// example after dropping capabilities, which are per thread too).
    ///
    /// The thread goes back to the process's own namespace before it resumes the caller:
    /// resuming may make the runtime start a pool thread from this one, and a pool thread born in
    /// the namespace would take every later test's loopback sockets there. For the same reason
    /// `body` must not start pooled work itself (no `Process`, no Dispatch).
    public static func run<Result: Sendable>(
        in namespace: String, prepare: @escaping @Sendable () -> String? = { nil },
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                let home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
                let descriptor = open("/var/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
                defer { close(home); close(descriptor) }
                guard home >= 0, descriptor >= 0 else {
                    return continuation.resume(throwing: SetupError(description: "open netns \(namespace): errno \(errno)"))
                }
                guard setns(descriptor, newNetworkNamespace) == 0 else {
                    return continuation.resume(throwing: SetupError(description: "setns \(namespace): errno \(errno)"))
                }
                let result: Swift.Result<Result, any Error>
                if let problem = prepare() {
                    result = .failure(SetupError(description: problem))
                } else {
                    result = Swift.Result { try body() }
                }
                guard setns(home, newNetworkNamespace) == 0 else { fatalError("cannot return to the process's network namespace") }
                continuation.resume(with: result)
            }.start()
        }
    }

    /// Runs `body` on the calling thread inside `namespace`, then moves the thread back: for code
    /// that the system under test calls on a thread of its own (a reopen on a watch queue). The
    /// same rule as `run`: `body` must not start pooled work.
    public static func within<Result>(_ namespace: String, _ body: () throws -> Result) throws -> Result {
        let home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
        let descriptor = open("/var/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
        defer { close(home); close(descriptor) }
        guard home >= 0, descriptor >= 0 else { throw SetupError(description: "open netns \(namespace): errno \(errno)") }
        guard setns(descriptor, newNetworkNamespace) == 0 else { throw SetupError(description: "setns \(namespace): errno \(errno)") }
        defer { if setns(home, newNetworkNamespace) != 0 { fatalError("cannot return to the process's network namespace") } }
        return try body()
    }

    /// Runs `/usr/sbin/ip` with `arguments`; its exit status and output (both streams).
    @discardableResult
    public static func ip(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return (-1, "cannot run /usr/sbin/ip") }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    private static let newNetworkNamespace: Int32 = 0x4000_0000 // CLONE_NEWNET

    /// glibc's setns, which the Swift Glibc module does not declare.
    private static let setns = unsafeBitCast(dlsym(nil, "setns"), to: (@convention(c) (Int32, Int32) -> Int32).self)
}
