/// How much a peer may make the proxy read before it answers. Checked while a head is still
/// arriving, so that a peer that never ends its head costs at most `maxHeaderBytes` of buffer.
public struct WireLimits: Sendable, Equatable {
    /// A request line longer than this (CRLF not counted) is answered 414.
    public var maxRequestLineBytes: Int
    /// A head longer than this (every line and the final CRLFCRLF counted) is answered 431; the
    /// same bound applies to a chunked body's trailer section.
    public var maxHeaderBytes: Int
    /// More field lines than this are answered 431; the same bound applies to trailer fields.
    public var maxFieldCount: Int
    /// A chunk-size line (size, extensions, CRLF) longer than this is refused: extensions carry
    /// nothing the proxy needs, only a way to make it read.
    public var maxChunkLineBytes: Int

    public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024, maxFieldCount: Int = 100,
                maxChunkLineBytes: Int = 4 * 1024) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxFieldCount = maxFieldCount
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}
