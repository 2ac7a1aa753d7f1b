import SashaSDK
@testable import SashaRing

/// A few machines on a perfect network with a 100 µs hop, on virtual time: enough to pin single
/// behaviours down. (The simulator in RingSimulationTests is the lossy, faulty one.)
struct RingHarness {
    var machines: [IPv4Address: RingMachine] = [:]
    var now: UInt64 = 1_000_000_000
    var inFlight: [(at: UInt64, bytes: [UInt8], from: IPv4Address, to: IPv4Address)] = []
    /// Everything the machines reported, by member, in order.
    var reported: [IPv4Address: [RingEffect]] = [:]
    /// Members in different groups cannot reach each other; members in no group reach everyone
    /// not in a group.
    var partition: [Set<UInt32>] = []
    let timing = RingTiming.fast
    let codec = RingCodec(key: Array(repeating: 1, count: 32))
    let seeds: [IPv4Address]

    static func address(_ last: UInt32) -> IPv4Address { IPv4Address(0x0A00_0000 | last) }

    init(seeds: [UInt32]) { self.seeds = seeds.map(Self.address) }

    /// Each start draws the next epoch, as a restarted process draws a new random one.
    var epochsDrawn: UInt32 = 0

    /// Every datagram delivered while not nil, in order (to replay it later).
    var recording: [(bytes: [UInt8], from: IPv4Address, to: IPv4Address)]?

    /// - Parameter clockBehind: how far this host's wall clock is behind the others', in µs.
    mutating func start(_ last: UInt32, canDispatch: Bool = true, clockBehind: UInt64 = 0) {
        let address = Self.address(last)
        epochsDrawn += 1
        var machine = RingMachine(configuration: .init(address: address, canDispatch: canDispatch, timing: timing, codec: codec, seeds: seeds),
                                  now: now, wallClockMicroseconds: 1_800_000_000_000_000 + now / 1000 - clockBehind,
                                  epoch: 0x5EED_0000 | epochsDrawn)
        var effects: [RingEffect] = []
        machine.start(now: now, into: &effects)
        machines[address] = machine
        route(effects, from: address)
    }

    mutating func crash(_ last: UInt32) { machines[Self.address(last)] = nil }

    mutating func with(_ last: UInt32, _ body: (inout RingMachine, _ now: UInt64, inout [RingEffect]) -> Void) {
        let address = Self.address(last)
        var effects: [RingEffect] = []
        body(&machines[address]!, now, &effects)
        route(effects, from: address)
    }

    mutating func route(_ effects: [RingEffect], from sender: IPv4Address) {
        for effect in effects {
            switch effect {
            case let .send(bytes, to):
                inFlight.append((now + 100_000, bytes, sender, to))
            case let .broadcast(bytes):
                for target in machines[sender]?.broadcastTargets ?? seeds where target != sender {
                    inFlight.append((now + 100_000, bytes, sender, target))
                }
            default:
                reported[sender, default: []].append(effect)
            }
        }
    }

    /// Runs for `milliseconds` of virtual time in 100 µs steps.
    mutating func run(milliseconds: UInt64) {
        let end = now + milliseconds * 1_000_000
        while now < end {
            now += 100_000
            let due = inFlight.filter { $0.at <= now }
            inFlight.removeAll { $0.at <= now }
            for datagram in due where reachable(datagram.from, datagram.to) {
                guard machines[datagram.to] != nil else { continue }
                recording?.append((datagram.bytes, datagram.from, datagram.to))
                var effects: [RingEffect] = []
                machines[datagram.to]!.receive(datagram.bytes, from: datagram.from, now: now, into: &effects)
                route(effects, from: datagram.to)
            }
            for address in machines.keys.sorted() where machines[address]!.nextDeadline <= now {
                var effects: [RingEffect] = []
                machines[address]!.tick(now: now, into: &effects)
                route(effects, from: address)
            }
        }
    }

    func reachable(_ from: IPv4Address, _ to: IPv4Address) -> Bool {
        let group = { (address: IPv4Address) in partition.firstIndex { $0.contains(address.value & 0xFF) } }
        return group(from) == group(to)
    }

    func view(_ last: UInt32) -> RingView? { machines[Self.address(last)]?.view }
    func role(_ last: UInt32) -> RingRole? { machines[Self.address(last)]?.role }
    func members(_ last: UInt32) -> [UInt32] { view(last)?.members.map { $0.address.value & 0xFF } ?? [] }
    func dispatcher(_ last: UInt32) -> UInt32? { view(last)?.dispatcher.map { $0.value & 0xFF } }
}
