import SashaBase

/// Joins, purges, views, merges: how the ring forms, grows, breaks and heals.
extension RingMachine {
    mutating func handleControl(_ message: RingMessage, packet: RingPacket, now: UInt64, into effects: inout [RingEffect]) {
        switch message.body {
        case let .join(request):
            heardJoin(from: message.origin, request, now: now, into: &effects)
        case let .purge(ring, suspect):
            if phase == .member, let view, ring == view.ring {
                effects.append(.purged(by: message.origin, suspect: suspect))
                beginRejoin(leaving: view, suspect: suspect, now: now, into: &effects)
                relayPurge(message, view: view, suspect: suspect, into: &effects)
            } else if case let .joining(_, previousRing) = phase, previousRing == ring,
                      awaitedRejoiners?.remove(suspect) != nil {
                formEarlyIfEveryoneRejoined(now: now, into: &effects)
            }
        case let .view(view):
            heardView(view, now: now, into: &effects)
        case .beacon:
            // The larger of two masters asks the smaller to absorb its ring.
            if phase == .member, let view, view.master == address, packet.ring != view.ring, message.origin < address {
                send([RingMessage(origin: address, destination: message.origin, body: .merge(view))],
                     to: message.origin, ring: view.ring, into: &effects)
            }
        case let .merge(other):
            absorb(other, now: now, into: &effects)
        case .sync:
            if phase == .member, let view, view.contains(message.origin) {
                send([RingMessage(origin: address, destination: message.origin, body: .view(view))],
                     to: message.origin, ring: view.ring, into: &effects)
            }
        case let .health(healthy, canDispatch):
            if phase == .member, var view, view.master == address, let member = view.member(message.origin),
               member.healthy != healthy || member.canDispatch != canDispatch {
                view.setState(message.origin, healthy: healthy, canDispatch: canDispatch)
                publish(view.next(cause: .health), now: now, into: &effects)
            }
        case .heartbeat, .cluster, .challenge, .answer:
            // Challenges were answered on arrival, whatever the packet's verdict (`receive`).
            break
        }
    }

    // MARK: Joining and forming

    private mutating func heardJoin(from joiner: IPv4Address, _ request: JoinRequest, now: UInt64, into effects: inout [RingEffect]) {
        switch phase {
        case .stopped:
            return
        case .joining:
            joinsHeard[joiner] = (request, now)
            formEarlyIfEveryoneRejoined(now: now, into: &effects)
        case .member:
            guard let view else { return }
            if view.contains(joiner) {
                if request.previousRing == view.ring {
                    // It purged our ring and we missed the purge: rebuild with it.
                    effects.append(.purged(by: joiner, suspect: joiner))
                    beginRejoin(leaving: view, now: now, into: &effects)
                    joinsHeard[joiner] = (request, now)
                    return
                }
                // The smallest other member answers (the joiner may be the master itself).
                guard view.members.first(where: { $0.address != joiner })?.address == address else { return }
                if request.previousRing != 0 {
                    // Not a new process: it was rebuilding another ring (most often the one this
                    // view replaced, its join still in flight when the view went out). Treating
                    // it as a restart would take the dispatcher role from it; resend the view.
                    send([RingMessage(origin: address, destination: joiner, body: .view(view))], to: joiner, ring: view.ring, into: &effects)
                    return
                }
                // A join sent before the joiner took the view that holds it (at a cold start, or
                // just after it was inserted) arrives a moment after the view changed: that is no
                // restart. A process that did restart says it again a join interval later.
                guard now >= lastViewChange + timing.joinInterval else { return }
                // It restarted before anyone noticed, and it comes back as a server.
                var next = view.next(cause: .rejoined)
                next.insert(address: joiner, canDispatch: request.canDispatch, healthy: request.healthy)
                if next.dispatcher == joiner { next.dispatcher = nil }
                next.settleDispatcher(preferring: Set(view.members.map(\.address)).subtracting([joiner]))
                publish(next, now: now, into: &effects)
            } else if view.master == address {
                guard view.count < RingView.maximumMembers else {
                    counters.droppedRingFull += 1
                    return
                }
                var next = view.next(cause: .expanded)
                next.insert(address: joiner, canDispatch: request.canDispatch, healthy: request.healthy)
                next.settleDispatcher(preferring: Set(view.members.map(\.address)))
                publish(next, now: now, into: &effects)
            }
        }
    }

    mutating func expireJoins(now: UInt64) {
        joinsHeard = joinsHeard.filter { now <= $0.value.at + timing.joinExpiry }
    }

    /// The smallest address among the members heard joining forms the ring.
    var formsTheRing: Bool { joinsHeard.keys.allSatisfy { address < $0 } }

    /// After a purge, every member of the purged ring but the suspects has been heard rejoining:
    /// waiting out the rest of the broadcast timeout would only delay the rebuild (the timeout is
    /// the bound for members that do not answer, not a pause). This is what makes failover about
    /// one token timeout rather than a token timeout plus a broadcast timeout.
    var everyoneRejoined: Bool {
        guard let awaited = awaitedRejoiners else { return false }
        return awaited.allSatisfy { joinsHeard[$0] != nil }
    }

    mutating func formEarlyIfEveryoneRejoined(now: UInt64, into effects: inout [RingEffect]) {
        if isJoining, everyoneRejoined, formsTheRing { formRing(now: now, into: &effects) }
    }

    mutating func formRing(now: UInt64, into effects: inout [RingEffect]) {
        // Its creation time, newer than any ring this member has been in. When its clock is
        // behind that ring's creator's, every member rebuilding from that ring would pick the
        // same "ring + 1": two different rings with one name never merge. The address keeps
        // them apart.
        let clock = wallClockOffset &+ now / 1000
        let created = clock > lastRingCreated ? clock : lastRingCreated + 1 + UInt64(address.value & 0xFFFF)
        var members = [RingMember(address: address, id: 1, canDispatch: mayDispatch, healthy: healthy)]
        var claimants: [IPv4Address] = role == .dispatcher ? [address] : []
        for (joiner, heard) in joinsHeard.sorted(by: { $0.key < $1.key }) {
            guard members.count < RingView.maximumMembers else { counters.droppedRingFull += 1; break }
            members.append(RingMember(address: joiner, id: UInt8(members.count + 1), canDispatch: heard.request.canDispatch,
                                      healthy: heard.request.healthy))
            if heard.request.isDispatcher, heard.request.canDispatch { claimants.append(joiner) }
        }
        // A dispatcher that survived the purge keeps the role (two meeting: the smaller keeps it).
        var view = RingView(ring: created, version: 1, cause: .formed, dispatcher: claimants.min(), members: members)
        view.settleDispatcher()
        publish(view, now: now, into: &effects)
    }

    // MARK: Views

    /// Adopts `view` and tells everyone else about it.
    mutating func publish(_ view: RingView, now: UInt64, into effects: inout [RingEffect]) {
        for member in view.members where member.address != address && known.count < 4096 { known.insert(member.address) }
        broadcast([RingMessage(origin: address, body: .view(view))], ring: view.ring, into: &effects)
        adopt(view, now: now, into: &effects)
    }

    private mutating func heardView(_ incoming: RingView, now: UInt64, into effects: inout [RingEffect]) {
        switch phase {
        case .stopped:
            return
        case .joining:
            // A late or duplicated copy of the view this member already had (or an older one)
            // would put it back into a ring that has moved on.
            if let view, incoming.ring == view.ring, incoming.version <= view.version { return }
            if incoming.contains(address) { adopt(incoming, now: now, into: &effects) }
        case .member:
            guard let view else { return }
            if incoming.ring == view.ring {
                guard incoming.version > view.version else {
                    // Two views of one version: two changes were made at once (a member left
                    // while the master changed the view). The master's view wins, as a newer one.
                    if incoming.version == view.version, view.master == address, incoming.digest != view.digest {
                        publish(view.next(cause: .resent), now: now, into: &effects)
                    }
                    return
                }
                if incoming.contains(address) {
                    adopt(incoming, now: now, into: &effects)
                } else {
                    // The ring went on without us (we were thought gone): join it again.
                    beginRejoin(leaving: view, now: now, into: &effects)
                }
            } else if incoming.contains(address),
                      incoming.master < view.master || (incoming.master == view.master && incoming.ring > view.ring) {
                // A ring with a smaller master absorbed ours, or our master formed a new ring.
                adopt(incoming, now: now, into: &effects)
            }
        }
    }

    /// The master of the smaller ring takes in a whole ring whose master is greater.
    private mutating func absorb(_ other: RingView, now: UInt64, into effects: inout [RingEffect]) {
        guard phase == .member, let view, view.master == address, other.ring != view.ring, other.master > address else { return }
        var next = view.next(cause: .merged)
        for member in other.members where !next.contains(member.address) {
            guard next.count < RingView.maximumMembers else { counters.droppedRingFull += 1; break }
            next.insert(address: member.address, canDispatch: member.canDispatch, healthy: member.healthy)
        }
        // Two dispatchers meet: the higher address abdicates.
        next.dispatcher = [view.dispatcher, other.dispatcher].compactMap { $0 }.min()
        next.settleDispatcher(preferring: Set(view.members.map(\.address)))
        publish(next, now: now, into: &effects)
    }

    mutating func adopt(_ next: RingView, now: UInt64, into effects: inout [RingEffect]) {
        let previous = view
        let previousRole = role
        let wasMember = phase == .member
        view = next
        phase = .member
        joinsHeard.removeAll()
        lastRingCreated = max(lastRingCreated, next.ring)
        lastViewChange = now
        lastFromUpstream = now
        let changedRing = previous?.ring != next.ring || !wasMember
        if changedRing {
            waitingForToken.removeAll()
        }
        if next.master == address, previous?.master != address || changedRing {
            nextHeartbeat = 0
            nextBeacon = 0
        }
        counters.viewChanges += 1
        if previous?.dispatcher != next.dispatcher, next.dispatcher != nil { counters.elections += 1 }
        let elapsed = recoveryStarted.map { now - $0 }
        recoveryStarted = nil
        effects.append(.viewChanged(next, elapsed: elapsed))
        role = next.role(of: address)
        if role != previousRole {
            effects.append(.roleChanged(from: previousRole, to: role, cause: next.cause.description))
        }
    }

    // MARK: Faults

    mutating func detectFault(suspect: IPv4Address, view: RingView, now: UInt64, into effects: inout [RingEffect]) {
        counters.purges += 1
        effects.append(.faultDetected(suspect: suspect))
        let purge = RingMessage(origin: address, body: .purge(ring: view.ring, suspect: suspect))
        broadcast([purge], ring: view.ring, into: &effects)
        beginRejoin(leaving: view, suspect: suspect, now: now, into: &effects)
        relayPurge(purge, view: view, suspect: suspect, into: &effects)
    }

    /// Besides the broadcast, a purge travels the ring itself, downstream from the member that
    /// noticed the silence round to the suspect's upstream neighbour: with a single fault the
    /// ring minus one member is still a path, so a lost broadcast does not delay the rebuild.
    private mutating func relayPurge(_ purge: RingMessage, view: RingView, suspect: IPv4Address, into effects: inout [RingEffect]) {
        guard let next = view.downstream(of: address), next != suspect, next != purge.origin else { return }
        send([purge], to: next, ring: view.ring, into: &effects)
    }

    /// Leaves `view` (purged, or gone on without us) and looks for a ring again. The role stays
    /// as it was until a new view is adopted, so a dispatcher keeps dispatching meanwhile.
    ///
    /// After a purge naming `suspect`, the rebuild finishes early once every other member of
    /// `view` has rejoined. Not otherwise: a member that was frozen or left behind cannot tell
    /// whether the joins waiting in its socket are from this rebuild or one long finished.
    mutating func beginRejoin(leaving view: RingView, suspect: IPv4Address? = nil, now: UInt64, into effects: inout [RingEffect]) {
        phase = .joining(since: now, previousRing: view.ring)
        awaitedRejoiners = suspect.map { Set(view.members.map(\.address)).subtracting([address, $0]) }
        recoveryStarted = recoveryStarted ?? now
        joinsHeard.removeAll()
        waitingForToken.removeAll()
        nextJoin = now + timing.joinInterval
        broadcastJoin(now: now, into: &effects)
    }
}
