import Foundation

/// Frames of every kind the L4 data paths act on, as fuzz inputs (selector byte + frame), so that
/// the fuzzer starts from real shapes: a SYN, a data segment with options, ARP requests and
/// replies, "fragmentation needed" quoting 28 bytes and quoting a whole segment, a port
/// unreachable, time exceeded, a first and a later fragment, IP options, padding after the packet.
enum SeedCorpus {
    static func write(to folder: String) throws {
        let client: [UInt8] = [198, 18, 1, 10], vip: [UInt8] = [198, 18, 1, 100], server: [UInt8] = [198, 18, 2, 11]
        let syn = ipv4(tcp(from: 40_000, to: 80, flags: 0x02), protocol: 6, from: client, to: vip)
        let data = ipv4(tcp(from: 40_000, to: 80, flags: 0x18, options: [2, 4, 5, 0xB4, 1, 1, 1, 0], payload: Array("GET / HTTP/1.1\r\n\r\n".utf8)),
                        protocol: 6, from: client, to: vip)
        let reply = ipv4(tcp(from: 80, to: 40_000, flags: 0x10, payload: [UInt8](repeating: 0x41, count: 40)), protocol: 6, from: server, to: client)
        let frames: [[UInt8]] = [
            ethernet(syn), ethernet(data), ethernet(reply),
            ethernet(syn) + [UInt8](repeating: 0, count: 6),                                         // padding after the packet
            ethernet(ipv4(tcp(from: 40_000, to: 80, flags: 0x10), protocol: 6, from: client, to: vip, options: [1, 1, 1, 0])),
            ethernet(ipv4(tcp(from: 40_000, to: 80, flags: 0x10), protocol: 6, from: client, to: vip, fragment: 0x2000)),   // first fragment
            ethernet(ipv4([UInt8](repeating: 0x42, count: 24), protocol: 6, from: client, to: vip, fragment: 0x0003)),        // a later one
            ethernet(icmp(type: 3, code: 4, rest: [0, 0, 0x05, 0x78], quoting: Array(reply.prefix(28))), from: [198, 18, 1, 253], to: vip),
            ethernet(icmp(type: 3, code: 4, rest: [0, 0, 0x05, 0x78], quoting: reply), from: [198, 18, 1, 253], to: vip),
            ethernet(icmp(type: 3, code: 3, rest: [0, 0, 0, 0], quoting: Array(syn.prefix(28))), from: server, to: client),
            ethernet(icmp(type: 11, code: 0, rest: [0, 0, 0, 0], quoting: Array(data.prefix(48))), from: [198, 18, 1, 253], to: vip),
            arp(operation: 1, senderIP: client, targetIP: vip),
            arp(operation: 2, senderIP: server, targetIP: [198, 18, 2, 1]),
        ]
        for (index, frame) in frames.enumerated() {
            // Once as captured (selector 0: checksums as they are), once made right by the target.
            for selector: UInt8 in [0x00, 0x01] {
                try Data([selector] + frame).write(to: URL(fileURLWithPath: "\(folder)/seed-\(index)-\(selector)"))
            }
        }
    }

    static func ethernet(_ payload: [UInt8], type: UInt16 = 0x0800) -> [UInt8] {
        [2, 0x5a, 0, 0, 1, 0, 2, 0x5a, 0, 0, 0x0a, 0] + be16(type) + payload
    }

    static func ethernet(_ icmpMessage: [UInt8], from: [UInt8], to: [UInt8]) -> [UInt8] {
        ethernet(ipv4(icmpMessage, protocol: 1, from: from, to: to))
    }

    /// An IPv4 packet; checksums are left zero (the selector's bit 0 makes them right).
    static func ipv4(_ payload: [UInt8], protocol number: UInt8, from: [UInt8], to: [UInt8], options: [UInt8] = [], fragment: UInt16 = 0x4000) -> [UInt8] {
        let headerLength = 20 + options.count
        return [0x40 | UInt8(headerLength / 4), 0] + be16(UInt16(headerLength + payload.count)) + [0x12, 0x34] + be16(fragment)
            + [64, number, 0, 0] + from + to + options + payload
    }

    static func tcp(from source: UInt16, to destination: UInt16, flags: UInt8, options: [UInt8] = [], payload: [UInt8] = []) -> [UInt8] {
        be16(source) + be16(destination) + [0, 0, 0x10, 0, 0, 0, 0x20, 0] + [UInt8((20 + options.count) / 4) << 4, flags]
            + [0xFA, 0xF0, 0, 0, 0, 0] + options + payload
    }

    static func icmp(type: UInt8, code: UInt8, rest: [UInt8], quoting quote: [UInt8]) -> [UInt8] {
        [type, code, 0, 0] + rest + quote
    }

    static func arp(operation: UInt16, senderIP: [UInt8], targetIP: [UInt8]) -> [UInt8] {
        ethernet([0, 1, 8, 0, 6, 4] + be16(operation) + [2, 0x5a, 0, 0, 0x0a, 0] + senderIP + [0, 0, 0, 0, 0, 0] + targetIP, type: 0x0806)
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}
