/// What the cache wants to see of the current request's response before the client does
/// (`ProxyMachine.intercept`). Empty for every request the cache does not revalidate or
/// invalidate, so the plain proxy path does none of this.
public struct ResponseIntercept: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Report the response head (`responseHeadForCache`) without its payload: an unsafe request
    /// invalidates stored URLs only once its answer is known to be a success (RFC 9111 §4.4).
    public static let head = ResponseIntercept(rawValue: 1)
    /// A 304 answers the cache's own conditional request (a revalidation), not the client's:
    /// it is taken (`interceptedResponse`) and the client gets the updated stored response.
    public static let notModified = ResponseIntercept(rawValue: 2)
    /// A 5xx is taken so the cache can answer with a stale entry (`stale-if-error`).
    public static let serverErrors = ResponseIntercept(rawValue: 4)

    func takes(status: Int) -> Bool {
        (status == 304 && contains(.notModified)) || (status >= 500 && status <= 599 && contains(.serverErrors))
    }
}
