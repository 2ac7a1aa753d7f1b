import Testing

@testable import SashaWeb

/// Malformed and oversized requests: a clear status, the connection closed, the server unharmed.
@Suite("StaticFileServer under hostile input")
struct HostileInputTests {
    private func expectServerStillServes(_ server: StaticFileServer) async throws {
        let response = try await RawHTTPClient.request("/notes.txt", to: server.localAddress)
        #expect(response.status == 200)
    }

    @Test(arguments: [
        "GARBAGE\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
        "GET /\u{1}x HTTP/1.1\r\nHost: t\r\n\r\n",
        "\r\n\r\n\0\0\0\r\n",
    ])
    func malformedRequestsGet400AndClose(raw: String) async throws {
        try await withServer { _, server in
            let exchange = try await RawHTTPClient.send(Array(raw.utf8), to: server.localAddress, expecting: 1)
            #expect(exchange.responses.first?.status == 400, "\(raw.debugDescription)")
            #expect(exchange.responses.first?.header("Server") == "sasha")
            #expect(exchange.responses.first?.header("Connection") == "close")
            #expect(exchange.closed)
            try await expectServerStillServes(server)
        }
    }

    @Test func aHeaderFloodGets431AndClose() async throws {
        try await withServer(configure: { $0.maxHeaderBytes = 8 * 1024 }) { _, server in
            var raw = "GET / HTTP/1.1\r\nHost: t\r\n"
            for index in 0..<200 { raw += "X-Flood-\(index): \(String(repeating: "a", count: 64))\r\n" }
            raw += "\r\n"
            let exchange = try await RawHTTPClient.send(Array(raw.utf8), to: server.localAddress, expecting: 1)
            #expect(exchange.responses.first?.status == 431)
            #expect(exchange.closed)
            let oneHugeHeader = "GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "b", count: 20_000))\r\n\r\n"
            let huge = try await RawHTTPClient.send(Array(oneHugeHeader.utf8), to: server.localAddress, expecting: 1)
            #expect(huge.responses.first?.status == 431)
            try await expectServerStillServes(server)
        }
    }

    @Test func aGarbageRequestAfterAGoodOneGetsBothAnswers() async throws {
        try await withServer { _, server in
            let raw = "GET /notes.txt HTTP/1.1\r\nHost: t\r\n\r\nNONSENSE\r\n\r\n"
            let exchange = try await RawHTTPClient.send(Array(raw.utf8), to: server.localAddress, expecting: 2)
            #expect(exchange.responses.map(\.status) == [200, 400])
            #expect(exchange.responses.first?.text == TestSite.notesText)
            #expect(exchange.closed)
        }
    }

    @Test func aLargeRequestBodyIsCutOffWith413() async throws {
        try await withServer(configure: { $0.maxDiscardedBodyBytes = 1024 }) { _, server in
            let raw = "POST /notes.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "z", count: 4096)
            let exchange = try await RawHTTPClient.send(Array(raw.utf8), to: server.localAddress, expecting: 1)
            #expect(exchange.responses.first?.status == 413)
            #expect(exchange.closed)
            let small = "POST /notes.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789"
                + "GET /notes.txt HTTP/1.1\r\nHost: t\r\n\r\n"
            let kept = try await RawHTTPClient.send(Array(small.utf8), to: server.localAddress, expecting: 2)
            #expect(kept.responses.map(\.status) == [405, 200])
        }
    }

    @Test func aClientThatVanishesMidDownloadDoesNotHurt() async throws {
        try await withServer { _, server in
            for _ in 0..<20 {
                // The client gives up (and closes) long before a mebibyte can arrive.
                _ = try? await RawHTTPClient.send(
                    Array("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n".utf8), to: server.localAddress, expecting: 1,
                    timeout: .milliseconds(1)
                )
            }
            try await expectServerStillServes(server)
            let deadline = ContinuousClock.now + .seconds(5)
            while server.openConnections > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(server.openConnections == 0)
        }
    }
}
