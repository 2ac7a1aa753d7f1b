import L4Common
import SashaSDK

#if canImport(Glibc)
import Glibc
#endif

/// What `l4-3` reads beyond the options both L4 strategies share.
struct L43Settings: Sendable {
    var common: L4Settings
    /// The servers' route to the clients (`gateway`): an address no host holds in its kernel, which
    /// the dispatcher answers ARP for, so that it moves with the dispatcher role.
    var gateway: IPv4Address
    /// The networks a server routes through the gateway (`client_networks`; default everything).
    var clientNetworks: [(address: IPv4Address, prefixLength: Int)]
    /// Threads that forward the servers' replies (`reply_threads`), with two NICs: the replies of
    /// a download outnumber the client's frames thirty to one, and need no map, so they spread
    /// over several threads (a fanout group, flows kept in order). With one NIC the input
    /// thread, which owns the map, handles them too.
    var replyThreads: Int

    /// Two reply threads where there are two cores or more.
    static var defaultReplyThreads: Int { min(2, max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    init(options: PluginOptions, context: StrategyContext, validating: Bool) throws(OptionError) {
        common = try L4Settings(options: options, context: context, validating: validating)
        let gatewayText = try options.string("gateway", default: nil)
        if let gatewayText {
            guard let gateway = IPv4Address(gatewayText) else {
                throw OptionError(key: "gateway", "expected an IPv4 address (one no host holds), got '\(gatewayText)'")
            }
            self.gateway = gateway
        } else if validating {
            gateway = IPv4Address(0)
        } else {
            throw OptionError(key: "gateway", "name the servers' gateway: an address on their link that no host holds (the dispatcher answers for it)")
        }
        clientNetworks = []
        for (index, text) in try options.strings("client_networks", default: ["0.0.0.0/0"]).enumerated() {
            guard let network = Self.network(text) else {
                throw OptionError(key: "client_networks.\(index)", "expected a network such as 198.18.1.0/24, got '\(text)'")
            }
            clientNetworks.append(network)
        }
        let oneNIC = common.outputInterface == common.interface
        let threads = try options.int("reply_threads", default: oneNIC ? 1 : Self.defaultReplyThreads, in: 1...16)
        if threads > 1, oneNIC {
            throw OptionError(key: "reply_threads", "needs output_interface: with one NIC the input thread, which owns the connection map, forwards the replies too")
        }
        replyThreads = threads
    }

    /// "198.18.1.0/24" as address and prefix length.
    static func network(_ text: String) -> (address: IPv4Address, prefixLength: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(parts[0]), let length = Int(parts[1]), (0...32).contains(length)
        else { return nil }
        return (address, length)
    }
}
