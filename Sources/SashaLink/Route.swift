import Glibc
import SashaBase

/// IPv4 routes through a gateway in the main table, through rtnetlink (what `ip route replace`
/// and `ip route del` do, without a child process), in the calling thread's network namespace.
/// The l4-3 server side sends its replies to clients through the dispatcher's gateway address.
/// Needs CAP_NET_ADMIN, except `gateway(for:prefixLength:)`.
public enum Route {
    /// The gateway of the main table's route for exactly `destination/prefixLength`, or nil when
    /// there is none (or it has no gateway).
    public static func gateway(for destination: IPv4Address, prefixLength: Int) -> IPv4Address? {
        guard let socket = try? RouteSocket(), let answer = try? socket.exchange(.routeDump(sequence: 1)) else { return nil }
        for message in answer where message.type == Netlink.MessageType.newRoute {
            let header = message.payload
            guard header.count >= Netlink.Route.headerSize, header[header.startIndex] == UInt8(AF_INET),
                  Int(header[header.startIndex + 1]) == prefixLength, header[header.startIndex + 4] == Netlink.Route.mainTable
            else { continue }
            let attributes = message.attributes(after: Netlink.Route.headerSize)
            let routeDestination = attributes[Netlink.Route.destination].flatMap(IPv4Address.init(networkOrderBytes:)) ?? IPv4Address(0)
            guard routeDestination == destination else { continue }
            return attributes[Netlink.Route.gateway].flatMap(IPv4Address.init(networkOrderBytes:))
        }
        return nil
    }

    /// Routes `destination/prefixLength` via `gateway`, replacing a route for it that was there.
    public static func replace(_ destination: IPv4Address, prefixLength: Int, via gateway: IPv4Address) throws(LinkError) {
        let action = "route \(destination)/\(prefixLength) via \(gateway)"
        do throws(RouteSocket.Failure) {
            _ = try RouteSocket().exchange(.route(
                Netlink.MessageType.newRoute, flags: [.request, .acknowledge, .create, .replace], sequence: 1,
                destination: destination, prefixLength: UInt8(clamping: prefixLength), gateway: gateway))
        } catch {
            throw error.linkError(action: action, interface: "", capability: "CAP_NET_ADMIN")
        }
    }

    /// Removes the route for `destination/prefixLength` via `gateway`; already absent is fine.
    public static func remove(_ destination: IPv4Address, prefixLength: Int, via gateway: IPv4Address) throws(LinkError) {
        let action = "remove route \(destination)/\(prefixLength) via \(gateway)"
        do throws(RouteSocket.Failure) {
            _ = try RouteSocket().exchange(.route(
                Netlink.MessageType.deleteRoute, flags: [.request, .acknowledge], sequence: 1,
                destination: destination, prefixLength: UInt8(clamping: prefixLength), gateway: gateway))
        } catch .kernel(errno: ESRCH) {
            return
        } catch {
            throw error.linkError(action: action, interface: "", capability: "CAP_NET_ADMIN")
        }
    }
}
