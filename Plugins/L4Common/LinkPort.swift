import SashaCapture
import SashaPacket
import SashaSDK

/// One interface as an L4 dispatcher uses it: its MAC and address, a capture with a filter, and
/// an injector to send frames out of it.
public final class LinkPort: Sendable {
    public let name: String
    public let mac: MACAddress
    /// Its IPv4 address, the sender of ARP requests for servers (0.0.0.0 when it has none).
    public let address: IPv4Address
    public let injector: FrameInjector
    public let capture: CaptureSession

    public init(interface: String, filter: String, bufferBytes: Int) throws(OptionError) {
        do throws(CaptureError) {
            let facts = try InterfaceFacts.lookup(interface)
            let bytes = facts.mac + [0, 0, 0, 0, 0, 0]
            mac = MACAddress(bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5])
            address = facts.ipv4.map { IPv4Address(UInt32($0[0]) << 24 | UInt32($0[1]) << 16 | UInt32($0[2]) << 8 | UInt32($0[3])) }
                ?? IPv4Address(0)
            name = interface
            injector = try FrameInjector(interface: interface)
            capture = try CaptureSession(options: CaptureOptions(interface: interface, filter: filter, bufferSize: bufferBytes))
        } catch {
            throw OptionError(key: "interface", error.description)
        }
    }

    /// Sends `length` bytes of `buffer`; false when libpcap refused.
    @inlinable
    public func send(_ buffer: UnsafeMutableRawBufferPointer, length: Int) -> Bool {
        injector.inject(UnsafeRawBufferPointer(rebasing: buffer[..<length]))
    }
}
