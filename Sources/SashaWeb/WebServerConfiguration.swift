import SashaBase

/// What the embedded web server serves, where, and within which limits.
public struct WebServerConfiguration: Sendable, Equatable {
    /// The folder served (`service.root`). It may be missing at start: the server still runs,
    /// answers 404 for files and 503 on `healthPath`, so the member reports itself unhealthy.
    public var root: String
    /// The address to bind: the member's own address.
    public var address: IPv4Address
    /// `service.port`; 0 lets the kernel choose (tests read `StaticFileServer.localAddress`).
    public var port: UInt16
    /// `service.health`: answers 200 `ok` while the root is a readable folder, 503 otherwise. It
    /// is matched before any file, on the path alone (the query is ignored).
    public var healthPath: String
    /// The most bytes of header names and values one request may carry (431 beyond).
    public var maxHeaderBytes: Int
    /// The most request body bytes discarded before the connection is closed with 413 (GET and
    /// HEAD have no use for a body; this only bounds how long a client can keep sending one).
    public var maxDiscardedBodyBytes: Int
    /// A connection with no request in progress and no response being written is closed after
    /// this long (it also ends clients that trickle headers).
    public var idleTimeoutSeconds: Int64
    /// The listen queue length.
    public var backlog: Int32
    /// `service.max_age_s`: `Cache-Control: max-age` on every file answer; nil sends none.
    public var maxAgeSeconds: Int?
    /// `service.dotfiles`: whether names starting with `.` (`.git`, `.env`) are served; they
    /// answer 404 by default (`FileResolver`).
    public var servesDotfiles: Bool

    public init(
        root: String,
        address: IPv4Address,
        port: UInt16,
        healthPath: String = "/health",
        maxHeaderBytes: Int = 16 * 1024,
        maxDiscardedBodyBytes: Int = 64 * 1024,
        idleTimeoutSeconds: Int64 = 60,
        backlog: Int32 = 1024,
        maxAgeSeconds: Int? = nil,
        servesDotfiles: Bool = false
    ) {
        self.servesDotfiles = servesDotfiles
        self.maxAgeSeconds = maxAgeSeconds
        self.root = root
        self.address = address
        self.port = port
        self.healthPath = healthPath
        self.maxHeaderBytes = maxHeaderBytes
        self.maxDiscardedBodyBytes = maxDiscardedBodyBytes
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.backlog = backlog
    }
}
