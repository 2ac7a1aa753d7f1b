import Foundation
import SashaLink
import SashaSDK
import Testing

/// Adding and removing an address through rtnetlink, checked against `ip addr` in a namespace.
@Suite("interface addresses in a network namespace")
struct InterfaceAddressTests {
    let vip = IPv4Address("198.18.9.100")!

    @Test("add puts the address on the link, a second add returns false, remove takes it away")
    func addTwiceThenRemove() async throws {
        try #require(geteuid() == 0, "this test builds network namespaces and needs root (CI runs as root)")
        let pair = try NamespacePair()
        defer { pair.tearDown() }
        let (vip, link) = (vip, pair.linkA)

        let added = try await pair.run(in: pair.a) { try InterfaceAddress.add(vip, to: link) }
        #expect(added)
        #expect(pair.addresses(in: pair.a, on: link).contains("198.18.9.100/32"))
        #expect(!pair.addresses(in: pair.b, on: pair.linkB).contains("198.18.9.100/32"), "only namespace a changed")

        let again = try await pair.run(in: pair.a) { try InterfaceAddress.add(vip, to: link) }
        #expect(!again, "already present: add reports it did not add it")
        #expect(pair.addresses(in: pair.a, on: link).filter { $0 == "198.18.9.100/32" }.count == 1)
        #expect(try await pair.run(in: pair.a) { InterfaceAddress.has(vip, on: link) })

        try await pair.run(in: pair.a) { try InterfaceAddress.remove(vip, from: link) }
        #expect(!pair.addresses(in: pair.a, on: link).contains("198.18.9.100/32"))
        #expect(pair.addresses(in: pair.a, on: link) == ["198.18.9.1/24"], "the link's own address stays")
        #expect(try await pair.run(in: pair.a) { !InterfaceAddress.has(vip, on: link) })
        // Removing what is not there is fine (a stop after a failed start).
        try await pair.run(in: pair.a) { try InterfaceAddress.remove(vip, from: link) }
    }

    @Test("an address the link already had counts as not added; other prefix lengths work")
    func existingAndPrefixed() async throws {
        try #require(geteuid() == 0, "this test builds network namespaces and needs root (CI runs as root)")
        let pair = try NamespacePair()
        defer { pair.tearDown() }
        let link = pair.linkA
        let own = IPv4Address("198.18.9.1")!
        let other = IPv4Address("198.18.10.7")!

        #expect(try await pair.run(in: pair.a) { try InterfaceAddress.add(own, prefixLength: 24, to: link) } == false)
        #expect(try await pair.run(in: pair.a) { try InterfaceAddress.add(other, prefixLength: 24, to: link) })
        #expect(pair.addresses(in: pair.a, on: link).contains("198.18.10.7/24"))
        try await pair.run(in: pair.a) { try InterfaceAddress.remove(other, prefixLength: 24, from: link) }
        #expect(pair.addresses(in: pair.a, on: link) == ["198.18.9.1/24"])
        // `has` looks at this namespace only: the host has no link0 or not this address.
        #expect(!InterfaceAddress.has(own, on: link))
    }

    @Test("without CAP_NET_ADMIN the refusal says so and gives the fix")
    func notPermitted() async throws {
        try #require(geteuid() == 0, "this test builds network namespaces and needs root (CI runs as root)")
        let pair = try NamespacePair()
        defer { pair.tearDown() }
        let (vip, link) = (vip, pair.linkA)
        let error = try await pair.run(in: pair.a, droppingNetworkCapabilities: true) { () -> LinkError? in
            do throws(LinkError) { _ = try InterfaceAddress.add(vip, to: link) } catch { return error }
            return nil
        }
        #expect(error?.reason == .notPermitted)
        #expect(error?.description == "cannot add 198.18.9.100/32 to link0: operation not permitted (run as root or give CAP_NET_ADMIN)")
        #expect(!pair.addresses(in: pair.a, on: link).contains("198.18.9.100/32"))
    }
}
