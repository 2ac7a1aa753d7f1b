import Foundation
@testable import L7Strategy
import SashaSDK
import Testing

/// Request smuggling: what the server receives is checked byte for byte against what the client
/// sent. A body goes upstream with exactly the framing it came with, whatever the method, so the
/// server never finds a request in it; heads whose framing or host is ambiguous are refused and
/// reach no server.
@Suite struct SmugglingTests {
    static let smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
    /// Sent after each shape on the same client connection; its answer must be its own.
    static let next = "GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"

    /// Sends `request` then `next` in one write; returns the client's replies and the server.
    static func run(_ request: String) async throws -> (reply: String, server: RecordingServer) {
        let server = try RecordingServer()
        let proxy = try ProxyHarness(options: #"{"cache": {"enabled": false}}"#)
        defer { proxy.stop() }
        proxy.setServers([server.server()])
        let reply = try await RawClient.exchange(request + next, with: proxy.vip, port: proxy.port)
        server.close()
        return (reply, server)
    }

    /// The bodies of the responses in `reply`, in order (each answer is Content-Length framed).
    static func answers(in reply: String) -> [String] {
        var bytes = Array(reply.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        var bodies: [String] = []
        while let (response, used) = RecordingServer.nextRequest(in: bytes) {
            bodies.append(response.body)
            bytes.removeFirst(used)
        }
        return bodies
    }

    @Test(arguments: [
        ("a TRACE with a length", "TRACE / HTTP/1.1\r\nHost: a\r\nContent-Length: 35\r\n\r\n" + smuggled, "TRACE /"),
        ("a GET that names Content-Length in Connection",
         "GET /?u=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, content-length\r\nContent-Length: 35\r\n\r\n" + smuggled, "GET /?u=1"),
        ("an OPTIONS with a body", "OPTIONS / HTTP/1.1\r\nHost: a\r\nContent-Length: 35\r\n\r\n" + smuggled, "OPTIONS /"),
        ("a DELETE with a body", "DELETE /x HTTP/1.1\r\nHost: a\r\nContent-Length: 35\r\n\r\n" + smuggled, "DELETE /x"),
        ("a GET with a body", "GET /g HTTP/1.1\r\nHost: a\r\nContent-Length: 35\r\n\r\n" + smuggled, "GET /g"),
        ("a chunked POST that names Transfer-Encoding in Connection",
         "POST /p HTTP/1.1\r\nHost: a\r\nConnection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n23\r\n" + smuggled + "\r\n0\r\n\r\n", "POST /p"),
        ("a chunked GET", "GET /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n23\r\n" + smuggled + "\r\n0\r\n\r\n", "GET /c"),
    ])
    func aBodyReachesTheServerAsABodyWhateverTheMethod(_ name: String, _ request: String, _ answer: String) async throws {
        let (reply, server) = try await Self.run(request)
        let lines = server.requests.map(\.line)
        #expect(lines.count == 2, "\(name): the server saw \(lines)")
        #expect(!lines.contains { $0.contains("/smuggled") }, "\(name): smuggled request reached the server: \(lines)")
        #expect(server.requests.first?.body.contains("GET /smuggled") == true, "\(name): the body did not arrive whole")
        #expect(Self.answers(in: reply) == [answer, "GET /next"], "\(name): \(reply)")
        // The second request went on the same pooled server connection and got its own answer.
        #expect(server.connections == 1, "\(name)")
    }

    @Test func framingFieldsAndHostSurviveTheConnectionHeader() async throws {
        let (_, server) = try await Self.run(
            "POST /f HTTP/1.1\r\nHost: a\r\nConnection: host, content-length, x-private\r\nX-Private: 1\r\nContent-Length: 5\r\n\r\nhello")
        let head = try #require(server.requests.first).head.lowercased()
        #expect(head.contains("\r\nhost: a"))
        #expect(head.contains("\r\ncontent-length: 5"))
        #expect(!head.contains("x-private"), "a field the Connection header names is still removed")
        #expect(server.requests.first?.body == "hello")
    }

    @Test func chunkExtensionsAndTrailersEndTheMessageWhereTheClientEndedIt() async throws {
        let (reply, server) = try await Self.run(
            "POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=\"v\"\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n")
        #expect(server.requests.map(\.line) == ["POST /t HTTP/1.1", "GET /next HTTP/1.1"])
        #expect(server.requests.first?.body.contains("hello") == true)
        #expect(Self.answers(in: reply) == ["POST /t", "GET /next"])
    }

    @Test(arguments: [
        ("no Host in HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", "400"),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400"),
        ("a Host that is not a host", "GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n", "400"),
        ("a length and chunked", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"),
        ("differing lengths in one field", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!", "400"),
        ("a signed length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", "400"),
        ("chunked applied twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", "400"),
        ("a coding after chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", "400"),
        ("a coding before chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "501"),
        ("chunked in HTTP/1.0", "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"),
        ("a bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", "400"),
        ("a NUL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{0}c\r\n\r\n", "400"),
    ])
    func ambiguousHeadsAreRefusedAndReachNoServer(_ name: String, _ request: String, _ status: String) async throws {
        let server = try RecordingServer()
        defer { server.close() }
        let proxy = try ProxyHarness()
        defer { proxy.stop() }
        proxy.setServers([server.server()])
        let reply = try await RawClient.exchange(request, with: proxy.vip, port: proxy.port)
        #expect(reply.hasPrefix("HTTP/1.1 \(status)") || reply.hasPrefix("HTTP/1.0 \(status)"), "\(name): \(reply.prefix(80))")
        #expect(server.requests.isEmpty, "\(name) reached the server: \(server.received)")
    }

    @Test func aHostileRequestPipelinedAfterAValidOneIsRefusedAlone() async throws {
        let server = try RecordingServer()
        defer { server.close() }
        let proxy = try ProxyHarness(options: #"{"cache": {"enabled": false}}"#)
        defer { proxy.stop() }
        proxy.setServers([server.server()])
        let request = "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Self.smuggled
        let reply = try await RawClient.exchange(request, with: proxy.vip, port: proxy.port)
        #expect(reply.hasPrefix("HTTP/1.1 200"))
        #expect(reply.contains("HTTP/1.1 400"), "\(reply)")
        #expect(server.requests.map(\.line) == ["GET /ok HTTP/1.1"])
    }
}
