import SashaBase

/// Sealing and addressing outgoing packets.
extension RingMachine {
    /// Seals for `receiver` (one member; the tag then holds its address) or for everyone (nil).
    mutating func seal(_ messages: [RingMessage], ring: UInt64, to receiver: IPv4Address?) -> [UInt8] {
        sequence &+= 1
        let packet = RingPacket(sender: address, epoch: freshness.ownEpoch, sequence: sequence, ring: ring, messages: messages)
        let bytes = configuration.codec.seal(packet, to: receiver)
        counters.packetsOut += 1
        counters.bytesOut += UInt64(bytes.count)
        return bytes
    }

    mutating func send(_ messages: [RingMessage], to destination: IPv4Address, ring: UInt64, into effects: inout [RingEffect]) {
        let messages = messages + takeAnswers(for: destination)
        effects.append(.send(seal(messages, ring: ring, to: destination), to: destination))
    }

    mutating func broadcast(_ messages: [RingMessage], ring: UInt64, into effects: inout [RingEffect]) {
        let messages = messages + takeAnswers(for: nil)
        effects.append(.broadcast(seal(messages, ring: ring, to: nil)))
    }

    /// This member's join, while it is looking for a ring.
    var joinMessage: RingMessage? {
        guard case let .joining(_, previousRing) = phase else { return nil }
        let request = JoinRequest(canDispatch: mayDispatch, healthy: healthy,
                                  isDispatcher: role == .dispatcher, previousRing: previousRing)
        return RingMessage(origin: address, body: .join(request))
    }

    mutating func broadcastJoin(now: UInt64, into effects: inout [RingEffect]) {
        guard let join = joinMessage else { return }
        broadcast([join], ring: 0, into: &effects)
    }

    // MARK: Answers to challenges

    /// Answers ride on the next packet that reaches their challenger: the view a master
    /// broadcasts because of the join that came with the challenge carries the answer that lets
    /// the joiner read it (sent apart, the two could cross). The answers to one `receive` that no
    /// such packet took go out on their own at its end (`flushAnswers`). A member looking for a
    /// ring adds its join, so that the challenger hears it without waiting for the next one.
    mutating func takeAnswers(for destination: IPv4Address?) -> [RingMessage] {
        guard !pendingAnswers.isEmpty else { return [] }
        let taken = pendingAnswers.filter { destination == nil || $0.destination == destination }
        pendingAnswers.removeAll { destination == nil || $0.destination == destination }
        return taken
    }

    mutating func flushAnswers(into effects: inout [RingEffect]) {
        while let next = pendingAnswers.first?.destination {
            var messages: [RingMessage] = joinMessage.map { [$0] } ?? []
            messages += takeAnswers(for: next)
            effects.append(.send(seal(messages, ring: currentRing, to: next), to: next))
        }
    }

    /// The master's token: a heartbeat, with the cluster messages that were waiting for it.
    mutating func sendHeartbeat(view: RingView, now: UInt64, into effects: inout [RingEffect]) {
        guard let next = view.downstream(of: address) else {
            waitingForToken.removeAll()
            return
        }
        var messages = [RingMessage(origin: address, body: .heartbeat(viewDigest: view.digest, viewVersion: view.version))]
        takeWaitingMessages(into: &messages)
        send(messages, to: next, ring: view.ring, into: &effects)
    }

    /// Moves waiting cluster messages onto a passing token, as many as fit in one packet.
    mutating func takeWaitingMessages(into messages: inout [RingMessage]) {
        guard !waitingForToken.isEmpty else { return }
        let room = RingPacket.maximumMessages - messages.count
        let taken = min(room, waitingForToken.count)
        messages.append(contentsOf: waitingForToken.prefix(taken))
        waitingForToken.removeFirst(taken)
    }

    /// Tells the master when the view's record of this member's health, or of whether it may
    /// dispatch, is wrong (the member's check or data path changed, or an earlier report was lost).
    mutating func reportHealthIfStale(now: UInt64, into effects: inout [RingEffect]) {
        guard phase == .member, var view, let me = view.member(address),
              me.healthy != healthy || me.canDispatch != mayDispatch else { return }
        if view.master == address {
            view.setState(address, healthy: healthy, canDispatch: mayDispatch)
            publish(view.next(cause: .health), now: now, into: &effects)
        } else {
            send([RingMessage(origin: address, destination: view.master, body: .health(healthy: healthy, canDispatch: mayDispatch))],
                 to: view.master, ring: view.ring, into: &effects)
        }
    }
}

extension RingView {
    /// The same membership as a newer version.
    func next(cause: ViewCause) -> RingView {
        var copy = self
        copy.version &+= 1
        copy.cause = cause
        return copy
    }
}
