import Foundation
import SashaSDK

/// One ARP frame as it arrived on the wire.
struct ARPFrame: Equatable {
    var ethernetDestination: [UInt8]
    var ethernetSource: [UInt8]
    var operation: UInt16
    var senderMAC: [UInt8]
    var senderIP: IPv4Address
    var targetMAC: [UInt8]
    var targetIP: IPv4Address

    /// Parses Ethernet II + ARP for IPv4 over Ethernet; nil for anything else.
    init?(_ frame: [UInt8]) {
        guard frame.count >= 42, frame[12] == 0x08, frame[13] == 0x06,  // EtherType ARP
              frame[14...17] == [0, 1, 8, 0], frame[18] == 6, frame[19] == 4  // Ethernet, IPv4, 6, 4
        else { return nil }
        func ip(_ at: Int) -> IPv4Address { IPv4Address(frame[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }) }
        ethernetDestination = Array(frame[0..<6])
        ethernetSource = Array(frame[6..<12])
        operation = UInt16(frame[20]) << 8 | UInt16(frame[21])
        senderMAC = Array(frame[22..<28])
        senderIP = ip(28)
        targetMAC = Array(frame[32..<38])
        targetIP = ip(38)
    }
}

/// An AF_PACKET socket receiving every ARP frame of the namespace it was opened in.
final class ARPCapture: Sendable {
    private let descriptor: Int32

    /// Call on a thread that is in the namespace to watch.
    init() throws {
        descriptor = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(UInt16(0x0806).bigEndian))
        guard descriptor >= 0 else { throw NamespacePair.SetupError(description: "socket(AF_PACKET): errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Frames received until `count` have arrived or `timeout` has passed.
    func receive(_ count: Int, within timeout: Duration) -> [ARPFrame] {
        let deadline = ContinuousClock.now + timeout
        var frames: [ARPFrame] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while frames.count < count, ContinuousClock.now < deadline {
            let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received > 0, let frame = ARPFrame(Array(buffer[0..<received])) { frames.append(frame) }
        }
        return frames
    }
}
