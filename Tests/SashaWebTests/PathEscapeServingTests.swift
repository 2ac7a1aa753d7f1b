import Testing

@testable import SashaWeb

/// Every way out of the root, over a real socket: none may return the secret beside the root.
@Suite("StaticFileServer refuses to leave the root")
struct PathEscapeServingTests {
    @Test(arguments: [
        // (raw request target, expected status)
        ("/../secret.txt", 400),
        ("/docs/../../secret.txt", 400),
        ("/%2e%2e/secret.txt", 400),
        ("/%2E%2E/secret.txt", 400),
        ("/..%2fsecret.txt", 400),
        ("/docs%2f..%2f..%2fsecret.txt", 400),
        ("/%252e%252e/secret.txt", 404),  // double-encoded: the literal name `%2e%2e`
        ("/..\\secret.txt", 400),
        ("/%5c..%5csecret.txt", 400),
        ("/secret.txt%00.html", 400),
        ("//secret.txt", 404),  // an "absolute" path is still below the root
        ("/etc/passwd", 404),
        ("http://evil/../secret.txt", 400),
        ("/escape.txt", 404),  // symlink to ../secret.txt
        ("/absolute", 404),  // absolute symlink to the secret
        ("/outside/secret.txt", 404),  // symlinked directory out of the root
        ("/outside/", 404),
    ])
    func escapesAreRefused(target: String, status: Int) async throws {
        try await withServer { _, server in
            let exchange = try await RawHTTPClient.send(
                Array("GET \(target) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".utf8), to: server.localAddress,
                expecting: 1
            )
            let response = try #require(exchange.responses.first, "\(target): no response")
            #expect(response.status == status, "\(target)")
            #expect(!response.text.contains(TestSite.secretText), "\(target)")
        }
    }

    @Test func aSymlinkInsideTheRootIsServed() async throws {
        try await withServer { _, server in
            let response = try await RawHTTPClient.request("/alias.txt", to: server.localAddress)
            #expect(response.status == 200 && response.text == TestSite.notesText)
        }
    }
}
