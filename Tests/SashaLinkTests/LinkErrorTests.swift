import Glibc
import SashaLink
import SashaSDK
import Testing

/// Refusals that need no root: a missing interface, bad arguments, a loopback.
@Suite("link errors")
struct LinkErrorTests {
    let vip = IPv4Address("198.18.9.100")!

    @Test("every operation on a missing interface names it and points at `ip link`")
    func missingInterface() {
        let calls: [(String, () throws(LinkError) -> Void)] = [
            ("cannot add 198.18.9.100/32 to nosuch9", { () throws(LinkError) in _ = try InterfaceAddress.add(vip, to: "nosuch9") }),
            ("cannot remove 198.18.9.100/32 from nosuch9", { () throws(LinkError) in try InterfaceAddress.remove(vip, from: "nosuch9") }),
            ("cannot announce 198.18.9.100 by gratuitous ARP on nosuch9", { () throws(LinkError) in try GratuitousARP.announce(vip, on: "nosuch9") }),
            ("cannot read the hardware address of nosuch9", { () throws(LinkError) in _ = try LinkInterface.mac(of: "nosuch9") }),
        ]
        for (action, call) in calls {
            do throws(LinkError) {
                try call()
                Issue.record("\(action): no error")
            } catch {
                #expect(error.reason == .noSuchInterface)
                #expect(error.description == "\(action): no interface nosuch9 (see `ip link`)")
            }
        }
        #expect(!InterfaceAddress.has(vip, on: "nosuch9"))
        #expect(!LinkInterface.isLoopback("nosuch9"))
    }

    @Test("names no interface can have are refused, not passed to the kernel")
    func impossibleNames() {
        for name in ["", "a-name-far-too-long-for-linux", "nul\u{0}name"] {
            #expect(throws: LinkError.self) { _ = try InterfaceAddress.add(vip, to: name) }
        }
    }

    @Test("arguments out of range are refused with what is wrong")
    func invalidArguments() {
        #expect { _ = try InterfaceAddress.add(vip, prefixLength: 33, to: "lo") } throws: {
            ($0 as? LinkError)?.description == "cannot add 198.18.9.100/33 to lo: prefix length 33 is not between 0 and 32"
        }
        #expect { try InterfaceAddress.remove(vip, prefixLength: -1, from: "lo") } throws: {
            ($0 as? LinkError)?.reason == .invalidArgument
        }
        #expect { try GratuitousARP.announce(vip, on: "lo", count: 0) } throws: {
            ($0 as? LinkError)?.description == "cannot announce 198.18.9.100 by gratuitous ARP on lo: count 0 is less than 1"
        }
    }

    @Test("loopback: recognised, has no MAC, and an announcement there sends nothing")
    func loopback() throws {
        #expect(LinkInterface.isLoopback("lo"))
        #expect { _ = try LinkInterface.mac(of: "lo") } throws: { ($0 as? LinkError)?.reason == .notEthernet }
        try GratuitousARP.announce(vip, on: "lo", count: 1)
        #expect(InterfaceAddress.has(IPv4Address("127.0.0.1")!, on: "lo"))
        #expect(!InterfaceAddress.has(vip, on: "lo"))
    }
}
