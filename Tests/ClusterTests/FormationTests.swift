import Foundation
import SashaCore
import Testing

extension ClusterSuite {
    @Suite("forming a ring and asking about it")
    struct Formation {
        @Test("five members agree on the members and the dispatcher; sasha status shows it")
        func fiveMembersAgree() async throws {
            let cluster = try TestCluster(port: 7510, size: 5)
            try cluster.startAll()
            let agreed = await cluster.waitForAgreement(cluster.addresses)
            try #require(agreed != nil, "no agreement\n\(cluster.logs())")
            // Usually 127.0.0.1; a member that starts late on a loaded machine joins a formed
            // ring as a server, so the test asks only for one dispatcher that all agree on.
            let dispatcher = try #require(agreed?.dispatcher)
            let members = try #require(agreed?.reports["127.0.0.3"]?.ring?.members)
            #expect(members.map(\.role) == members.map { $0.address == dispatcher ? "dispatcher" : "server" })

            let json = try await cluster.sasha(["status", "--config", cluster.configPath, "--node", "127.0.0.3", "--json"])
            #expect(json.status == 0, "\(json.output)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
            #expect(object["node"] as? String == "127.0.0.3")
            #expect(object["state"] as? String == "member")
            #expect(object["strategy"] as? String == "l7")
            #expect(object["connections"] as? Int == 0)
            #expect((object["policy"] as? [String: Any])?["name"] as? String == "round-robin")
            #expect((object["policy"] as? [String: Any])?["epoch"] as? Int == 0)
            let ring = try #require(object["ring"] as? [String: Any])
            #expect(ring["master"] as? String == "127.0.0.1")
            #expect(ring["dispatcher"] as? String == dispatcher)
            #expect((ring["created"] as? Int ?? 0) > 1_600_000_000_000_000)
            #expect((ring["members"] as? [[String: Any]])?.count == 5)
            #expect((object["counters"] as? [String: Any])?["packets_in"] as? Int ?? 0 > 0)

            let table = try await cluster.sasha(["status", "--config", cluster.configPath, "--node", "127.0.0.2"])
            #expect(table.status == 0, "\(table.output)")
            #expect(table.output.contains("ADDRESS    ID  ROLE        HEALTHY  MAY DISPATCH"), "\(table.output)")
            #expect(table.output.contains("master 127.0.0.1, dispatcher \(dispatcher)"), "\(table.output)")
        }

        @Test("a second daemon for a running member refuses to start; a member not running is named with the fix")
        func controlSocketClaims() async throws {
            let cluster = try TestCluster(port: 7520, size: 2)
            try cluster.start("127.0.0.1")
            let alone = await cluster.waitForAgreement(["127.0.0.1"])
            try #require(alone != nil, "no ring of one\n\(cluster.logs())")
            #expect(alone?.reports["127.0.0.1"]?.role == "standalone")
            #expect(alone?.dispatcher == nil)

            let second = try await cluster.sasha(["run", "--config", cluster.configPath, "--node", "127.0.0.1"])
            #expect(second.status == 1)
            #expect(second.output.contains("another sasha daemon for this member is running"), "\(second.output)")
            #expect(cluster.status("127.0.0.1") != nil, "the first daemon must still answer")

            let absent = try await cluster.sasha(["status", "--config", cluster.configPath, "--node", "127.0.0.2"])
            #expect(absent.status == 1)
            #expect(absent.output.contains("\(cluster.controlDir)/127.0.0.2.sock"), "\(absent.output)")
            #expect(absent.output.contains("sasha run"))
            #expect(absent.output.split(separator: "\n").count == 1)
        }
    }
}
