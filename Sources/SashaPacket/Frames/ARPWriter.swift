import SashaBase

/// Builds ARP frames (Ethernet header included) into a caller's buffer, so answering "who has the
/// cluster address?" or announcing a takeover allocates nothing.
///
/// Each writer returns the number of bytes written (`ARPPacket.frameLength`, 42), or nil when the
/// buffer is too short. Padding to the 60-byte Ethernet minimum is left to the sender (the kernel
/// and NICs pad short frames).
extension ARPPacket {
    /// Writes any Ethernet/IPv4 ARP frame.
    @inlinable
    public static func write(
        into buffer: UnsafeMutableRawBufferPointer,
        ethernetDestination: MACAddress, ethernetSource: MACAddress, operation: Operation,
        senderMAC: MACAddress, senderIP: IPv4Address, targetMAC: MACAddress, targetIP: IPv4Address
    ) -> Int? {
        guard buffer.count >= frameLength else { return nil }
        buffer._setMAC(ethernetDestination, at: 0)
        buffer._setMAC(ethernetSource, at: 6)
        buffer._setUInt16(EtherType.arp.rawValue, at: 12)
        buffer._setUInt16(1, at: 14)  // hardware: Ethernet
        buffer._setUInt16(0x0800, at: 16)  // protocol: IPv4
        buffer._setByte(6, at: 18)
        buffer._setByte(4, at: 19)
        buffer._setUInt16(operation.rawValue, at: 20)
        buffer._setMAC(senderMAC, at: 22)
        buffer._setUInt32(senderIP.value, at: 28)
        buffer._setMAC(targetMAC, at: 32)
        buffer._setUInt32(targetIP.value, at: 38)
        return frameLength
    }

    /// The answer to `request`: "`ip` is at `mac`", sent straight back to the asker.
    @inlinable
    public static func writeReply(
        into buffer: UnsafeMutableRawBufferPointer, to request: ARPPacket, mac: MACAddress, ip: IPv4Address
    ) -> Int? {
        writeReply(into: buffer, senderMAC: mac, senderIP: ip, targetMAC: request.senderMAC, targetIP: request.senderIP)
    }

    /// A reply from `senderMAC`/`senderIP` to `targetMAC`/`targetIP`, unicast to the target.
    @inlinable
    public static func writeReply(
        into buffer: UnsafeMutableRawBufferPointer,
        senderMAC: MACAddress, senderIP: IPv4Address, targetMAC: MACAddress, targetIP: IPv4Address
    ) -> Int? {
        write(
            into: buffer, ethernetDestination: targetMAC, ethernetSource: senderMAC, operation: .reply,
            senderMAC: senderMAC, senderIP: senderIP, targetMAC: targetMAC, targetIP: targetIP)
    }

    /// "Who has `targetIP`?", broadcast; the target hardware address is zero (unknown).
    @inlinable
    public static func writeRequest(
        into buffer: UnsafeMutableRawBufferPointer, senderMAC: MACAddress, senderIP: IPv4Address, targetIP: IPv4Address
    ) -> Int? {
        write(
            into: buffer, ethernetDestination: .broadcast, ethernetSource: senderMAC, operation: .request,
            senderMAC: senderMAC, senderIP: senderIP, targetMAC: .zero, targetIP: targetIP)
    }

    /// A gratuitous ARP (an announcement, RFC 5227 §2.3): a broadcast request whose sender and
    /// target IP are both `ip`, so every neighbour updates its cache to `mac` when an address
    /// moves to this member. Requests rather than replies because some hosts ignore unsolicited
    /// replies.
    @inlinable
    public static func writeGratuitous(
        into buffer: UnsafeMutableRawBufferPointer, mac: MACAddress, ip: IPv4Address
    ) -> Int? {
        writeRequest(into: buffer, senderMAC: mac, senderIP: ip, targetIP: ip)
    }
}
