import NIOCore
import SashaSDK

/// Everything the `l7` strategy reads from `strategy_options`, checked once at create time so that
/// `sasha check` reports a bad value with its dotted key.
struct L7Settings: Sendable {
    /// Limits on what a client may send.
    struct Limits: Sendable {
        /// Header names and values of one request, in bytes; over it the client gets 431.
        var maxHeaderBytes: Int
        /// Time a client has to complete a request head once it started one (or once it connected).
        var headerTimeout: TimeAmount
        /// Time a keep-alive client connection may sit idle between requests.
        var idleTimeout: TimeAmount
        /// Largest request body, in bytes; 0 means no limit.
        var maxBodyBytes: Int
        /// A request line longer than this gets 414.
        var maxRequestLineBytes: Int
        /// More header fields than this gets 431.
        var maxHeaderFields: Int
        /// Time a request body may pause between bytes; then 408 and the connection closes.
        var bodyIdleTimeout: TimeAmount
    }

    /// How the proxy treats its servers.
    struct Upstream: Sendable {
        var connectTimeout: TimeAmount
        /// Time a server has to start its response once the request went out; then 504.
        var responseTimeout: TimeAmount
        /// Time a response body may pause between bytes; then both connections close.
        var responseIdleTimeout: TimeAmount
        /// Idle keep-alive connections kept per server on each event loop.
        var maxIdlePerServer: Int
        /// Further attempts on other servers for an idempotent request whose server failed.
        var retries: Int
        /// Failures in a row after which a server is left out of new flows.
        var ejectAfterFailures: Int
        var ejectFor: Duration
        /// The most of a group's up servers passive ejection may leave out at once (percent);
        /// never the last one.
        var maxEjectionPercent: Int
    }

    /// The response cache (handed to HTTPCache).
    struct Cache: Sendable {
        var enabled: Bool
        var maxBytes: Int
        var maxObjectBytes: Int
        /// `default_ttl_s`: the most heuristic freshness for answers with `Last-Modified` and no
        /// explicit freshness (HTTPCache decides where it applies); 0, the default, means none.
        var defaultTTLSeconds: Int
    }

    var rules: [RoutingRule]
    var limits: Limits
    var upstream: Upstream
    var cache: Cache
    /// Event loops; 0 means one per core.
    var threads: Int
    /// The tag whose servers take requests no rule matched; nil means every server.
    var defaultTag: String?

    init(options: PluginOptions) throws(OptionError) {
        rules = []
        for (index, rule) in try options.sections("rules").enumerated() {
            rules.append(try RoutingRule(options: rule, path: "rules.\(index)"))
        }

        let limitOptions = try options.section("limits") ?? PluginOptions(prefix: "limits")
        limits = Limits(
            maxHeaderBytes: try limitOptions.int("max_header_bytes", default: 16_384, in: 256...1_048_576),
            headerTimeout: .milliseconds(Int64(try limitOptions.int("header_timeout_ms", default: 10_000, in: 1...3_600_000))),
            idleTimeout: .milliseconds(Int64(try limitOptions.int("idle_timeout_ms", default: 60_000, in: 1...86_400_000))),
            maxBodyBytes: try limitOptions.int("max_body_bytes", default: 0, in: 0...Int.max),
            maxRequestLineBytes: try limitOptions.int("max_request_line_bytes", default: 8_192, in: 64...1_048_576),
            maxHeaderFields: try limitOptions.int("max_header_fields", default: 100, in: 1...10_000),
            bodyIdleTimeout: .milliseconds(Int64(try limitOptions.int("body_idle_timeout_ms", default: 30_000, in: 1...86_400_000))))
        try limitOptions.rejectUnknownKeys()

        let upstreamOptions = try options.section("upstream") ?? PluginOptions(prefix: "upstream")
        upstream = Upstream(
            connectTimeout: .milliseconds(Int64(try upstreamOptions.int("connect_timeout_ms", default: 1_000, in: 1...600_000))),
            responseTimeout: .milliseconds(Int64(try upstreamOptions.int("response_timeout_ms", default: 30_000, in: 1...86_400_000))),
            responseIdleTimeout: .milliseconds(Int64(try upstreamOptions.int("response_idle_timeout_ms", default: 60_000, in: 1...86_400_000))),
            maxIdlePerServer: try upstreamOptions.int("max_idle_per_server", default: 1024, in: 0...65_536),
            retries: try upstreamOptions.int("retries", default: 2, in: 0...16),
            ejectAfterFailures: try upstreamOptions.int("eject_after_failures", default: 3, in: 1...1_000),
            ejectFor: .milliseconds(try upstreamOptions.int("eject_for_ms", default: 10_000, in: 1...86_400_000)),
            maxEjectionPercent: try upstreamOptions.int("max_ejection_percent", default: 50, in: 0...100))
        try upstreamOptions.rejectUnknownKeys()

        let cacheOptions = try options.section("cache") ?? PluginOptions(prefix: "cache")
        cache = Cache(
            enabled: try cacheOptions.bool("enabled", default: true),
            maxBytes: try cacheOptions.int("max_bytes", default: 64 << 20, in: 0...(1 << 40)),
            maxObjectBytes: try cacheOptions.int("max_object_bytes", default: 1 << 20, in: 0...(1 << 32)),
            defaultTTLSeconds: try cacheOptions.int("default_ttl_s", default: 0, in: 0...31_536_000))
        try cacheOptions.rejectUnknownKeys()

        threads = try options.int("threads", default: 0, in: 0...1_024)
        defaultTag = try options.string("default_tag", default: nil)
        if let defaultTag, defaultTag.isEmpty { throw OptionError(key: "default_tag", "must name a tag, or be left out") }
        try options.rejectUnknownKeys()
    }
}
