/// The forwarding fields' values for one client connection (RFC 7239 `Forwarded`, and the de facto
/// `X-Forwarded-For` and `X-Forwarded-Proto`), encoded once when the connection opens so that
/// writing each request's head formats nothing.
public struct Forwarding: Sendable {
    /// The client's address as X-Forwarded-For lists it: `192.0.2.7`, `2001:db8::7`.
    public let client: [UInt8]
    /// `for=CLIENT;proto=P;by=PROXY`, IPv6 addresses quoted and bracketed (RFC 7239 §6).
    public let forwarded: [UInt8]
    /// `http` or `https`: the scheme the client used to reach the proxy.
    public let proto: [UInt8]
    /// The proxy's address as a Host value (`192.0.2.1`, `[2001:db8::1]`): the authority an
    /// HTTP/1.0 request without Host was sent to (RFC 9112 §3.3), written upstream as its Host
    /// since HTTP/1.1 requires one.
    public let proxyHost: [UInt8]

    /// - Parameters:
    ///   - client: the client's IP address, as text without port.
    ///   - proxy: the proxy's address the client connected to, likewise.
    public init(client: String, proxy: String, proto: String = "http") {
        self.client = Array(client.utf8)
        self.proto = Array(proto.utf8)
        proxyHost = Array((proxy.contains(":") ? "[\(proxy)]" : proxy).utf8)
        forwarded = Array("for=\(Self.node(client));proto=\(proto);by=\(Self.node(proxy))".utf8)
    }

    /// RFC 7239 node syntax: an IPv6 address is bracketed, and quoted because of its colons.
    static func node(_ address: String) -> String {
        address.contains(":") ? "\"[\(address)]\"" : address
    }
}
