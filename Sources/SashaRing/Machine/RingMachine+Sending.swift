import SashaSDK

/// Sealing and addressing outgoing packets.
extension RingMachine {
    mutating func seal(_ messages: [RingMessage], ring: UInt64) -> [UInt8] {
        sequence &+= 1
        let bytes = configuration.codec.seal(RingPacket(sender: address, sequence: sequence, ring: ring, messages: messages))
        counters.packetsOut += 1
        counters.bytesOut += UInt64(bytes.count)
        return bytes
    }

    mutating func send(_ messages: [RingMessage], to destination: IPv4Address, ring: UInt64, into effects: inout [RingEffect]) {
        effects.append(.send(seal(messages, ring: ring), to: destination))
    }

    mutating func broadcast(_ messages: [RingMessage], ring: UInt64, into effects: inout [RingEffect]) {
        effects.append(.broadcast(seal(messages, ring: ring)))
    }

    mutating func broadcastJoin(now: UInt64, into effects: inout [RingEffect]) {
        guard case let .joining(_, previousRing) = phase else { return }
        let request = JoinRequest(canDispatch: mayDispatch, healthy: healthy,
                                  isDispatcher: role == .dispatcher, previousRing: previousRing)
        broadcast([RingMessage(origin: address, body: .join(request))], ring: 0, into: &effects)
    }

    /// The master's token: a heartbeat, with the cluster messages that were waiting for it.
    mutating func sendHeartbeat(view: RingView, now: UInt64, into effects: inout [RingEffect]) {
        guard let next = view.downstream(of: address) else {
            waitingForToken.removeAll()
            return
        }
        rotation &+= 1
        var messages = [RingMessage(origin: address, body: .heartbeat(rotation: rotation, viewVersion: view.version))]
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
