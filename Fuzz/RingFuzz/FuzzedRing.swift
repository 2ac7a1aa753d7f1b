import SashaRing
import SashaSDK

/// Three members that formed a ring on a perfect network, ready to be fed hostile datagrams.
/// Built once per process (the fuzzer calls the input function millions of times) and copied
/// per input: `RingMachine` is a value, so every input starts from the same formed ring.
struct FuzzedRing {
    static let addresses = (1...3).map { IPv4Address(0x0A00_0000 | UInt32($0)) }
    static let formed = FuzzedRing()

    var machines: [RingMachine]
    var now: UInt64 = 1_000_000_000

    private init() {
        machines = Self.addresses.map { address in
            RingMachine(configuration: .init(address: address, canDispatch: true, timing: .fast, codec: .insecure, seeds: Self.addresses),
                        now: 1_000_000_000, wallClockMicroseconds: 1_800_000_000_000_000, epoch: Self.epoch(of: address))
        }
        var queue: [(bytes: [UInt8], from: Int, to: Int)] = []
        for index in machines.indices {
            var effects: [RingEffect] = []
            machines[index].start(now: now, into: &effects)
            enqueue(effects, from: index, into: &queue)
        }
        run(milliseconds: 400, queue: &queue)
    }

    /// Fixed epochs, so that seeds can speak as a verified member (the fuzzer then reaches the
    /// machine's handling) and mutated ones as an unverified one (the handshake).
    static func epoch(of address: IPv4Address) -> UInt32 { 0xF022_0000 | (address.value & 0xFF) }

    func enqueue(_ effects: [RingEffect], from index: Int, into queue: inout [(bytes: [UInt8], from: Int, to: Int)]) {
        for effect in effects {
            switch effect {
            case let .send(bytes, to):
                if let target = Self.addresses.firstIndex(of: to) { queue.append((bytes, index, target)) }
            case let .broadcast(bytes):
                for target in machines.indices where target != index { queue.append((bytes, index, target)) }
            default:
                break
            }
        }
    }

    /// Delivers everything queued, then advances time in 1 ms steps, delivering as it goes.
    mutating func run(milliseconds: Int, queue: inout [(bytes: [UInt8], from: Int, to: Int)]) {
        for _ in 0..<milliseconds {
            var budget = 10_000
            while !queue.isEmpty, budget > 0 {
                budget -= 1
                let datagram = queue.removeFirst()
                var effects: [RingEffect] = []
                machines[datagram.to].receive(datagram.bytes, from: Self.addresses[datagram.from], now: now, into: &effects)
                enqueue(effects, from: datagram.to, into: &queue)
            }
            now += 1_000_000
            for index in machines.indices where machines[index].nextDeadline <= now {
                var effects: [RingEffect] = []
                machines[index].tick(now: now, into: &effects)
                enqueue(effects, from: index, into: &queue)
            }
        }
    }
}
