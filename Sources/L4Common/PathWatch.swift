import Dispatch
import SashaCapture
import SashaSDK

#if canImport(Glibc)
import Glibc
#endif

/// A running data path whose capture fails (its interface went down or away: libpcap reports
/// "the interface went down" and the receive loop ends) is reopened; one that cannot be reopened
/// is reported to the host, which hands the dispatcher role to another member instead of holding
/// the VIP with no path (issue 22).
extension L4Runtime {
    /// How often the captures of a running path are looked at.
    static let watchInterval: DispatchTimeInterval = .milliseconds(100)
    /// Reopen attempts, a pause apart, before the path is reported failed: 2.5 s rides out a short
    /// flap; a longer one is the ring's business (the member is cut off, or the others take over).
    static let reopenAttempts = 5
    static let reopenPauseMicroseconds: UInt32 = 500_000

    private static let watchQueue = DispatchQueue(label: "sasha.l4.path-watch")

    /// Looks at the captures of run `run` every `watchInterval` until it stops or one fails.
    func watch(_ run: UInt64, host: PluginHost) {
        Self.watchQueue.asyncAfter(deadline: .now() + Self.watchInterval) { [self] in
            guard generation.load(ordering: .sequentiallyConsistent) == run,
                  let current = running.withLock({ $0 }) else { return }
            guard let failure = Self.failure(of: current) else { return watch(run, host: host) }
            reopen(run, after: failure, host: host)
        }
    }

    /// What is wrong with a run's captures: a receive loop that ended, or a socket whose interface
    /// was unregistered (libpcap may not have noticed yet).
    static func failure(of running: Running) -> CaptureError? {
        for port in running.ports {
            for capture in port.captures {
                if let failure = capture.failure { return failure }
                if !capture.isBoundToInterface {
                    return .pcap(interface: port.name, operation: "watch", reason: "the interface is gone (the capture socket is bound to none)")
                }
            }
        }
        return nil
    }

    /// Stops the failed run's captures and launches the path again, a few times; on the watch
    /// queue, so a stop meanwhile (a new generation) wins.
    private func reopen(_ run: UInt64, after failure: CaptureError, host: PluginHost) {
        host.log(.warning, "\(name): the capture failed (\(failure)); reopening it")
        guard let failed = takeRunning(ifStill: run) else { return }
        for port in failed.ports { for capture in port.captures { capture.stop() } }
        var lastError = "\(failure)"
        for attempt in 1...Self.reopenAttempts {
            usleep(Self.reopenPauseMicroseconds)
            let outcome: Result<Running, OptionError>? = running.withLock { running in
                guard generation.load(ordering: .sequentiallyConsistent) == run,
                      let launch = launcher.withLock({ $0 }) else { return nil }
                do throws(OptionError) {
                    running = try launch(host)
                    return .success(running!)
                } catch {
                    return .failure(error)
                }
            }
            switch outcome {
            case nil:
                return  // stopped meanwhile
            case .success(let reopened):
                host.log(.notice, "\(name): capture reopened (attempt \(attempt)); dispatching again")
                goLive(reopened, host: host)
                return watch(run, host: host)
            case .failure(let error):
                lastError = "\(error)"
            }
        }
        host.dataPathFailed("""
            \(name): the capture failed (\(failure)) and could not be reopened in \(Self.reopenAttempts) attempts \
            (last: \(lastError))
            """)
    }

    /// The running path of run `run`, taken out (nil when another run or a stop came first).
    private func takeRunning(ifStill run: UInt64) -> Running? {
        running.withLock { running in
            guard generation.load(ordering: .sequentiallyConsistent) == run else { return nil }
            defer { running = nil }
            return running
        }
    }
}
