import SashaCore
import Testing

extension ConfigTests {
    /// The source map gives the line and column of any key, so a plugin's complaint about
    /// "rules.0.host" is reported where that key is written.
    @Suite("Configuration source map")
    struct SourceMap {
        static let yaml = ConfigTests.minimal + """
            dispatch:
              policy: maglev
              policy_options:
                table_factor: 100
                rules:
                  - host: a.example
                    tag: images
                  - { host: b.example, path: /img }
              strategy_options: {}
            nodes:
              10.0.0.1: { weight: 2 }

            """

        func map() throws -> ConfigSourceMap {
            let (config, diagnostics) = ConfigTests.load(Self.yaml)
            #expect(diagnostics.isEmpty)
            return try #require(config).sourceMap
        }

        func at(_ line: Int, _ column: Int) -> SashaCore.SourceLocation {
            SashaCore.SourceLocation(file: "test.yaml", line: line, column: column)
        }

        @Test("nested option keys and list items are located at their key")
        func nestedOptionKeys() throws {
            let map = try map()
            #expect(map.file == "test.yaml")
            #expect(map.location(of: ["dispatch", "policy_options", "table_factor"]) == at(6, 5))
            #expect(map.location(of: ["dispatch", "policy_options", "rules", "0", "host"]) == at(8, 9))
            #expect(map.location(of: ["dispatch", "policy_options", "rules", "0", "tag"]) == at(9, 9))
            #expect(map.location(of: ["dispatch", "policy_options", "rules", "1"]) == at(10, 9))
            #expect(map.location(of: ["dispatch", "policy_options", "rules", "1", "path"]) == at(10, 28))
            #expect(map.valueLocation(of: ["dispatch", "policy_options", "rules", "1", "path"]) == at(10, 34))
            #expect(map.location(of: ["nodes", "10.0.0.1", "weight"]) == at(13, 15))
            #expect(map.location(of: ["cluster", "ports", "0"]) == at(1, 49))
            #expect(map.contains(["dispatch", "policy_options", "rules", "0", "host"]))
        }

        @Test("a path not in the file falls back to its nearest existing ancestor")
        func fallsBackToAncestor() throws {
            let map = try map()
            #expect(!map.contains(["dispatch", "policy_options", "rules", "0", "port"]))
            #expect(map.location(of: ["dispatch", "policy_options", "rules", "0", "port"]) == at(8, 9))
            #expect(map.location(of: ["dispatch", "policy_options", "rules", "7", "host"]) == at(7, 5))
            #expect(map.location(of: ["dispatch", "strategy_options", "mode"]) == at(11, 3))
            #expect(map.location(of: ["service", "port"]) == at(1, 1))
            #expect(map.location(of: []) == at(1, 1))
        }

        @Test("a plugin's dotted option key maps to the line it is on")
        func pluginErrorKey() throws {
            let map = try map()
            let key = "rules.1.host"
            let path = ["dispatch", "policy_options"] + key.split(separator: ".").map(String.init)
            #expect(map.location(of: path)?.description == "test.yaml:10:11")
        }

        @Test("an empty map knows no location")
        func emptyMap() {
            #expect(ConfigSourceMap(file: "x.yaml").location(of: ["cluster"]) == nil)
        }
    }
}
