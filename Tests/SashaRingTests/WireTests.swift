import SashaSDK
import Testing
@testable import SashaRing

@Suite struct WireTests {
    let codec = RingCodec(key: Array(repeating: 7, count: 32))

    @Test func heartbeatPacketFitsIn64Bytes() throws {
        let packet = RingPacket(sender: IPv4Address(0x7F00_0001), sequence: 42, ring: 1_700_000_000_000_000,
                                messages: [RingMessage(origin: IPv4Address(0x7F00_0001), body: .heartbeat(rotation: 9, viewVersion: 3))])
        let bytes = codec.seal(packet)
        #expect(bytes.count == 60)
        #expect(try codec.open(bytes) == packet)
    }
}
