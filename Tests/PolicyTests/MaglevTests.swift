import SashaCore
import SashaSDK
import Testing

@Suite("maglev")
struct MaglevTests {
    typealias H = PolicyHarness

    private func assignments(_ policy: PolicyInstance, flows: Int) -> [IPv4Address?] {
        (0..<flows).map { policy.pick(H.flow($0)) }
    }

    @Test("removing one of N servers moves at most 1/N + 2% of flows, and little else", arguments: [5, 10, 64])
    func minimalDisruption(servers count: Int) throws {
        let policy = try H.make("maglev")
        let all = Array(1...count)
        policy.serversChanged(H.servers(all))
        let before = assignments(policy, flows: 100_000)
        let removed = H.address(count / 2 + 1)
        policy.serversChanged(H.servers(all.filter { $0 != count / 2 + 1 }))
        let after = assignments(policy, flows: 100_000)
        let moved = zip(before, after).filter { $0 != $1 }.count
        #expect(Double(moved) / 100_000 <= 1.0 / Double(count) + 0.02, "\(moved) of 100000 moved")
        #expect(!after.contains(removed))
        #expect(!after.contains(nil))
        // The removed server's flows must move; of the others, Maglev moves under 1% (0.1-0.5% here).
        let others = zip(before, after).filter { $0.0 != removed }
        let disturbed = others.filter { $0 != $1 }.count
        #expect(Double(disturbed) / Double(others.count) <= 0.01, "\(disturbed) of \(others.count) moved needlessly")
    }

    @Test("maglev spreads flows evenly", arguments: [5, 64])
    func balance(servers count: Int) throws {
        let policy = try H.make("maglev")
        policy.serversChanged(H.servers(Array(1...count)))
        var counts: [IPv4Address: Int] = [:]
        for server in assignments(policy, flows: 200_000) { counts[server!, default: 0] += 1 }
        let fair = 200_000.0 / Double(count)
        #expect(counts.count == count)
        #expect(counts.values.allSatisfy { abs(Double($0) - fair) / fair < 0.15 }, "\(counts.values.sorted())")
    }

    @Test("the same L7 key goes to the same server whoever the client is")
    func l7Affinity() throws {
        let policy = try H.make("maglev")
        policy.serversChanged(H.servers(Array(1...10)))
        let servers = Set((0..<100).compactMap { policy.pick(H.flow($0, l7Key: 0xDEAD_BEEF)) })
        #expect(servers.count == 1)
    }

    @Test("two instances built from the same servers agree (as a new dispatcher must)")
    func deterministic() throws {
        let a = try H.make("maglev")
        let b = try H.make("maglev")
        a.serversChanged(H.servers(Array(1...20)))
        b.serversChanged(H.servers(Array(1...20).reversed()))
        #expect(assignments(a, flows: 10_000) == assignments(b, flows: 10_000))
    }

    @Test("maglev rejects a bad table_size, naming the option")
    func rejectsBadOptions() throws {
        let plugin = try H.loader.load(name: "maglev", kind: .policy).get()
        func error(_ value: JSONValue) -> OptionError? { plugin.validate(options: .object(["table_size": value])) }
        let notPrime = try #require(error(.number(6400)))
        #expect(notPrime.key == "table_size")
        #expect(notPrime.message.contains("prime") && notPrime.message.contains("6421"), "\(notPrime.message)")
        for bad: JSONValue in [.number(7), .number(-65537), .number(20_000_003), .number(65537.5), .string("big"), .bool(true)] {
            #expect(error(bad)?.key == "table_size", "\(bad)")
        }
        #expect(plugin.validate(options: .object(["table_sise": .number(65537)]))?.key == "table_sise")
        #expect(error(.number(65537)) == nil)
        #expect(error(.number(101)) == nil)
    }

    @Test("a table_size under 100 slots per server is grown, so the spread stays even")
    func smallTableGrows() throws {
        let policy = try H.make("maglev", options: .object(["table_size": .number(101)]))
        policy.serversChanged(H.servers(Array(1...64)))
        var counts: [IPv4Address: Int] = [:]
        for server in assignments(policy, flows: 200_000) { counts[server!, default: 0] += 1 }
        // 101 slots for 64 servers would give 37 servers two slots and 27 one; grown, all are near 1/64.
        #expect(counts.count == 64)
        let fair = 200_000.0 / 64
        #expect(counts.values.allSatisfy { abs(Double($0) - fair) / fair < 0.15 }, "\(counts.values.sorted())")
    }
}
