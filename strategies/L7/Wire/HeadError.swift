/// Why a head was refused, and what to answer. For a request, `status` is the answer the client
/// gets (400, 414, 431, 501 or 505); for a response it is always 502: the proxy answers its client
/// 502 and never reuses that server connection.
public struct HeadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    /// A short phrase for logs and counters; static, so refusing costs no allocation.
    public var reason: StaticString
    /// Where in the received bytes the fault was found (from the start of the message).
    public var offset: Int

    public init(status: Int, reason: StaticString, offset: Int) {
        self.status = status
        self.reason = reason
        self.offset = offset
    }

    public static func == (lhs: HeadError, rhs: HeadError) -> Bool {
        lhs.status == rhs.status && lhs.offset == rhs.offset && lhs.reason.description == rhs.reason.description
    }

    public var description: String { "\(status) \(reason) at byte \(offset)" }
}
