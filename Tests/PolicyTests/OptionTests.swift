import SashaSDK
import Testing

@Suite("policy options")
struct OptionTests {
    typealias H = PolicyHarness

    @Test("policies without options refuse any, naming the key",
          arguments: ["round-robin", "weighted-round-robin", "least-connections", "two-choices"])
    func noOptions(policy name: String) throws {
        let plugin = try H.loader.load(name: name, kind: .policy).get()
        #expect(plugin.validate(options: .object([:])) == nil)
        #expect(plugin.validate(options: .null) == nil)
        let error = try #require(plugin.validate(options: .object(["weight": .number(2)])))
        #expect(error.key == "weight")
        #expect(error.message.contains("takes no options"), "\(error.message)")
        #expect(throws: OptionError.self) { try H.make(name, options: .object(["weight": .number(2)])) }
    }

    @Test("every policy reports the name and summary it exports")
    func descriptors() throws {
        for name in ["round-robin", "weighted-round-robin", "least-connections", "maglev", "two-choices"] {
            let plugin = try H.loader.load(name: name, kind: .policy).get()
            #expect(plugin.name == name)
            #expect(!plugin.summary.isEmpty)
        }
    }
}
