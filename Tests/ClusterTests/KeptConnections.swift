import Foundation
import SashaTestSupport
import Testing

/// 100 idle keep-alive connections through the VIP from the lab's client
/// (`L4LabTests.keepAliveHolder`), each asked once when opened: what a failover, a healed
/// partition or a flood must leave on the servers they had. The holder is killed when this goes.
final class KeptConnections {
    private let holder: Process
    private let go: String
    private let kept: String

    /// Opens them (waits up to 20 s); `why` names the situation in the failure message.
    init(_ lab: L4Lab, site: TemporaryFolder, why: String = "") async throws {
        let ready = site.file("ready")
        (go, kept) = (site.file("go"), site.file("kept"))
        holder = try lab.run(host: "client", argv: ["python3", "-c", L4LabTests.keepAliveHolder, lab.vip, ready, go, kept])
        let readyBy = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: ready) && ContinuousClock.now < readyBy { try await Task.sleep(for: .milliseconds(50)) }
        try #require(FileManager.default.fileExists(atPath: ready), "the 100 keep-alive connections did not open\(why)")
    }

    deinit { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }

    /// Asks each connection again (waits up to 30 s) and returns the holder's summary:
    /// "same N changed N failed N" and the first failures' reasons.
    func askAgain() async throws -> String {
        FileManager.default.createFile(atPath: go, contents: nil)
        let keptBy = ContinuousClock.now + .seconds(30)
        while holder.isRunning && ContinuousClock.now < keptBy { try await Task.sleep(for: .milliseconds(100)) }
        return (try? String(contentsOfFile: kept, encoding: .utf8)) ?? "(no summary)"
    }
}
