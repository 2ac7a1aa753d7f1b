import SashaPacket
import SashaSDK

/// SplitMix64: seeded, so every random test replays the same frames.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The Internet checksum the slow, obvious way (16-bit words, fold as we go): an independent
/// reference for the module's word-at-a-time implementation.
func referenceSum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt16 {
    var sum = initial
    var index = 0
    while index + 1 < bytes.count {
        sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
        sum = (sum & 0xFFFF) + (sum >> 16)
        index += 2
    }
    if index < bytes.count {
        sum += UInt32(bytes[index]) << 8
        sum = (sum & 0xFFFF) + (sum >> 16)
    }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return UInt16(sum)
}

func referencePseudoHeaderSum(source: UInt32, destination: UInt32, segmentLength: Int) -> UInt16 {
    referenceSum([
        UInt8(source >> 24), UInt8(source >> 16 & 0xFF), UInt8(source >> 8 & 0xFF), UInt8(source & 0xFF),
        UInt8(destination >> 24), UInt8(destination >> 16 & 0xFF), UInt8(destination >> 8 & 0xFF),
        UInt8(destination & 0xFF), 0, 6, UInt8(segmentLength >> 8), UInt8(segmentLength & 0xFF),
    ])
}

func be16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
func be32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(be16(bytes, at)) << 16 | UInt32(be16(bytes, at + 2)) }

/// Full IPv4 header checksum of the frame's bytes as they are (field zeroed for the sum).
func referenceIPChecksum(_ frame: [UInt8]) -> UInt16 {
    let headerLength = Int(frame[14] & 0x0F) * 4
    var header = Array(frame[14..<14 + headerLength])
    header[10] = 0
    header[11] = 0
    return ~referenceSum(header)
}

/// Full TCP checksum over the IP payload (not the padding), field zeroed for the sum.
func referenceTCPChecksum(_ frame: [UInt8]) -> UInt16 {
    let headerLength = Int(frame[14] & 0x0F) * 4
    let total = Int(be16(frame, 16))
    let tcp = 14 + headerLength
    var segment = Array(frame[tcp..<14 + total])
    segment[16] = 0
    segment[17] = 0
    let pseudo = referencePseudoHeaderSum(source: be32(frame, 26), destination: be32(frame, 30), segmentLength: segment.count)
    return ~referenceSum(segment, initial: UInt32(pseudo))
}

/// Builds Ethernet/IPv4/TCP frames byte by byte, with correct checksums from the reference.
struct FrameSpec {
    var destinationMAC = MACAddress(0x02, 0, 0, 0, 0, 0x01)
    var sourceMAC = MACAddress(0x02, 0, 0, 0, 0, 0x02)
    var etherType: UInt16 = 0x0800
    var source: UInt32 = 0x0A00_0001
    var destination: UInt32 = 0x0A00_0064
    var sourcePort: UInt16 = 40000
    var destinationPort: UInt16 = 80
    var flags: UInt8 = 0x10
    var ttl: UInt8 = 64
    var ipProtocol: UInt8 = 6
    /// Flags and fragment offset word (DF by default).
    var fragmentWord: UInt16 = 0x4000
    var ipOptions: [UInt8] = []
    var tcpOptions: [UInt8] = []
    var payload: [UInt8] = []
    /// Zero bytes after the IP packet, as Ethernet minimum-size padding.
    var padding = 0

    func bytes() -> [UInt8] {
        var frame: [UInt8] = []
        func put16(_ value: UInt16) { frame += [UInt8(value >> 8), UInt8(value & 0xFF)] }
        func put32(_ value: UInt32) { put16(UInt16(value >> 16)); put16(UInt16(value & 0xFFFF)) }
        func putMAC(_ mac: MACAddress) { for index in 0..<6 { frame.append(mac[index]) } }
        putMAC(destinationMAC)
        putMAC(sourceMAC)
        put16(etherType)
        let ipHeaderLength = 20 + ipOptions.count
        let tcpHeaderLength = 20 + tcpOptions.count
        let total = ipHeaderLength + tcpHeaderLength + payload.count
        frame.append(0x40 | UInt8(ipHeaderLength / 4))
        frame.append(0)
        put16(UInt16(total))
        put16(0x1234)
        put16(fragmentWord)
        frame.append(ttl)
        frame.append(ipProtocol)
        put16(0)
        put32(source)
        put32(destination)
        frame += ipOptions
        put16(sourcePort)
        put16(destinationPort)
        put32(0x0102_0304)
        put32(0x0506_0708)
        frame.append(UInt8(tcpHeaderLength / 4) << 4)
        frame.append(flags)
        put16(65535)
        put16(0)
        put16(0)
        frame += tcpOptions
        frame += payload
        frame += [UInt8](repeating: 0, count: padding)
        let ipChecksum = referenceIPChecksum(frame)
        frame[24] = UInt8(ipChecksum >> 8)
        frame[25] = UInt8(ipChecksum & 0xFF)
        let tcp = 14 + ipHeaderLength
        let tcpChecksum = referenceTCPChecksum(frame)
        frame[tcp + 16] = UInt8(tcpChecksum >> 8)
        frame[tcp + 17] = UInt8(tcpChecksum & 0xFF)
        return frame
    }

    /// A random valid spec: random addresses, ports, options, odd and even payloads, padding.
    static func random(using random: inout SeededRandom) -> FrameSpec {
        var spec = FrameSpec()
        spec.source = UInt32.random(in: .min ... .max, using: &random)
        spec.destination = UInt32.random(in: .min ... .max, using: &random)
        spec.sourcePort = UInt16.random(in: .min ... .max, using: &random)
        spec.destinationPort = UInt16.random(in: .min ... .max, using: &random)
        spec.flags = UInt8.random(in: .min ... .max, using: &random)
        spec.ipOptions = (0..<Int.random(in: 0...10, using: &random) * 4).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        spec.tcpOptions = (0..<Int.random(in: 0...10, using: &random) * 4).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let payloadLength = Int.random(in: 0...(Bool.random(using: &random) ? 9 : 1400), using: &random)
        spec.payload = (0..<payloadLength).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let natural = 14 + 40 + spec.ipOptions.count + spec.tcpOptions.count + payloadLength
        spec.padding = max(0, 60 - natural) + (Bool.random(using: &random) ? Int.random(in: 0...7, using: &random) : 0)
        return spec
    }
}

/// Runs `body` over the array's bytes as a frame.
func withFrame<R>(_ frame: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
    try frame.withUnsafeMutableBytes { try body($0) }
}

/// The TCP view of a frame that must be one.
func tcpFrame(_ buffer: UnsafeMutableRawBufferPointer) -> TCPFrame? {
    if case .ipv4TCP(let frame) = classify(buffer) { return frame }
    return nil
}
