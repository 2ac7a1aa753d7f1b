import SashaCore
import SashaSDK
import Testing

@Suite("maglev")
struct MaglevTests {
    typealias H = PolicyHarness

    private func assignments(_ policy: PolicyInstance, flows: Int) -> [IPv4Address?] {
        (0..<flows).map { policy.pick(H.flow($0)) }
    }

    @Test("removing one of N servers moves at most 1/N + 2% of flows", arguments: [5, 10, 64])
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
        // Flows of the removed server must move; most others stay.
        #expect(zip(before, after).allSatisfy { $0 != removed || $1 != removed })
        #expect(!after.contains(removed))
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

    @Test("maglev rejects a table size that is not prime, naming the option")
    func rejectsBadOptions() throws {
        let plugin = try H.loader.load(name: "maglev", kind: .policy).get()
        let error = try #require(plugin.validate(options: .object(["table_size": .number(6400)])))
        #expect(error.key == "table_size")
        #expect(error.message.contains("prime"))
        #expect(plugin.validate(options: .object(["table_size": .number(7)]))?.key == "table_size")
        #expect(plugin.validate(options: .object(["table_sise": .number(65537)]))?.message.contains("unknown option") == true)
        #expect(plugin.validate(options: .object(["table_size": .number(65537)])) == nil)
    }
}
