import SashaBase

/// Datagrams in: authentication, freshness and staleness checks, then each message.
extension RingMachine {
    /// Handles one datagram that arrived from `source` (the UDP source address). Anything wrong
    /// with it is counted and dropped; nothing in a datagram can make the machine trap.
    public mutating func receive(_ datagram: UnsafeRawBufferPointer, from source: IPv4Address, now: UInt64,
                                 into effects: inout [RingEffect]) {
        guard phase != .stopped else { return }
        resume(now: now, into: &effects)
        let packet: RingPacket
        do {
            packet = try configuration.codec.open(datagram, receiver: address)
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
        // Challenges are answered whatever the verdict: an answer changes nothing here, and a
        // challenge overtaken by a later packet of its sender (a replay to the window) would
        // otherwise be lost, and with it the handshake.
        queueAnswers(to: packet)
        switch freshness.check(packet) {
        case .fresh:
            accept(packet, size: datagram.count, now: now, into: &effects)
        case .replay:
            counters.droppedReplay += 1
        case .unverified:
            handshake(packet, size: datagram.count, now: now, into: &effects)
        }
        flushAnswers(into: &effects)
    }

    public mutating func receive(_ datagram: [UInt8], from source: IPv4Address, now: UInt64, into effects: inout [RingEffect]) {
        datagram.withUnsafeBytes { receive($0, from: source, now: now, into: &effects) }
    }

    private mutating func accept(_ packet: RingPacket, size: Int, now: UInt64, into effects: inout [RingEffect]) {
        counters.packetsIn += 1
        counters.bytesIn += UInt64(size)
        if known.count < 4096 { known.insert(packet.sender) }
        handle(packet, now: now, into: &effects)
    }

    /// A packet under an epoch this member has not verified. If it answers this member's
    /// challenge, the epoch is verified and the packet is handled. Otherwise nothing in it but a
    /// challenge counts: the challenge is answered and the sender is challenged in turn (at most
    /// once a heartbeat). What else it said is dropped, never kept for later: a packet sent
    /// before the answer cannot be told from a recording of one (a sender's periodic messages,
    /// and the join that rides on an answer, say it again).
    private mutating func handshake(_ packet: RingPacket, size: Int, now: UInt64, into effects: inout [RingEffect]) {
        for message in packet.messages where message.destination == address {
            guard case let .answer(nonce) = message.body, freshness.verify(packet, answering: nonce) else { continue }
            accept(packet, size: size, now: now, into: &effects)
            return
        }
        if packet.messages.contains(where: { !$0.isHandshake }) { counters.droppedUnverified += 1 }
        // Answering, this member challenges back in the same packet (repeating the nonce already
        // out, if recent): the sender's answer can then ride on whatever it sends next, the view
        // that takes this member in for one. A joiner adds its join to its answer.
        let answering = pendingAnswers.contains { $0.destination == packet.sender }
        if let (nonce, isNew) = freshness.challenge(packet.sender, now: now, interval: timing.heartbeat), isNew || answering {
            let challenge = RingMessage(origin: address, destination: packet.sender, body: .challenge(nonce: nonce))
            send([challenge] + (answering ? joinMessage.map { [$0] } ?? [] : []), to: packet.sender, ring: currentRing, into: &effects)
        }
    }

    /// Queues answers to the challenges `packet` carries for this member (`takeAnswers`).
    mutating func queueAnswers(to packet: RingPacket) {
        for message in packet.messages where message.destination == address {
            if case let .challenge(nonce) = message.body {
                pendingAnswers.append(RingMessage(origin: address, destination: packet.sender, body: .answer(nonce: nonce)))
            }
        }
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
            case let .heartbeat(viewDigest, viewVersion):
                carriesToken = true
                // Ask the heartbeat's origin, not our view's master: when the master left and
                // both copies of its leave were lost, our view still names it, and it is gone.
                if viewVersion > view.version {
                    send([RingMessage(origin: address, destination: message.origin, body: .sync)], to: message.origin, ring: view.ring, into: &effects)
                } else if viewVersion < view.version || viewDigest != view.digest {
                    // The master missed a change (a member's leave, both copies lost): nobody
                    // else would ever tell it, so the member that sees the old version does. The
                    // same for another view of the same version (a leave and a change by the
                    // master at once): the master then settles it with a newer one (`heardView`).
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
