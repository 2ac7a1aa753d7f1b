import NIOHTTP1
@testable import L7Strategy
import SashaSDK
import Testing

/// Content routing without sockets: options → rules, rules → groups, requests → keys.
@Suite struct RoutingRuleTests {
    static let rulesJSON = """
    {"rules": [
      {"tag": "images", "extension": ["png", "jpg", "gif", "webp", "svg"]},
      {"tag": "api", "path_prefix": "/api/"},
      {"tag": "static", "host": "static.example.com"},
      {"tag": "writes", "method": "POST"},
      {"tag": "gold", "header": {"name": "X-Tier", "value": "gold"}}
    ]}
    """

    static func request(_ uri: String, method: HTTPMethod = .GET, host: String = "example.com", headers: [(String, String)] = []) -> RequestFacts {
        var fields = HTTPHeaders(headers)
        fields.add(name: "host", value: host)
        return RequestFacts(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: fields))
    }

    static func directory(tagNames: [String] = ["images", "api", "static", "writes", "gold"], defaultTag: String? = nil) throws -> (ServerDirectory, [String]) {
        let settings = try L7Settings(options: PluginOptions(json: rulesJSON))
        var counters: [IPv4Address: ServerCounters] = [:]
        let list = ServerList(servers: [Server(address: IPv4Address(0xC612_0001), port: 80)], tagNames: tagNames)
        let (directory, warnings) = ServerDirectory.build(list, rules: settings.rules, defaultTag: defaultTag, counters: &counters)
        return (directory, warnings)
    }

    @Test func eachMatcherSendsToItsTagAndTheRestToTheDefaultGroup() throws {
        let (directory, warnings) = try Self.directory()
        #expect(warnings.isEmpty)
        #expect(directory.group(for: Self.request("/img/cat.PNG")) == 0)
        #expect(directory.group(for: Self.request("/a/b.webp?size=2")) == 0)
        #expect(directory.group(for: Self.request("/api/users")) == 1)
        #expect(directory.group(for: Self.request("/apix")) == nil)
        #expect(directory.group(for: Self.request("/", host: "STATIC.example.com:8080")) == 2)
        #expect(directory.group(for: Self.request("/form", method: .POST)) == 3)
        #expect(directory.group(for: Self.request("/page", headers: [("x-tier", "Gold")])) == 4)
        #expect(directory.group(for: Self.request("/page", headers: [("x-tier", "silver")])) == nil)
        #expect(directory.group(for: Self.request("/index.html")) == nil)
        // First match wins: an image under /api/ is an image.
        #expect(directory.group(for: Self.request("/api/logo.svg")) == 0)
    }

    @Test func aRuleCombiningMatchersNeedsAllOfThem() throws {
        let rule = RoutingRule(tag: "x", hosts: ["a.example"], pathPrefixes: ["/v1/"], methods: ["GET"])
        #expect(rule.matches(Self.request("/v1/x", host: "a.example")))
        #expect(!rule.matches(Self.request("/v2/x", host: "a.example")))
        #expect(!rule.matches(Self.request("/v1/x", host: "b.example")))
        #expect(!rule.matches(Self.request("/v1/x", method: .PUT, host: "a.example")))
    }

    @Test func absoluteFormURIsRouteByTheirAuthority() {
        let facts = Self.request("http://Static.Example.com:81/img/a.png?x=1", host: "other")
        #expect(facts.host == "Static.Example.com")
        #expect(facts.path == "/img/a.png")
        #expect(facts.pathExtension == "png")
    }

    @Test func anUnknownTagWarnsAndFallsBackToTheDefaultGroup() throws {
        let (directory, warnings) = try Self.directory(tagNames: ["api", "images"], defaultTag: "images")
        #expect(warnings.count == 3)
        #expect(warnings.contains { $0.contains("rules.2") && $0.contains("static") })
        #expect(directory.group(for: Self.request("/", host: "static.example.com")) == 1)
        #expect(directory.group(for: Self.request("/api/x")) == 0)
        #expect(directory.group(for: Self.request("/plain")) == 1)
    }

    @Test func theContentKeyIsStablePerHostAndPathAndIgnoresQueryAndCase() {
        let key = Self.request("/a/b.png?v=1", host: "Example.COM").contentKey
        #expect(key == Self.request("/a/b.png?v=2", host: "example.com:8080").contentKey)
        #expect(key == ContentKey.hash(host: "example.com", path: "/a/b.png"))
        #expect(key != Self.request("/a/c.png", host: "example.com").contentKey)
        #expect(key != Self.request("/a/b.png", host: "example.org").contentKey)
        // Host and path are separated: "ab" + "/c" is not "a" + "b/c".
        #expect(ContentKey.hash(host: "ab", path: "/c") != ContentKey.hash(host: "a", path: "b/c"))
    }
}

/// Bad options are refused with the dotted key at fault.
@Suite struct OptionsTests {
    static func error(_ json: String) -> OptionError? {
        do {
            _ = try L7Settings(options: PluginOptions(json: json))
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsAreTheDocumentedOnes() throws {
        let settings = try L7Settings(options: PluginOptions(json: "{}"))
        #expect(settings.limits.maxHeaderBytes == 16_384)
        #expect(settings.limits.headerTimeout == .milliseconds(10_000))
        #expect(settings.upstream.retries == 2)
        #expect(settings.upstream.ejectAfterFailures == 3)
        #expect(settings.upstream.maxIdlePerServer == 1024)
        #expect(settings.cache.enabled && settings.cache.maxBytes == 67_108_864)
        #expect(settings.threads == 0 && settings.defaultTag == nil && settings.rules.isEmpty)
    }

    @Test func errorsNameTheKey() {
        #expect(Self.error(#"{"rules": [{"tag": "a", "path_prefix": "/x"}, {"extension": ["png"]}]}"#)?.key == "rules.1.tag")
        #expect(Self.error(#"{"rules": [{"tag": "a"}]}"#)?.key == "rules.0.tag")
        #expect(Self.error(#"{"rules": [{"tag": "a", "hots": "x"}]}"#)?.key == "rules.0.hots")
        #expect(Self.error(#"{"rules": [{"tag": "a", "path_prefix": "api"}]}"#)?.key == "rules.0.path_prefix")
        #expect(Self.error(#"{"rules": [{"tag": "a", "header": {"value": "b"}}]}"#)?.key == "rules.0.header.name")
        #expect(Self.error(#"{"limits": {"max_header_bytes": "big"}}"#)?.key == "limits.max_header_bytes")
        #expect(Self.error(#"{"upstream": {"retries": -1}}"#)?.key == "upstream.retries")
        #expect(Self.error(#"{"cache": {"ttl": 3}}"#)?.key == "cache.ttl")
        #expect(Self.error(#"{"thread": 2}"#)?.key == "thread")
        #expect(Self.error(#"{"default_tag": ""}"#)?.key == "default_tag")
    }

    @Test func validationAloneStartsNothing() throws {
        let strategy = try L7(
            options: PluginOptions(json: #"{"rules": [{"tag": "images", "extension": "png"}]}"#),
            context: StrategyContext(node: IPv4Address(0x7F00_0001), vip: IPv4Address(0x7F00_0001), ports: [80]), host: nil)
        #expect(throws: OptionError.self) { try strategy.start() }
        #expect(strategy.stats().contains("\"running\":false"))
    }
}
