import Foundation
import NIOCore
@testable import L7Strategy
import SashaSDK
import SashaTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A cache fill follows the server, not the first client: a client that stops reading does not
/// hold up the others waiting for the same object, nor anyone's hit.
@Suite struct CacheFairnessTests {
    /// A client that asks for `path` and then never reads: a socket with a small receive buffer.
    static func stalledClient(_ proxy: ProxyHarness, _ path: String) throws -> BlockingSocket {
        let client = try BlockingSocket(host: proxy.vip.description, port: proxy.port, receiveBuffer: 4_096)
        client.send("GET \(path) HTTP/1.1\r\nHost: example.com\r\n\r\n")
        return client
    }

    @Test func aStalledClientDoesNotHoldUpOthersWaitingForTheSameObject() async throws {
        // Larger than what the kernel's socket buffers hold between the proxy and a client that
        // does not read (tcp_wmem's 4 MiB at most), so that the proxy feels the stall.
        let size = 12 << 20
        let backend = try Backend("big", behaviour: .cacheableDownload(size: size))
        defer { backend.close() }
        let proxy = try ProxyHarness(options: #"{"cache": {"max_object_bytes": 33554432}}"#, backends: [backend])
        defer { proxy.stop() }
        let stalled = try Self.stalledClient(proxy, "/big")
        defer { withExtendedLifetime(stalled) {} }
        try await Task.sleep(for: .milliseconds(200))

        // Joins the stalled client's fill (or is a hit once it is stored): either way it gets the
        // whole object while the first client still reads nothing.
        let started = ContinuousClock.now
        let other = try await proxy.client()
        defer { other.close() }
        let response = try await other.get("/big")
        #expect(response.status == 200)
        #expect(response.body.readableBytes == size)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(backend.seen.requests == 1, "one fetch served both: \(proxy.stats)")
        // And a hit on it now is immediate too.
        #expect(try await other.get("/big").header("x-cache") == "HIT")
    }
}
