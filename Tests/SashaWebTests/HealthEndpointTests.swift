import Foundation
import NIOCore
import SashaSDK
import Testing

@testable import SashaWeb

@Suite("StaticFileServer health path and lifecycle")
struct HealthEndpointTests {
    @Test func healthAnswers200WhileTheRootIsReadable() async throws {
        try await withServer { _, server in
            let get = try await RawHTTPClient.request("/health", to: server.localAddress)
            #expect(get.status == 200 && get.text == "ok\n")
            let head = try await RawHTTPClient.request("/health?probe=1", method: "HEAD", to: server.localAddress)
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "3")
        }
    }

    @Test func healthAnswers503OnceTheRootIsRemoved() async throws {
        try await withServer { site, server in
            try FileManager.default.removeItem(atPath: site.root)
            let response = try await RawHTTPClient.request("/health", to: server.localAddress)
            #expect(response.status == 503)
            let file = try await RawHTTPClient.request("/notes.txt", to: server.localAddress)
            #expect(file.status == 404)
        }
    }

    @Test func aServerWithoutItsRootStartsAndReportsUnhealthy() async throws {
        let site = try TestSite()
        let server = try await site.startServer { $0.root = site.root + "/not-there"; $0.healthPath = "/status" }
        let health = try await RawHTTPClient.request("/status", to: server.localAddress)
        #expect(health.status == 503)
        let oldPath = try await RawHTTPClient.request("/health", to: server.localAddress)
        #expect(oldPath.status == 404)
        await server.stop()
    }

    @Test func aTakenPortFailsWithTheAddressAndTheFix() async throws {
        let site = try TestSite()
        let first = try await site.startServer(address: "127.0.3.2")
        let second = await #expect(throws: WebServerError.self) {
            _ = try await site.startServer(address: "127.0.3.2", port: first.port)
        }
        await first.stop()
        let message = "\(second.map { "\($0)" } ?? "")"
        #expect(message.contains("127.0.3.2:\(first.port)"), "\(message)")
        #expect(message.contains("already taken"), "\(message)")
    }

    @Test func aForeignAddressFailsWithTheAddressAndTheFix() async throws {
        let site = try TestSite()
        let error = await #expect(throws: WebServerError.self) {
            _ = try await site.startServer(address: "198.18.255.254", port: 7700)
        }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("198.18.255.254:7700"), "\(message)")
        #expect(message.contains("not an address of this host"), "\(message)")
    }

    @Test func stopClosesOpenConnectionsAndFreesThePort() async throws {
        let site = try TestSite()
        let server = try await site.startServer(address: "127.0.3.3")
        let port = server.port
        let exchange = Task {
            try await RawHTTPClient.send(
                Array("GET /notes.txt HTTP/1.1\r\nHost: t\r\n\r\n".utf8), to: server.localAddress, expecting: 2
            )
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while server.requestsServed == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        await server.stop()
        // The server ends the connection: after the response, or (on a loaded machine, when
        // stop wins the race with the write) with a reset. Only a wait that times out means it
        // stayed open.
        do {
            let result = try await exchange.value
            #expect(result.responses.count <= 1 && result.closed)
        } catch is RawHTTPClient.TimedOut {
            Issue.record("the connection stayed open after stop()")
        } catch {
            // Reset by the server: closed too.
        }
        let again = try await site.startServer(address: "127.0.3.3", port: port)
        #expect(try await RawHTTPClient.request("/notes.txt", to: again.localAddress).status == 200)
        await again.stop()
    }
}

/// An L4 strategy's server side asks the service to answer on the VIP or the cluster ports too.
@Suite("StaticFileServer extra listeners")
struct ExtraListenerTests {
    @Test func theSiteIsServedOnAnAddedAddressUntilItIsRemoved() async throws {
        let site = try TestSite()
        let server = try await site.startServer(address: "127.0.3.21")
        defer { Task { await server.stop() } }
        let extra = try SocketAddress(ipAddress: "127.0.3.22", port: 7701)
        try await server.listen(also: IPv4Address("127.0.3.22")!, port: 7701)
        // Asking twice is harmless (prepare_server may run again after a role change).
        try await server.listen(also: IPv4Address("127.0.3.22")!, port: 7701)
        let file = try await RawHTTPClient.request("/notes.txt", to: extra)
        #expect(file.status == 200 && file.header("X-Served-By") == "127.0.3.21")
        await server.stopListening(on: IPv4Address("127.0.3.22")!, port: 7701)
        await #expect(throws: (any Error).self) { _ = try await RawHTTPClient.request("/notes.txt", to: extra) }
        // The member's own address still serves.
        #expect(try await RawHTTPClient.request("/notes.txt", to: server.localAddress).status == 200)
    }

    @Test func aTakenExtraAddressFailsWithTheAddress() async throws {
        let site = try TestSite()
        let server = try await site.startServer(address: "127.0.3.23")
        defer { Task { await server.stop() } }
        let port = UInt16(server.localAddress.port!)
        let error = await #expect(throws: WebServerError.self) {
            try await server.listen(also: IPv4Address("127.0.3.23")!, port: port)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("127.0.3.23:\(port)"))
    }
}
