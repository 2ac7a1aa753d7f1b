import Glibc
@testable import SashaLink
import SashaSDK
import Testing

/// The rtnetlink encoding and the defensive decoding, without a socket.
@Suite("netlink messages")
struct NetlinkMessageTests {
    @Test("RTM_NEWADDR: header, ifaddrmsg, IFA_LOCAL and IFA_ADDRESS, lengths patched")
    func addressRequest() {
        let request = NetlinkRequest.address(
            Netlink.MessageType.newAddress, flags: [.request, .acknowledge, .create, .exclusive], sequence: 7,
            address: IPv4Address("198.18.9.100")!, prefixLength: 32, interface: 3)
        let bytes = ArraySlice(request.bytes)
        #expect(bytes.count == 16 + 8 + 8 + 8)
        #expect(bytes.load(UInt32.self, at: 0) == 40)
        #expect(bytes.load(UInt16.self, at: 4) == 20)
        #expect(bytes.load(UInt16.self, at: 6) == 0x605)
        #expect(bytes.load(UInt32.self, at: 8) == 7)
        #expect(Array(bytes[16..<20]) == [UInt8(AF_INET), 32, 0, 0])
        #expect(bytes.load(UInt32.self, at: 20) == 3)
        #expect(bytes.load(UInt16.self, at: 24) == 8)
        #expect(bytes.load(UInt16.self, at: 26) == 2)
        #expect(Array(bytes[28..<32]) == [198, 18, 9, 100])
        #expect(bytes.load(UInt16.self, at: 34) == 1)
        #expect(Array(bytes[36..<40]) == [198, 18, 9, 100])
    }

    @Test("a loopback address gets host scope, as `ip addr add` gives it")
    func loopbackScope() {
        let request = NetlinkRequest.address(
            Netlink.MessageType.newAddress, flags: [.request], sequence: 1,
            address: IPv4Address("127.0.0.100")!, prefixLength: 8, interface: 1)
        #expect(request.bytes[19] == 254)
    }

    @Test("an answer of several messages splits; errors decode to errno, 0 is an ack")
    func decodeAnswer() throws {
        var datagram = message(type: Netlink.MessageType.error, sequence: 1, payload: int32(-EEXIST) + [UInt8](repeating: 0, count: 16))
        datagram += message(type: Netlink.MessageType.error, sequence: 2, payload: int32(0))
        datagram += message(type: Netlink.MessageType.done, sequence: 3, payload: [1, 2])  // padded to 4
        let messages = try NetlinkMessage.messages(in: datagram[...])
        #expect(messages.map(\.sequence) == [1, 2, 3])
        #expect(messages[0].errorCode == EEXIST)
        #expect(messages[1].errorCode == 0)
        #expect(messages[2].errorCode == nil)
        #expect(Array(messages[2].payload) == [1, 2])
    }

    @Test("attributes: type flags masked, truncated ones dropped")
    func attributes() {
        let payload = [UInt8](repeating: 0, count: 8)
            + attribute(0x8000 | 2, [10, 0, 0, 1])
            + attribute(1, [1, 2, 3, 4, 5, 6])
            + [40, 0, 9, 0]  // claims 40 bytes, has 4
        let parsed = NetlinkMessage(type: 20, flags: [], sequence: 1, payload: payload[...]).attributes(after: 8)
        #expect(parsed.keys.sorted() == [1, 2])
        #expect(Array(parsed[2]!) == [10, 0, 0, 1])
        #expect(Array(parsed[1]!) == [1, 2, 3, 4, 5, 6])
    }

    @Test("lengths that lie are refused, never read past the end")
    func malformed() {
        var lying = message(type: 3, sequence: 1, payload: [])
        lying[0] = 200  // claims 200 bytes, has 16
        #expect(throws: NetlinkMessage.Malformed.self) { try NetlinkMessage.messages(in: lying[...]) }
        #expect(throws: NetlinkMessage.Malformed.self) { try NetlinkMessage.messages(in: ([8, 0, 0, 0] + [UInt8](repeating: 0, count: 12))[...]) }
        #expect((try? NetlinkMessage.messages(in: [1, 2, 3][...]))?.isEmpty == true, "shorter than a header: nothing")
        #expect(NetlinkMessage(type: 2, flags: [], sequence: 1, payload: [1][...]).errorCode == nil, "an error too short for its code")
    }

    private func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }

    private func message(type: UInt16, sequence: UInt32, payload: [UInt8]) -> [UInt8] {
        var bytes = withUnsafeBytes(of: UInt32(16 + payload.count)) { Array($0) }
        bytes += withUnsafeBytes(of: type) { Array($0) } + [0, 0]
        bytes += withUnsafeBytes(of: sequence) { Array($0) } + [0, 0, 0, 0] + payload
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }

    private func attribute(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        var bytes = withUnsafeBytes(of: UInt16(4 + payload.count)) { Array($0) } + withUnsafeBytes(of: type) { Array($0) } + payload
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }
}
