import Foundation
import Logging
import SashaCore
import SashaRing
import Synchronization
import Testing

extension ClusterSuite {
    @Suite("the role-change API strategies attach to")
    struct RoleObservers {
        final class Recorder: RoleObserver {
            let events = Mutex<[RoleEvent]>([])
            func roleChanged(_ event: RoleEvent) { events.withLock { $0.append(event) } }
            var roles: [RingRole] { events.withLock { $0.map(\.to) } }
        }

        @Test("an observer hears the role it joined in, then each change in order, on an in-process member")
        func observerSeesChanges() async throws {
            let cluster = try TestCluster(port: 7620, size: 2)
            let settings = try DaemonSettings.prepare(configPath: cluster.configPath, node: try #require(.init("127.0.0.1")))
            let daemon = try Daemon.start(settings, logger: Logger(label: "test"), registry: nil)
            let running = Task { try await daemon.run() }
            defer { daemon.shutdown() }
            let recorder = Recorder()
            daemon.node.addRoleObserver(recorder)

            try cluster.start("127.0.0.2")
            let formed = await cluster.waitForAgreement(cluster.addresses)
            try #require(formed != nil, "no agreement\n\(cluster.logs())")
            let deadline = ContinuousClock.now + .seconds(10)
            while recorder.roles.last != .dispatcher, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            // Attached before or after the ring of one formed: either way it ends as dispatcher,
            // and no event repeats the role it already had.
            let roles = recorder.roles
            #expect(roles.last == .dispatcher, "\(roles)")
            #expect(zip(roles, roles.dropFirst()).allSatisfy { $0 != $1 }, "\(roles)")
            #expect(recorder.events.withLock { $0.last?.view?.dispatcher?.description } == "127.0.0.1")

            cluster.signal("127.0.0.2", SIGTERM)
            while recorder.roles.last != .standalone, ContinuousClock.now < deadline + .seconds(10) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(recorder.roles.last == .standalone, "\(recorder.roles)")
            #expect(recorder.events.withLock { $0.last?.cause } == "member left gracefully")

            daemon.shutdown()
            try await running.value
        }
    }
}
