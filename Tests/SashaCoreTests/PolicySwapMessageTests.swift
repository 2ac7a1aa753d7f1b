@testable import SashaCore
import SashaSDK
import Testing

/// What members agree on: the epoch order, the messages on the ring, the operator's options.
@Suite("policy swap records and messages")
struct PolicySwapMessageTests {
    @Test("a newer epoch replaces a record; a stale or repeated one does not; ties go to the greater proposer")
    func epochs() {
        let record = PolicyRecord(name: "maglev", options: .object([:]), epoch: PolicyEpoch(number: 3, proposer: 20))
        #expect(record.isReplaced(by: PolicyEpoch(number: 4, proposer: 1)))
        #expect(!record.isReplaced(by: PolicyEpoch(number: 3, proposer: 20)))
        #expect(!record.isReplaced(by: PolicyEpoch(number: 2, proposer: 99)))
        #expect(record.isReplaced(by: PolicyEpoch(number: 3, proposer: 21)))
        #expect(!record.isReplaced(by: PolicyEpoch(number: 3, proposer: 19)))
        #expect(!record.isReplaced(by: .configured))
    }

    @Test("every message survives the trip through bytes; noise is not a message")
    func messages() {
        let record = PolicyRecord(name: "least-connections", options: .object(["a": .array([.number(1), .bool(true)])]),
                                  epoch: PolicyEpoch(number: 9, proposer: 0xC612_000B))
        let all: [PolicyMessage] = [
            .propose(id: 1, name: "maglev", options: .object(["table_size": .number(65537)])),
            .vote(id: 2, refusal: nil, holds: .configured), .vote(id: 3, refusal: "no such plugin", holds: record.epoch),
            .commit(id: 4, record: record), .ack(id: 5, holds: record.epoch, problem: nil),
            .ack(id: 6, holds: .configured, problem: "cannot load it"), .abort(id: 7), .state(record),
        ]
        for message in all { #expect(PolicyMessage(bytes: message.bytes) == message) }
        #expect(PolicyMessage(bytes: Array("{\"launch\":{}}".utf8)) == nil)
        #expect(PolicyMessage(bytes: [0xFF, 0x00]) == nil)
        #expect(PolicyMessage(bytes: [UInt8](repeating: 0x20, count: PolicyMessage.maximumSize + 1)) == nil)
    }

    @Test("--option values are read as YAML and dotted keys nest")
    func options() throws {
        let parsed = try PolicyOptionArguments.parse(["table_size=65537", "weights.s1=2.5", "weights.s2=3", "on=true",
                                                      "name=web", "list=[a, 1]", "empty="]).get()
        #expect(parsed == .object([
            "table_size": .number(65537), "weights": .object(["s1": .number(2.5), "s2": .number(3)]), "on": .bool(true),
            "name": .string("web"), "list": .array([.string("a"), .number(1)]), "empty": .null,
        ]))
    }

    @Test("bad --option arguments are refused, each named with its fix", arguments: [
        ("table_size", "write KEY=VALUE"), ("=3", "write KEY=VALUE"), ("a..b=1", "empty part"),
        ("v=[1, 2", "not YAML"), ("v=1e999", "not a number JSON can carry"),
    ])
    func badOptions(argument: String, complaint: String) {
        guard case .failure(let problems) = PolicyOptionArguments.parse([argument]) else {
            Issue.record("\(argument) was accepted")
            return
        }
        #expect(problems.lines.count == 1)
        #expect(problems.lines[0].hasPrefix("--option \(argument)"), "\(problems.lines)")
        #expect(problems.lines[0].contains(complaint), "\(problems.lines)")
    }

    @Test("a key given twice, or as a value and a group, is refused")
    func repeatedOptions() {
        for pair in [["a=1", "a=2"], ["a=1", "a.b=2"], ["a.b=1", "a=2"]] {
            guard case .failure(let problems) = PolicyOptionArguments.parse(pair) else {
                Issue.record("\(pair) was accepted")
                continue
            }
            #expect(problems.lines.first?.contains("given twice") == true, "\(problems.lines)")
        }
    }
}
