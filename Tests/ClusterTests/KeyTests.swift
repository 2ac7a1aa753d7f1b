import Foundation
import SashaCore
import SashaTestSupport
import Testing

extension ClusterSuite {
    @Suite("the ring key and refusals to start")
    struct Keys {
        @Test("without a key file or insecure: true, sasha run refuses with the fix")
        func refusesWithoutKey() async throws {
            let cluster = try TestCluster(port: 7560, size: 2, security: "")
            let result = try await cluster.sasha(["run", "--config", cluster.configPath, "--node", "127.0.0.1"])
            #expect(result.status == 1)
            #expect(result.output.contains("ring.key_file is not set"), "\(result.output)")
            #expect(result.output.contains("sasha keygen"))
        }

        @Test("a node outside ring.members, a missing key and a key others can read are refused, each with its fix")
        func refusals() async throws {
            let folder = try TestCluster(port: 7561, size: 2, security: "key_file: KEY").folder
            func attempt(key: String, node: String = "127.0.0.1") async throws -> (status: Int32, output: String) {
                let cluster = try TestCluster(port: 7561, size: 2, security: "key_file: \(key)")
                return try await cluster.sasha(["run", "--config", cluster.configPath, "--node", node])
            }
            let outsider = try await attempt(key: folder.file("none"), node: "127.0.0.9")
            #expect(outsider.status == 1)
            #expect(outsider.output.contains("127.0.0.9 is not a member of the ring"), "\(outsider.output)")

            let missing = try await attempt(key: folder.file("none"))
            #expect(missing.status == 1)
            #expect(missing.output.contains("no such file"), "\(missing.output)")

            let open = folder.file("open.key")
            let made = try await TestCluster(port: 7561, size: 1).sasha(["keygen", "--out", open])
            try #require(made.status == 0, "\(made.output)")
            chmod(open, 0o644)
            let readable = try await attempt(key: open)
            #expect(readable.status == 1)
            #expect(readable.output.contains("chmod 600"), "\(readable.output)")

            let short = try folder.write("short.key", "abcd\n")
            chmod(short, 0o600)
            let wrongLength = try await attempt(key: short)
            #expect(wrongLength.status == 1)
            #expect(wrongLength.output.contains("expected 64 hex digits"), "\(wrongLength.output)")
        }

        @Test("two members with the same key form a ring; a member with another key is kept out and its packets counted")
        func keyFileWorks() async throws {
            let keys = try TemporaryFolder()
            let key = keys.file("ring.key")
            let other = keys.file("other.key")
            let cluster = try TestCluster(port: 7571, size: 3, security: "key_file: \(key)")
            for path in [key, other] {
                let made = try await cluster.sasha(["keygen", "--out", path])
                try #require(made.status == 0, "\(made.output)")
            }
            let stranger = try cluster.folder.write("stranger.yaml", TestCluster.yaml(
                port: 7571, members: cluster.addresses, timing: .fast, security: "key_file: \(other)", controlDir: cluster.controlDir))
            try cluster.start("127.0.0.1")
            try cluster.start("127.0.0.2")
            try cluster.start("127.0.0.3", config: stranger)
            let pair = await cluster.waitForAgreement(["127.0.0.1", "127.0.0.2"])
            try #require(pair != nil, "the two members with the key did not form a ring\n\(cluster.logs())")
            #expect(pair?.dispatcher != nil)
            // The stranger's joins fail authentication on both; it stays alone.
            let deadline = ContinuousClock.now + .seconds(10)
            var counted = false
            while !counted, ContinuousClock.now < deadline {
                counted = (cluster.status("127.0.0.1")?.counters.drops["bad_tag"] ?? 0) > 0
                if !counted { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(counted, "\(cluster.logs())")
            #expect(cluster.agreement(["127.0.0.1", "127.0.0.2"]) != nil)
            #expect(cluster.status("127.0.0.3")?.ring?.members.count ?? 1 == 1)
            withExtendedLifetime(keys) {}
        }
    }
}
