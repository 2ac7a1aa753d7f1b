import SashaLink
import SashaSDK

/// The l4-3 server side (the spec's Figure 5): replies to clients go through the gateway address
/// the dispatcher answers for (a route per client network, default everything), and the member's
/// service answers on its own address at the cluster ports. `undo()` puts back the routes that
/// were there.
struct NATServerSide: Sendable {
    private var routes: [(address: IPv4Address, prefixLength: Int, previous: IPv4Address?)] = []
    private var served: [UInt16] = []

    mutating func apply(settings: L43Settings, node: IPv4Address, host: PluginHost?) throws(OptionError) {
        for network in settings.clientNetworks where !routes.contains(where: { $0.address == network.address && $0.prefixLength == network.prefixLength }) {
            let previous = Route.gateway(for: network.address, prefixLength: network.prefixLength)
            do {
                try Route.replace(network.address, prefixLength: network.prefixLength, via: settings.gateway)
            } catch {
                throw OptionError(key: "client_networks", "l4-3 servers route clients through the gateway: \(error)")
            }
            routes.append((network.address, network.prefixLength, previous == settings.gateway ? nil : previous))
        }
        for port in settings.common.ports where !served.contains(port) {
            try host?.serveAlso(on: node, port: port)
            served.append(port)
        }
    }

    mutating func undo(settings: L43Settings, node: IPv4Address, host: PluginHost?) {
        for port in served { host?.stopServing(on: node, port: port) }
        served = []
        for route in routes.reversed() {
            if let previous = route.previous {
                try? Route.replace(route.address, prefixLength: route.prefixLength, via: previous)
            } else {
                try? Route.remove(route.address, prefixLength: route.prefixLength, via: settings.gateway)
            }
        }
        routes = []
    }
}
