import SashaRing
import SashaSDK

/// Turns the ring's view into the list of servers the policy and the strategy see: who serves,
/// on which port, with which weight and tags, and whether it may take new connections now.
///
/// Pure, so that the rules are tested without a ring: the dispatcher does not serve (it is busy
/// dispatching) unless it is the last member standing; a member with `serve: false` never does;
/// a member is down when its own health check says so (the ring's view) or a strategy excluded it
/// for a while (`ServerExclusions`).
public struct ServerListBuilder: Sendable {
    public let config: SashaConfig
    /// Tag names in the order of their bits; stable for the life of the process.
    public let tagNames: [String]

    public init(config: SashaConfig) {
        self.config = config
        self.tagNames = config.tagNames
    }

    public func servers(in view: RingView, excluded: (IPv4Address) -> Bool = { _ in false }) -> ServerList {
        let alone = view.count == 1
        var servers: [Server] = []
        servers.reserveCapacity(view.count)
        for member in view.members {
            let settings = config.node(member.address)
            guard settings.serve else { continue }
            if member.address == view.dispatcher, !alone { continue }
            servers.append(Server(
                address: member.address, port: config.service.servingPort, weight: settings.weight,
                tagMask: tagMask(settings.tags), isUp: member.healthy && !excluded(member.address)))
        }
        return ServerList(servers: servers, tagNames: tagNames)
    }

    private func tagMask(_ tags: [String]) -> UInt64 {
        var mask: UInt64 = 0
        for tag in tags {
            if let bit = tagNames.firstIndex(of: tag), bit < SashaConfig.maximumTags { mask |= 1 << UInt64(bit) }
        }
        return mask
    }
}
