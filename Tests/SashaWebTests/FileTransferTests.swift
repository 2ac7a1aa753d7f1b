import Foundation
import SashaTestSupport
import Testing

@testable import SashaWeb

/// Long file bodies against clients that misbehave, with a real blocking socket whose reads the
/// test controls. Both cases would otherwise hold a connection (and, for a truncated file, a
/// spinning sendfile) forever.
@Suite("StaticFileServer long transfers")
struct FileTransferTests {
    /// 64 MiB, sparse: far more than loopback socket buffers hold, so the transfer is in flight.
    private static let bigSize: off_t = 64 << 20

    private func makeBigFile(in site: TestSite) throws -> String {
        let path = site.root + "/huge.bin"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, Self.bigSize) == 0)
        return path
    }

    @Test func aFileTruncatedWhileServedEndsTheConnection() async throws {
        try await withServer { site, server in
            let path = try makeBigFile(in: site)
            let client = try BlockingSocket(host: "127.0.3.1", port: server.port, receiveBuffer: 4096)
            client.send("GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            let first = await onThread { client.read(atLeast: 256 * 1024, timeout: 5) }
            #expect(first >= 256 * 1024)
            #expect(truncate(path, 0) == 0)
            let started = ContinuousClock.now
            let rest = await onThread { client.readToEnd(timeout: 30) }
            #expect(rest.closed, "the server kept a connection whose file had shrunk")
            #expect(ContinuousClock.now - started < .seconds(25))
            #expect(first + rest.bytes < Int(Self.bigSize))
        }
    }

    @Test func aClientThatStopsReadingIsDisconnected() async throws {
        try await withServer(configure: { $0.idleTimeoutSeconds = 1 }) { site, server in
            _ = try makeBigFile(in: site)
            let client = try BlockingSocket(host: "127.0.3.1", port: server.port, receiveBuffer: 4096)
            client.send("GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            let first = await onThread { client.read(atLeast: 64 * 1024, timeout: 5) }
            #expect(first >= 64 * 1024)
            try await Task.sleep(for: .seconds(3))  // read nothing: no chunk can complete
            let rest = await onThread { client.readToEnd(timeout: 10) }
            #expect(rest.closed)
            #expect(first + rest.bytes < Int(Self.bigSize))
        }
    }

    @Test func aSlowButSteadyReaderGetsEverything() async throws {
        try await withServer(configure: { $0.idleTimeoutSeconds = 1 }) { site, server in
            let size = 24 << 20
            let path = site.root + "/medium.bin"
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            #expect(truncate(path, off_t(size)) == 0)
            let client = try BlockingSocket(host: "127.0.3.1", port: server.port, receiveBuffer: 4096)
            client.send("GET /medium.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            // Sips of 256 KiB every 20 ms: about 2 s in all, twice the idle timeout, never stalled.
            let started = ContinuousClock.now
            let received = await onThread { () -> (bytes: Int, closed: Bool) in
                var total = 0
                while total < size {
                    let bytes = client.read(atLeast: 256 * 1024, timeout: 5)
                    guard bytes > 0 else { return (total, true) }
                    total += bytes
                    usleep(20_000)
                }
                let rest = client.readToEnd(timeout: 5)
                return (total + rest.bytes, rest.closed)
            }
            #expect(ContinuousClock.now - started > .seconds(1))
            #expect(received.closed)
            #expect(received.bytes > size)  // the headers and the whole body
        }
    }
}
