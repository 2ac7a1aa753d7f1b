import Dispatch
import SashaCapture
import SashaPacket
import SashaSDK

#if canImport(Glibc)
import Glibc
#endif

/// One interface as an L4 dispatcher uses it: its MAC and address, a capture with a filter, and
/// an injector to send frames out of it.
public final class LinkPort: Sendable {
    public let name: String
    public let mac: MACAddress
    /// Its IPv4 address, the sender of ARP requests for servers (0.0.0.0 when it has none).
    public let address: IPv4Address
    public let injector: FrameInjector
    /// One capture per receive thread: several share the link's frames by flow (a fanout group).
    public let captures: [CaptureSession]
    /// The first capture (the only one unless the port was opened with several threads).
    public var capture: CaptureSession { captures[0] }

    /// Opens the port; with `threads` above 1, that many captures in one fanout group, each
    /// with `bufferBytes` of ring.
    public init(interface: String, filter: String, bufferBytes: Int, threads: Int = 1) throws(OptionError) {
        do throws(CaptureError) {
            let facts = try InterfaceFacts.lookup(interface)
            let bytes = facts.mac + [0, 0, 0, 0, 0, 0]
            mac = MACAddress(bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5])
            address = facts.ipv4.map { IPv4Address(UInt32($0[0]) << 24 | UInt32($0[1]) << 16 | UInt32($0[2]) << 8 | UInt32($0[3])) }
                ?? IPv4Address(0)
            name = interface
            injector = try FrameInjector(interface: interface)
            let group: UInt16? = threads > 1 ? UInt16.random(in: 1...UInt16.max) : nil
            var captures: [CaptureSession] = []
            for _ in 0..<max(threads, 1) {
                captures.append(try CaptureSession(options: CaptureOptions(
                    interface: interface, filter: filter, bufferSize: bufferBytes,
                    snapLength: CaptureOptions.snapLength(mtu: facts.mtu), fanoutGroup: group)))
            }
            self.captures = captures
        } catch {
            throw OptionError(key: "interface", error.description)
        }
    }

    /// The MAC of `interface`, before any capture is open (a filter may need it).
    public static func mac(of interface: String) throws(OptionError) -> MACAddress {
        do throws(CaptureError) {
            let bytes = try InterfaceFacts.lookup(interface).mac + [0, 0, 0, 0, 0, 0]
            return MACAddress(bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5])
        } catch {
            throw OptionError(key: "interface", error.description)
        }
    }

    /// Sends `length` bytes of `buffer`; false when libpcap refused.
    @inlinable
    public func send(_ buffer: UnsafeMutableRawBufferPointer, length: Int) -> Bool {
        injector.inject(UnsafeRawBufferPointer(rebasing: buffer[..<length]))
    }

    /// When the repeats of an announcement go, after the first: two soon, for a lost frame; then
    /// two after Linux's neighbour `locktime` (1 s), which makes a host ignore a gratuitous ARP
    /// for an entry updated less than a second before (the other dispatcher's answer, just before
    /// it abdicated after a healed partition).
    static let announceRepeats = [100, 200, 1_100, 3_000]

    /// Gratuitous ARP for `address` at this port's MAC, now and at `announceRepeats`: switches and
    /// neighbours move the address to this member (a takeover). The repeats go from a background
    /// queue, so that a start is not held up, and only while the port still captures: a member
    /// that stopped dispatching must not claim the address.
    public func announce(_ address: IPv4Address) {
        sendGratuitousARP(for: address)
        for delay in Self.announceRepeats {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) { [self] in
                if !capture.isStopping { sendGratuitousARP(for: address) }
            }
        }
    }

    private func sendGratuitousARP(for address: IPv4Address) {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
            guard let length = ARPPacket.writeGratuitous(into: buffer, mac: mac, ip: address) else { return }
            _ = send(buffer, length: length)
        }
    }

    /// "Who has `target`?" out of this port; the answer is learned by whichever capture sees it.
    /// Safe from any thread (it uses a buffer of its own).
    public func requestMAC(of target: IPv4Address) {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
            guard let length = ARPPacket.writeRequest(into: buffer, senderMAC: mac, senderIP: address, targetIP: target)
            else { return }
            _ = send(buffer, length: length)
        }
    }

    /// Answers an ARP request for `owned` (an address this member holds only in the application:
    /// the VIP, the l4-3 gateway) with this port's MAC, using `scratch`. True when it answered.
    @inlinable
    public func answer(_ arp: ARPPacket, for owned: IPv4Address, scratch: UnsafeMutableRawBufferPointer) -> Bool {
        guard arp.operation == .request, arp.targetIP == owned, arp.senderIP != owned,
              let length = ARPPacket.writeReply(into: scratch, to: arp, mac: mac, ip: owned)
        else { return false }
        return send(scratch, length: length)
    }
}
