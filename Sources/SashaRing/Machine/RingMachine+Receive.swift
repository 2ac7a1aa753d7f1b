import SashaSDK

/// Datagrams in: authentication, replay and staleness checks, then each message.
extension RingMachine {
    /// Handles one datagram that arrived from `source` (the UDP source address). Anything wrong
    /// with it is counted and dropped; nothing in a datagram can make the machine trap.
    public mutating func receive(_ datagram: UnsafeRawBufferPointer, from source: IPv4Address, now: UInt64,
                                 into effects: inout [RingEffect]) {
        guard phase != .stopped else { return }
        resume(now: now, into: &effects)
        let packet: RingPacket
        do {
            packet = try configuration.codec.open(datagram)
        } catch .badTag {
            counters.droppedBadTag += 1
            return
        } catch {
            counters.droppedMalformed += 1
            return
        }
        guard packet.sender == source else {
            counters.droppedSpoofed += 1
            return
        }
        guard packet.sender != address else { return }  // our own broadcast, looped back
        if var window = replayWindows[packet.sender] {
            guard window.accept(packet.sequence) else {
                counters.droppedReplay += 1
                return
            }
            replayWindows[packet.sender] = window
        } else {
            replayWindows[packet.sender] = ReplayWindow(first: packet.sequence)
        }
        counters.packetsIn += 1
        counters.bytesIn += UInt64(datagram.count)
        if known.count < 4096 { known.insert(packet.sender) }
        handle(packet, now: now, into: &effects)
    }

    public mutating func receive(_ datagram: [UInt8], from source: IPv4Address, now: UInt64, into effects: inout [RingEffect]) {
        datagram.withUnsafeBytes { receive($0, from: source, now: now, into: &effects) }
    }

    private mutating func handle(_ packet: RingPacket, now: UInt64, into effects: inout [RingEffect]) {
        let inMyRing = phase == .member && packet.ring != 0 && packet.ring == view?.ring
        if inMyRing, let view, packet.sender == view.upstream(of: address) {
            lastFromUpstream = now
        }
        var travelling: [RingMessage] = []
        var staleCounted = false
        for message in packet.messages {
            if message.travelsTheRing {
                if inMyRing {
                    travelling.append(message)
                } else if !staleCounted {
                    counters.droppedStaleRing += 1
                    staleCounted = true
                }
                continue
            }
            handleControl(message, packet: packet, now: now, into: &effects)
        }
        if !travelling.isEmpty, phase == .member, let view, packet.ring == view.ring {
            forward(travelling, view: view, now: now, into: &effects)
        }
    }

    /// The spec's Figure 11: take what is for this member, drop what came back or expired, and
    /// pass the rest to the downstream neighbour, with any waiting messages if the token is here.
    private mutating func forward(_ messages: [RingMessage], view: RingView, now: UInt64, into effects: inout [RingEffect]) {
        var kept: [RingMessage] = []
        kept.reserveCapacity(messages.count)
        var carriesToken = false
        for var message in messages {
            if message.origin == address {
                if case .heartbeat = message.body { counters.rotations += 1 }
                continue
            }
            message.hops &+= 1
            if Int(message.hops) > view.count + 1 {
                counters.expiredMessages += 1
                continue
            }
            switch message.body {
            case let .heartbeat(_, viewVersion):
                carriesToken = true
                // Ask the heartbeat's origin, not our view's master: when the master left and
                // both copies of its leave were lost, our view still names it, and it is gone.
                if viewVersion > view.version {
                    send([RingMessage(origin: address, destination: message.origin, body: .sync)], to: message.origin, ring: view.ring, into: &effects)
                } else if viewVersion < view.version {
                    // The master missed a change (a member's leave, both copies lost): nobody
                    // else would ever tell it, so the member that sees the old version does.
                    send([RingMessage(origin: address, destination: message.origin, body: .view(view))], to: message.origin, ring: view.ring, into: &effects)
                }
            case let .cluster(channel, payload):
                if message.destination == nil || message.destination == address {
                    effects.append(.delivered(channel: channel, payload: payload, from: message.origin))
                }
                if message.destination == address { continue }
            default:
                break
            }
            kept.append(message)
        }
        if carriesToken {
            takeWaitingMessages(into: &kept)
            reportHealthIfStale(now: now, into: &effects)
        }
        guard !kept.isEmpty, let next = view.downstream(of: address) else { return }
        send(kept, to: next, ring: view.ring, into: &effects)
    }
}
