import SashaPacket
import Testing

@Suite struct MACAddressTests {
    @Test func parsesAndFormats() throws {
        let mac = try #require(MACAddress("AA:bb:0c:Dd:ee:0F"))
        #expect(mac == MACAddress(0xAA, 0xBB, 0x0C, 0xDD, 0xEE, 0x0F))
        #expect(mac.rawValue == 0xAABB_0CDD_EE0F)
        #expect(mac.description == "aa:bb:0c:dd:ee:0f")
        #expect(MACAddress(mac.description) == mac)
        #expect(mac[0] == 0xAA && mac[5] == 0x0F)
    }

    @Test(arguments: [
        "", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa:bb:cc:dd:ee:f", "aa:bb:cc:dd:ee:fff",
        "aa-bb-cc-dd-ee-ff", "gg:bb:cc:dd:ee:ff", "aa::bb:cc:dd:ee", ":aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:",
        "aabbccddeeff", " aa:bb:cc:dd:ee:ff",
    ])
    func rejectsOtherText(_ text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test func constants() {
        #expect(MACAddress.broadcast.description == "ff:ff:ff:ff:ff:ff")
        #expect(MACAddress.broadcast.isBroadcast && MACAddress.broadcast.isMulticast)
        #expect(MACAddress.zero.description == "00:00:00:00:00:00")
        #expect(!MACAddress.zero.isBroadcast && !MACAddress.zero.isMulticast)
        #expect(MACAddress(0x01, 0x00, 0x5E, 0, 0, 1).isMulticast)
        #expect(!MACAddress(0x02, 0, 0, 0, 0, 1).isMulticast)
        #expect(MACAddress(rawValue: 0xFFFF_0000_0000_0001).rawValue == 1)
        #expect(MemoryLayout<MACAddress>.size == 8)
    }
}
