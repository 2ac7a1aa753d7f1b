/// What the Connection header says (RFC 9110 §7.6.1): the connection's fate and the fields that
/// belong to this hop only, which a proxy removes before forwarding.
public struct ConnectionOptions: Sendable {
    public internal(set) var close = false
    public internal(set) var keepAlive = false
    public internal(set) var upgrade = false
    /// Known fields the header names (`Connection: te, cookie`).
    public internal(set) var namedFields = KnownFields()
    /// The other names it lists, as ranges of the received bytes (`Connection: x-secret`).
    public internal(set) var otherNames: [Range<Int>] = []

    /// True if the Connection header names `field`, whose line is in `bytes`.
    public func names(_ field: ParsedHead.Field, in bytes: UnsafeRawBufferPointer) -> Bool {
        if field.known != .other { return namedFields.contains(field.known) }
        return otherNames.contains { bytes.equalsIgnoringCase($0, field.name) }
    }

    mutating func reset() {
        close = false
        keepAlive = false
        upgrade = false
        namedFields = []
        otherNames.removeAll(keepingCapacity: true)
    }
}
