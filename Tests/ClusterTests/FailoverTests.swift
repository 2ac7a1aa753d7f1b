import Foundation
import SashaCore
import Testing

extension ClusterSuite {
    @Suite("failures and departures")
    struct Failover {
        @Test("kill -9 of the dispatcher: every survivor names the same new one; the killed member comes back as a server")
        func killDispatcher() async throws {
            let cluster = try TestCluster(port: 7530, size: 5)
            try cluster.startAll()
            let formed = await cluster.waitForAgreement(cluster.addresses)
            try #require(formed != nil, "no agreement\n\(cluster.logs())")
            let killed = try #require(formed?.dispatcher)

            cluster.kill9(killed)
            let survivors = cluster.addresses.filter { $0 != killed }
            let after = await cluster.waitForAgreement(survivors)
            try #require(after != nil, "survivors did not agree\n\(cluster.logs())")
            let successor = try #require(after?.dispatcher)
            #expect(successor != killed)
            #expect(survivors.contains(successor))

            try cluster.start(killed)
            let rejoined = await cluster.waitForAgreement(cluster.addresses)
            try #require(rejoined != nil, "the restarted member did not rejoin\n\(cluster.logs())")
            // No preemption: the restarted member serves; the dispatcher is still a survivor.
            #expect(rejoined?.reports[killed]?.role == "server", "\(cluster.logs())")
            #expect(rejoined?.dispatcher != killed)
        }

        @Test("SIGSTOP of a server removes it from the others' views; SIGCONT brings it back")
        func stopAndContinue() async throws {
            let cluster = try TestCluster(port: 7540, size: 5)
            try cluster.startAll()
            let formed = await cluster.waitForAgreement(cluster.addresses)
            try #require(formed != nil, "no agreement\n\(cluster.logs())")
            let frozen = try #require(cluster.addresses.last { $0 != formed?.dispatcher })

            cluster.signal(frozen, SIGSTOP)
            let others = cluster.addresses.filter { $0 != frozen }
            let without = await cluster.waitForAgreement(others)
            cluster.signal(frozen, SIGCONT)
            try #require(without != nil, "the others kept the frozen member\n\(cluster.logs())")

            let back = await cluster.waitForAgreement(cluster.addresses)
            try #require(back != nil, "the thawed member did not come back\n\(cluster.logs())")
            #expect(back?.reports[frozen]?.role == "server")
        }

        @Test("SIGTERM of the dispatcher hands the role over at once, not after a token timeout; the member exits 0")
        func gracefulHandover() async throws {
            // Timeouts long enough that only a handover can name the new dispatcher within 1 s.
            let timing = TestCluster.Timing(heartbeat: 100, tokenTimeout: 2000, broadcastTimeout: 1000)
            let cluster = try TestCluster(port: 7550, size: 5, timing: timing)
            try cluster.startAll()
            let formed = await cluster.waitForAgreement(cluster.addresses)
            try #require(formed != nil, "no agreement\n\(cluster.logs())")
            let leaving = try #require(formed?.dispatcher)
            let survivors = cluster.addresses.filter { $0 != leaving }

            let sent = ContinuousClock.now
            cluster.signal(leaving, SIGTERM)
            let after = await cluster.waitForAgreement(survivors, timeout: .seconds(10))
            let took = ContinuousClock.now - sent
            print("graceful handover: every survivor named the new dispatcher \(took) after SIGTERM")
            try #require(after != nil, "survivors did not agree\n\(cluster.logs())")
            #expect(after?.dispatcher != nil && after?.dispatcher != leaving)
            #expect(took < .seconds(1), "handover took \(took)\n\(cluster.logs())")
            #expect(await cluster.exitStatus(leaving, within: .seconds(10)) == 0)
        }
    }
}
