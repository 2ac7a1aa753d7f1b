import SashaABI
import SashaSDK
import Testing

@Suite("PluginOptions and the SDK's value types")
struct OptionsTests {
    @Test("typed readers return values and defaults")
    func readers() throws {
        let options = try PluginOptions(json: #"{"size": 7, "ratio": 1.5, "on": true, "name": "x", "list": ["a", "b"]}"#)
        #expect(try options.int("size", default: 0) == 7)
        #expect(try options.double("ratio", default: 0) == 1.5)
        #expect(try options.bool("on", default: false))
        #expect(try options.string("name", default: nil) == "x")
        #expect(try options.strings("list") == ["a", "b"])
        #expect(try options.int("absent", default: 3) == 3)
        try options.rejectUnknownKeys()
    }

    @Test("a wrong type or range names the key and what was expected")
    func errors() throws {
        let options = try PluginOptions(json: #"{"size": "big", "ratio": 20, "on": 1, "rules": [{"host": 5}]}"#)
        #expect(throws: OptionError(key: "size", "expected a whole number, got text 'big'")) { try options.int("size", default: 0) }
        #expect(throws: OptionError(key: "ratio", "must be between 1.0 and 10.0, got 20.0")) { try options.double("ratio", default: 1, in: 1...10) }
        #expect(throws: OptionError(key: "on", "expected true or false, got the number 1")) { try options.bool("on", default: false) }
        let rules = try options.sections("rules")
        #expect(throws: OptionError(key: "rules.0.host", "expected text, got the number 5")) { try rules[0].string("host", default: nil) }
    }

    @Test("an unknown key is an error listing the known ones")
    func unknownKey() throws {
        let options = try PluginOptions(json: #"{"sise": 1}"#)
        _ = try options.int("size", default: 0)
        #expect(throws: OptionError(key: "sise", "unknown option 'sise'; known options: size")) { try options.rejectUnknownKeys() }
    }

    @Test("options that are not a JSON object are refused; empty means none")
    func shapes() throws {
        #expect(throws: OptionError.self) { try PluginOptions(json: "[1]") }
        #expect(throws: OptionError.self) { try PluginOptions(json: "{") }
        #expect(try PluginOptions(json: "").values.isEmpty)
        #expect(try PluginOptions(json: "null").values.isEmpty)
    }

    @Test("errors cross the C boundary truncated at a character, never mid-way")
    func errorTruncation() {
        var error = sasha_error()
        OptionError(key: "k", String(repeating: "é", count: 400)).write(to: &error)
        let read = OptionError(error)
        #expect(read.key == "k")
        #expect(read.message == String(repeating: "é", count: 255))
    }

    @Test("IPv4 addresses parse strictly and order numerically")
    func addresses() {
        #expect(IPv4Address("127.0.0.1")?.value == 0x7F00_0001)
        #expect(IPv4Address("127.0.0.1")!.description == "127.0.0.1")
        for bad in ["127.0.0.256", "127.0.0", "1.2.3.4.5", "010.0.0.1", "a.b.c.d", "", "1..2.3", " 1.2.3.4"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
        #expect(IPv4Address("10.0.0.9")! < IPv4Address("10.0.0.10")!)
    }
}
