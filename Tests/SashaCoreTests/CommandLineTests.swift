import Foundation
import SashaTestSupport
import Testing

/// The `sasha` executable as an operator runs it: exit codes and what it prints.
@Suite("sasha command line")
struct CommandLineTests {
    /// A configuration naming `strategy` and `policy` with `policyOptions` (YAML flow text), whose
    /// plugin path holds a C strategy fixture and the built policies.
    private func config(in folder: TemporaryFolder, policy: String = "round-robin", policyOptions: String = "{}") throws -> String {
        let plugins = try folder.subfolder("plugins")
        try CPluginFixture(name: "test-strategy", kind: "SASHA_PLUGIN_STRATEGY").build(at: plugins + "/libtest-strategy.so")
        return try folder.write("sasha.yaml", """
            cluster: { name: demo, vip: 127.0.0.100, ports: [8080] }
            ring: { members: [127.0.0.1, 127.0.0.2], insecure: true }
            plugins: { paths: [\(plugins), \(PackagePaths.buildProducts)] }
            dispatch:
              strategy: test-strategy
              policy: \(policy)
              policy_options: \(policyOptions)
            """)
    }

    private func sasha(_ arguments: String...) throws -> (status: Int32, output: String) {
        try run(PackagePaths.sashaExecutable, arguments)
    }

    @Test("check: a good file exits 0 with a one-line summary")
    func checkGood() throws {
        let folder = try TemporaryFolder()
        let path = try config(in: folder)
        let result = try sasha("check", "--config", path)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output == "\(path): ok: cluster demo, 2 members, VIP 127.0.0.100:8080, strategy test-strategy, policy round-robin\n")
    }

    @Test("check: a bad file exits 1 and prints each problem with its position")
    func checkBad() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("bad.yaml", """
            cluster: { name: demo, vip: 127.0.0.300, ports: [8080] }
            ring:
              members: [127.0.0.1]
              heartbeat: 100
            """)
        let result = try sasha("check", "--config", path)
        #expect(result.status == 1)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("\(path):1:") && $0.contains("127.0.0.300") })
        #expect(lines.contains { $0.hasPrefix("\(path):4:3: ") && $0.contains("did you mean 'heartbeat_ms'") })
    }

    @Test("check: an unknown policy name is reported at dispatch.policy")
    func checkUnknownPolicy() throws {
        let folder = try TemporaryFolder()
        let path = try config(in: folder, policy: "fastest")
        let result = try sasha("check", "--config", path)
        #expect(result.status == 1)
        #expect(result.output.hasPrefix("\(path):6:11: dispatch.policy: fastest: no policy plugin named 'fastest'"), "\(result.output)")
    }

    @Test("check: an option the plugin rejects is reported at that option's line and column")
    func checkPluginOption() throws {
        let folder = try TemporaryFolder()
        let path = try config(in: folder, policy: "maglev", policyOptions: "{ table_factor: 5 }")
        let result = try sasha("check", "--config", path)
        #expect(result.status == 1)
        #expect(result.output.hasPrefix("\(path):7:21: dispatch.policy_options.table_factor: "), "\(result.output)")
        #expect(result.output.contains("(plugin maglev)"))
    }

    @Test("check: l4-3's reply_threads without a second NIC is refused at that option, saying why")
    func checkReplyThreadsNeedTwoNICs() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("sasha.yaml", """
            cluster: { name: demo, vip: 198.18.1.100, ports: [80] }
            ring: { members: [127.0.0.1, 127.0.0.2], insecure: true }
            plugins: { paths: [\(PackagePaths.buildProducts)] }
            dispatch:
              strategy: l4-3
              strategy_options: { interface: eth0, gateway: 198.18.2.254, reply_threads: 2 }
            """)
        let result = try sasha("check", "--config", path)
        #expect(result.status == 1)
        #expect(result.output.hasPrefix("\(path):6:63: dispatch.strategy_options.reply_threads: needs output_interface"), "\(result.output)")
    }

    @Test("check: a strategy named as the policy is refused with the fix")
    func checkWrongKind() throws {
        let folder = try TemporaryFolder()
        let path = try config(in: folder, policy: "test-strategy")
        let result = try sasha("check", "--config", path)
        #expect(result.status == 1)
        #expect(result.output.contains("'test-strategy' is a strategy plugin where a policy was asked for"))
    }

    @Test("plugins --json lists the five built-in policies with ABI and toolchain")
    func pluginsJSON() throws {
        let folder = try TemporaryFolder()
        let path = try config(in: folder)
        let result = try sasha("plugins", "--config", path, "--json")
        #expect(result.status == 0, "\(result.output)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
        let policies = rows.filter { $0["kind"] as? String == "policy" }.compactMap { $0["name"] as? String }
        #expect(Set(policies) == ["round-robin", "weighted-round-robin", "least-connections", "maglev", "two-choices"])
        #expect(rows.allSatisfy { $0["abi"] as? Int == 1 })
        #expect(rows.contains { $0["name"] as? String == "test-strategy" && $0["kind"] as? String == "strategy" })
    }

    @Test("plugins: a refused file is listed with its reason and the command exits 1")
    func pluginsRefused() throws {
        let folder = try TemporaryFolder()
        let path = try config(in: folder)
        let junk = try folder.write("plugins/libjunk.so", "not a library")
        let result = try sasha("plugins", "--config", path)
        #expect(result.status == 1)
        #expect(result.output.contains("round-robin"))
        #expect(result.output.contains("\(junk): cannot be loaded"))
    }

    @Test("keygen writes a 0600 key and will not overwrite it without --force")
    func keygen() throws {
        let folder = try TemporaryFolder()
        let key = folder.file("ring.key")
        #expect(try sasha("keygen", "--out", key).status == 0)
        var info = stat()
        #expect(stat(key, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let text = try String(contentsOfFile: key, encoding: .utf8)
        #expect(text.count == 65 && text.dropLast().allSatisfy(\.isHexDigit))
        let again = try sasha("keygen", "--out", key)
        #expect(again.status != 0)
        #expect(again.output.contains("already exists; pass --force"))
        #expect(try sasha("keygen", "--out", key, "--force").status == 0)
        #expect(try String(contentsOfFile: key, encoding: .utf8) != text)
    }

    @Test("every command's --help explains it with an example", arguments: ["check", "plugins", "keygen"])
    func help(command: String) throws {
        let result = try sasha(command, "--help")
        #expect(result.status == 0)
        #expect(result.output.contains("Example"))
        #expect(result.output.contains("sasha \(command)"))
    }

    @Test("a missing --config is a usage error, not a crash")
    func missingConfig() throws {
        let result = try sasha("check")
        #expect(result.status == 64)
        #expect(result.output.contains("--config"))
    }
}
