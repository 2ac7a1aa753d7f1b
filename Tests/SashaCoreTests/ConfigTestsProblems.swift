import Foundation
import SashaCore
import SashaTestSupport
import Testing

extension ConfigTests {
    /// Every kind of bad configuration is reported as FILE:LINE:COLUMN: message, at the key or
    /// value at fault, with what to do about it; a bad file never yields a config.
    @Suite("Configuration problems")
    struct Problems {
        let minimal = ConfigTests.minimal

        func problems(_ yaml: String) -> [String] {
            let (config, diagnostics) = ConfigTests.load(yaml)
            #expect(config == nil || diagnostics.isEmpty)
            return diagnostics.map(\.description)
        }

        // MARK: keys

        @Test("an unknown key suggests the nearest valid key")
        func unknownKeySuggestsNearest() {
            #expect(problems(minimal + """
                control:
                  dir: .sasha
                  metric: "127.0.0.1:9400"

                """) == ["test.yaml:5:3: unknown key 'metric' in control; did you mean 'metrics'?"])
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: [80] }
                ring:
                  members: [10.0.0.1]
                  heartbeat: 100
                  Token-Timeout-MS: 900
                nodes:
                  10.0.0.1: { wieght: 2 }
                clusters: {}
                """) == [
                "test.yaml:4:3: unknown key 'heartbeat' in ring; did you mean 'heartbeat_ms'?",
                "test.yaml:5:3: unknown key 'Token-Timeout-MS' in ring; did you mean 'token_timeout_ms'?",
                "test.yaml:7:15: unknown key 'wieght' in nodes.10.0.0.1; did you mean 'weight'?",
                "test.yaml:8:1: unknown key 'clusters' at the top level; did you mean 'cluster'?",
            ])
        }

        @Test("an unknown key with nothing close lists the valid keys")
        func unknownKeyListsValidKeys() {
            #expect(problems(minimal + "service: { colour: red }\n")
                == ["test.yaml:3:12: unknown key 'colour' in service; valid keys are port, root, external_port, health, max_age_s, dotfiles"])
        }

        @Test("a duplicated key is reported at its second occurrence, naming the first")
        func duplicateKeys() {
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: [80] }
                ring:
                  members: [10.0.0.1]
                  port: 7400
                  heartbeat_ms: 100
                  port: 7401
                nodes:
                  10.0.0.1: { weight: 1, "weight": 2 }
                ring: { members: [10.0.0.2] }
                """) == [
                "test.yaml:6:3: duplicate key 'port' in ring (first at line 4, column 3); keep only one of them",
                "test.yaml:8:26: duplicate key 'weight' in nodes.10.0.0.1 (first at line 8, column 15); keep only one of them",
                "test.yaml:9:1: duplicate key 'ring' at the top level (first at line 2, column 1); keep only one of them",
            ])
        }

        @Test("a duplicated key inside plugin options is reported too")
        func duplicateOptionKeys() {
            #expect(problems(minimal + """
                dispatch:
                  policy_options:
                    rules:
                      - { host: a.example, host: b.example }

                """) == [
                "test.yaml:6:28: duplicate key 'host' in dispatch.policy_options.rules[0] (first at line 6, column 11); "
                    + "keep only one of them",
            ])
        }

        @Test("a key that is not a name is reported")
        func keyThatIsNotAName() {
            #expect(problems(minimal + "? [a, b]\n: 1\n")
                == ["test.yaml:3:3: keys at the top level must be names, got a list"])
        }

        // MARK: missing keys

        @Test("a missing required key is reported at the mapping that should hold it")
        func missingRequiredKey() {
            #expect(problems("""
                ring: { members: [10.0.0.1] }
                cluster:
                  name: demo
                  ports: [80]
                """) == ["test.yaml:2:1: missing required key 'vip' in cluster; add e.g. vip: 10.0.0.100"])
        }

        @Test("a required key with no value is reported at the key")
        func requiredKeyWithoutValue() {
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: [80] }
                ring:
                  members:
                """) == ["test.yaml:3:3: ring.members has no value; it is required, e.g. members: [10.0.0.1, 10.0.0.2]"])
        }

        @Test("a missing top-level section is reported at 1:1")
        func missingSection() {
            #expect(problems("""
                # a comment first
                cluster: { name: demo, vip: 10.0.0.100, ports: [80] }
                """) == ["test.yaml:1:1: missing required section 'ring'; add e.g. ring: { members: [10.0.0.1, 10.0.0.2] }"])
        }

        @Test("ring.members and cluster.ports must not be empty")
        func emptyRequiredLists() {
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: [] }
                ring: { members: [] }
                """) == [
                "test.yaml:1:48: cluster.ports is empty; list at least one, e.g. ports: [80, 443]",
                "test.yaml:2:18: ring.members is empty; list at least one, e.g. members: [10.0.0.1, 10.0.0.2]",
            ])
        }

        @Test("ring.insecure on a ring with a member off loopback is refused at the key, naming the member and the fix")
        func insecureOffLoopback() {
            #expect(problems("""
                cluster: { name: demo, vip: 127.0.0.100, ports: [80] }
                ring: { members: [127.0.0.1, 10.0.0.2], insecure: true }
                """) == [
                "test.yaml:2:51: ring.insecure: true is allowed only when every ring member is a loopback address "
                    + "(127.0.0.0/8), and 10.0.0.2 is not; create a key with `sasha keygen --out ring.key`, copy it to "
                    + "every member and set ring.key_file: ring.key instead",
            ])
            #expect(problems("""
                cluster: { name: demo, vip: 127.0.0.100, ports: [80] }
                ring: { members: [127.0.0.1, 127.0.0.2], insecure: true }
                """) == [])
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: [80] }
                ring: { members: [10.0.0.1, 10.0.0.2], insecure: false }
                """) == [])
        }

        // MARK: types and values

        @Test("a value of the wrong type names the key, what it needs and what it got")
        func wrongType() {
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: 80 }
                ring:
                  members: [10.0.0.1]
                  port: abc
                  insecure: "true"
                  heartbeat_ms: 100ms
                plugins: { paths: .build/release }
                service: { root: [a, b] }
                """) == [
                "test.yaml:1:48: cluster.ports must be a list of port numbers, got the number 80; write ports: [80, 443]",
                "test.yaml:4:9: ring.port must be a number, got text 'abc'",
                "test.yaml:5:13: ring.insecure must be true or false, got text 'true'",
                "test.yaml:6:17: ring.heartbeat_ms must be a number, got text '100ms'; write the number of milliseconds alone, without a unit",
                "test.yaml:7:19: plugins.paths must be a list of folders, got text '.build/release'; write paths: [.build/release]",
                "test.yaml:8:18: service.root must be text, got a list",
            ])
        }

        @Test("a section that is not a mapping is reported once, without its keys as missing")
        func sectionNotAMapping() {
            #expect(problems("""
                cluster: [demo]
                ring: { members: [10.0.0.1] }
                """) == ["test.yaml:1:10: cluster must be a mapping of keys (name, vip, ports), got a list"])
        }

        @Test("a bad IPv4 address is reported at the value")
        func badAddress() {
            let lines = problems("""
                cluster: { name: demo, vip: 127.0.0.300, ports: [80] }
                ring:
                  members:
                    - 10.0.0.1
                    - 10.0.0.01
                    - 10.0.0
                """)
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("test.yaml:1:29: cluster.vip: '127.0.0.300' is not an IPv4 address; write four numbers"))
            #expect(lines[1].hasPrefix("test.yaml:5:7: ring.members[1]: '10.0.0.01' is not an IPv4 address"))
            #expect(lines[2].hasPrefix("test.yaml:6:7: ring.members[2]: '10.0.0' is not an IPv4 address"))
        }

        @Test("numbers out of range name the range")
        func outOfRange() {
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: [80, 70000, 0] }
                ring: { members: [10.0.0.1], heartbeat_ms: 0, broadcast_timeout_ms: -5, port: 99999999999999999999999 }
                service: { port: 65536 }
                nodes: { 10.0.0.1: { weight: 1001 } }
                """) == [
                "test.yaml:1:53: cluster.ports[1] must be a port number from 1 to 65535, got 70000",
                "test.yaml:1:60: cluster.ports[2] must be a port number from 1 to 65535, got 0",
                "test.yaml:2:44: ring.heartbeat_ms must be from 1 to 3600000 milliseconds, got 0",
                "test.yaml:2:69: ring.broadcast_timeout_ms must be from 1 to 3600000 milliseconds, got -5",
                "test.yaml:2:79: ring.port must be a port number from 1 to 65535, got 99999999999999999999999",
                "test.yaml:3:18: service.port must be a port number from 1 to 65535, got 65536",
                "test.yaml:4:30: nodes.10.0.0.1.weight must be from 0 to 1000, got 1001",
            ])
        }

        @Test("the token timeout must be longer than the heartbeat")
        func timingSanity() {
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: [80] }
                ring:
                  members: [10.0.0.1]
                  heartbeat_ms: 200
                  token_timeout_ms: 200
                """) == [
                "test.yaml:5:21: ring.token_timeout_ms (200) must be greater than ring.heartbeat_ms (200), or the token "
                    + "would be declared lost between two heartbeats; about ten heartbeats (2000) is usual",
            ])
            // With the default token timeout, the heartbeat is the key to blame.
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: [80] }
                ring: { members: [10.0.0.1], heartbeat_ms: 1500 }
                """).first?.hasPrefix("test.yaml:2:44: ring.token_timeout_ms (1000) must be greater than ring.heartbeat_ms (1500)") == true)
        }

        @Test("a repeated port, member or tag is reported at the repetition")
        func repeatedListItems() {
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.100, ports: [80, 443, 80] }
                ring: { members: [10.0.0.1, 10.0.0.2, 10.0.0.1] }
                nodes: { 10.0.0.2: { tags: [a, b, a] } }
                """) == [
                "test.yaml:1:58: cluster.ports[2]: 80 is listed twice; remove one",
                "test.yaml:2:39: ring.members[2]: 10.0.0.1 is listed twice; remove one",
                "test.yaml:3:35: nodes.10.0.0.2.tags[2]: 'a' is listed twice; remove one",
            ])
        }

        @Test("node keys must be addresses of ring members")
        func nodeKeys() {
            #expect(problems(minimal + """
                nodes:
                  web1: { weight: 2 }
                  10.0.0.9: { weight: 2 }

                """) == [
                "test.yaml:4:3: nodes: 'web1' is not an IPv4 address; each key under nodes is the address of a member listed in ring.members",
                "test.yaml:5:3: nodes.10.0.0.9 is not in ring.members; add 10.0.0.9 to ring.members, or remove this entry",
            ])
        }

        @Test("tags are non-empty text and at most 64 distinct tags are used")
        func tags() {
            let many = (1...40).map { "t\($0)" }.joined(separator: ", ")
            let more = (30...70).map { "t\($0)" }.joined(separator: ", ")
            #expect(problems(minimal + """
                nodes:
                  10.0.0.1: { tags: [\(many)] }
                  10.0.0.2: { tags: [\(more), ""] }

                """) == [
                "test.yaml:5:\(22 + more.firstRange(of: "t65")!.lowerBound.utf16Offset(in: more)): nodes.10.0.0.2.tags[35]: 't65' is distinct tag "
                    + "number 65; a cluster can use at most 64 distinct tags, so reuse tags",
                "test.yaml:5:\(22 + more.utf16.count + 2): nodes.10.0.0.2.tags[41] must not be empty",
            ])
        }

        @Test("plugin names must look like names")
        func pluginNames() {
            let lines = problems(minimal + "dispatch: { strategy: L7, policy: \"\" }\n")
            #expect(lines.count == 2)
            #expect(lines[0].hasPrefix("test.yaml:3:23: dispatch.strategy: 'L7' is not a plugin name; a name is lower-case letters"))
            #expect(lines[1] == "test.yaml:3:35: dispatch.policy must not be empty")
        }

        @Test("plugin options must be a mapping and numbers JSON can carry")
        func pluginOptions() {
            #expect(problems(minimal + """
                dispatch:
                  strategy_options: [a]
                  policy_options: { limit: .inf }

                """) == [
                "test.yaml:4:21: dispatch.strategy_options must be a mapping of option names to values, got a list; "
                    + "write strategy_options: {} for no options",
                "test.yaml:5:28: dispatch.policy_options.limit: .inf is not a number JSON can carry; quote it to pass it as text",
            ])
        }

        @Test("service.health must be a path and control.metrics ADDRESS:PORT")
        func healthAndMetrics() {
            #expect(problems(minimal + """
                service: { health: healthz }
                control: { metrics: 9400 }

                """) == [
                "test.yaml:3:20: service.health must be a URL path starting with '/', got 'healthz'; write health: /healthz",
                "test.yaml:4:21: control.metrics: '9400' is not ADDRESS:PORT; write e.g. metrics: \"127.0.0.1:9400\", "
                    + "or leave the key out to turn metrics off",
            ])
        }

        @Test("service.max_age_s is a number of seconds")
        func maxAge() {
            #expect(problems(minimal + """
                service: { max_age_s: -5 }

                """).count == 1)
            #expect(problems(minimal + """
                service: { max_age_s: 60 }

                """).isEmpty)
        }

        @Test("the VIP is not a member's address, and some member can dispatch and serve")
        func clusterRoles() {
            #expect(problems("""
                cluster: { name: demo, vip: 10.0.0.1, ports: [80] }
                ring: { members: [10.0.0.1, 10.0.0.2] }
                nodes:
                  10.0.0.1: { dispatch: false, serve: false }
                  10.0.0.2: { dispatch: false, serve: false }
                """) == [
                "test.yaml:1:29: cluster.vip 10.0.0.1 is also the address of a ring member; the VIP must be an address "
                    + "of its own, which the elected dispatcher takes over",
                "test.yaml:3:1: nodes: every member has dispatch: false, so none can be elected dispatcher; allow at least one",
                "test.yaml:3:1: nodes: every member has serve: false, so no member serves requests; let at least one serve",
            ])
        }

        // MARK: the file as a whole

        @Test("every problem of a file is reported, in file order")
        func multipleErrors() {
            #expect(problems("""
                ring:
                  members: [10.0.0.1, 10.0.0.256]
                  heartbeat: 100
                cluster:
                  name: demo
                  vip: 10.0.0.100
                  ports: [http]
                service: { health: health }
                """) == [
                "test.yaml:2:23: ring.members[1]: '10.0.0.256' is not an IPv4 address; write four numbers from 0 to 255 "
                    + "joined by dots, without leading zeros, such as 10.0.0.1",
                "test.yaml:3:3: unknown key 'heartbeat' in ring; did you mean 'heartbeat_ms'?",
                "test.yaml:7:11: cluster.ports[0] must be a number, got text 'http'",
                "test.yaml:8:20: service.health must be a URL path starting with '/', got 'health'; write health: /health",
            ])
        }

        @Test("a YAML syntax error is reported at its line and column")
        func syntaxErrors() {
            #expect(problems("""
                cluster:
                  name: demo
                  vip 10.0.0.100
                  ports: [80]
                """) == [
                "test.yaml:3:3: YAML syntax error: this line has no ':' after its key (could not find expected ':', "
                    + "noticed at line 4, column 3); write 'key: value', with a space after the colon",
            ])
            #expect(problems("cluster: { name: demo, vip: 10.0.0.100, ports: [80]\nring: {}\n") == [
                "test.yaml:2:1: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at line 1, "
                    + "column 10); separate the entries of { ... } with commas and close it with '}'",
            ])
            #expect(problems("cluster:\n  name: \"demo\n") == [
                "test.yaml:2:9: YAML syntax error: this quoted text is not closed (found unexpected end of stream at line 3, "
                    + "column 1); add the closing quote",
            ])
            let tab = problems("cluster:\n\tname: demo\n")
            #expect(tab.count == 1)
            #expect(tab.first?.hasPrefix("test.yaml:2:1: YAML syntax error: ") == true)
            #expect(tab.first?.hasSuffix("indent with spaces: YAML does not allow tabs for indentation") == true)
        }

        @Test("a character YAML does not allow is reported at its position")
        func badCharacter() {
            let lines = problems("cluster:\n  name: de\u{7}mo\n")
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix("test.yaml:2:11: YAML cannot read this character: control characters are not allowed") == true)
        }

        @Test("more than one YAML document is reported at the second")
        func twoDocuments() {
            #expect(problems(minimal + "---\ncluster: {}\n") == [
                "test.yaml:3:1: the file holds more than one YAML document; a configuration is one document, so remove "
                    + "this '---' and what follows or merge it into the first",
            ])
        }

        @Test("an empty file is reported at 1:1")
        func emptyFile() {
            let expected = "test.yaml:1:1: the configuration is empty; it needs at least cluster (name, vip, ports) and "
                + "ring (members), e.g. cluster: { name: demo, vip: 10.0.0.100, ports: [80] }"
            #expect(problems("") == [expected])
            #expect(problems("# nothing but a comment\n\n") == [expected])
            #expect(problems("---\n") == [expected])
        }

        @Test("a top level that is not a mapping is reported")
        func topLevelNotAMapping() {
            #expect(problems("- cluster\n- ring\n") == [
                "test.yaml:1:1: the top level must be a mapping of sections (cluster, ring, control, plugins, dispatch, "
                    + "service, nodes), got a list",
            ])
            #expect(problems("hello\n").first?.hasSuffix("got text 'hello'") == true)
        }

        @Test("a missing file or a folder is reported at FILE:1:1 with a clear reason")
        func unreadableFile() throws {
            let missing = NSTemporaryDirectory() + "/sasha-no-such-\(UUID().uuidString).yaml"
            let (config, diagnostics) = ConfigLoader.load(path: missing)
            #expect(config == nil)
            #expect(diagnostics.map(\.description) == ["\(missing):1:1: cannot read the configuration: no such file; check the path"])
            let folder = NSTemporaryDirectory()
            #expect(ConfigLoader.load(path: folder).diagnostics.map(\.description)
                == ["\(folder):1:1: cannot read the configuration: this is a folder; give the path of the YAML file"])
        }

        @Test("a file the user may not read is reported at FILE:1:1",
              .enabled(if: Privileges.isRoot, "needs root to run a command as another user; CI runs as root"))
        func unreadablePermissions() throws {
            // Root reads any file, and the suite runs as root, so `sasha check` runs as nobody.
            let path = NSTemporaryDirectory() + "/sasha-unreadable-\(UUID().uuidString).yaml"
            try ConfigTests.minimal.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            chmod(path, 0o600)
            let result = try run("/usr/bin/setpriv", [
                "--reuid=65534", "--regid=65534", "--clear-groups", PackagePaths.sashaExecutable, "check", "--config", path,
            ])
            #expect(result.status == 1)
            #expect(result.output == "\(path):1:1: cannot read the configuration: permission denied; make the file readable by this user\n")
        }
    }
}
