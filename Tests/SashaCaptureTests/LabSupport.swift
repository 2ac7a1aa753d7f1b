import Foundation
import SashaTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Copies of the frames a capture handler saw, for assertions after the fact.
final class FrameCollector: Sendable {
    private let frames = Mutex<[[UInt8]]>([])

    func append(_ frame: UnsafeMutableRawBufferPointer) {
        let copy = Array(frame)
        frames.withLock { $0.append(copy) }
    }

    var all: [[UInt8]] { frames.withLock { $0 } }
    var count: Int { frames.withLock { $0.count } }
}

/// An Ethernet frame with an IPv4 UDP datagram from 198.18.0.1 to 198.18.0.12, port 9, with no
/// checksums (only captures read it).
func udpFrame(from source: [UInt8], to destination: [UInt8], sourcePort: UInt16) -> [UInt8] {
    var frame = destination + source + [0x08, 0x00]
    frame += [0x45, 0, 0, 36, 0, 0, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 12]
    frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), 0, 9, 0, 16, 0, 0]
    return frame + [UInt8](repeating: 0x55, count: 8)
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; whether it held.
func eventually(within timeout: Duration = .seconds(3), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A TCP listener in a namespace, made from a thread in it (the socket stays there).
func listen(port: UInt16, address: String = "0.0.0.0") -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var yes: Int32 = 1
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var socketAddress = sockaddr_in()
    socketAddress.sin_family = sa_family_t(AF_INET)
    socketAddress.sin_port = port.bigEndian
    inet_pton(AF_INET, address, &socketAddress.sin_addr)
    let bound = withUnsafePointer(to: &socketAddress) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, Glibc.listen(descriptor, 16) == 0 else {
        close(descriptor)
        return -1
    }
    return descriptor
}

/// Connects to `address`:`port` from `host` with bash's /dev/tcp and writes a line; whether the
/// connection was made (within 2 s).
func connect(in lab: L4Lab, from host: String, to address: String, port: UInt16) -> Bool {
    lab.exec(host: host, ["timeout", "-s", "KILL", "3", "bash", "-c", "echo hello > /dev/tcp/\(address)/\(port)"]).status == 0
}

/// Fields of an Ethernet + IPv4 + TCP frame, read by hand (this suite must not lean on
/// SashaPacket, which is written alongside).
struct TCPFrameFields: Equatable {
    var destinationMAC: [UInt8]
    var sourceMAC: [UInt8]
    var sourcePort: UInt16
    var destinationPort: UInt16
    var flags: UInt8
    var checksumIsValid: Bool

    init?(_ frame: [UInt8]) {
        guard frame.count >= 54, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return nil }
        let headerLength = Int(frame[14] & 0x0f) * 4
        let totalLength = Int(frame[16]) << 8 | Int(frame[17])
        let tcp = 14 + headerLength
        guard frame.count >= 14 + totalLength, totalLength >= headerLength + 20 else { return nil }
        destinationMAC = Array(frame[0..<6])
        sourceMAC = Array(frame[6..<12])
        sourcePort = UInt16(frame[tcp]) << 8 | UInt16(frame[tcp + 1])
        destinationPort = UInt16(frame[tcp + 2]) << 8 | UInt16(frame[tcp + 3])
        flags = frame[tcp + 13]
        // One's-complement sum over the pseudo-header and the segment is 0xffff when valid.
        var sum: UInt32 = 6 + UInt32(totalLength - headerLength)
        for index in stride(from: 26, to: 34, by: 2) { sum += UInt32(frame[index]) << 8 | UInt32(frame[index + 1]) }
        var index = tcp
        while index < 14 + totalLength {
            let low = index + 1 < 14 + totalLength ? UInt32(frame[index + 1]) : 0
            sum += UInt32(frame[index]) << 8 | low
            index += 2
        }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        checksumIsValid = sum == 0xffff
    }

    var isSYN: Bool { flags & 0x12 == 0x02 }
}
