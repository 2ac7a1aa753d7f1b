import Foundation

/// Valid and hostile messages as fuzz inputs (selector byte + bytes), so that the fuzzer starts
/// from HTTP instead of guessing it. Selector bit 0: 0 request, 1 response; the rest picks the
/// split point and the options (see `FuzzInput`).
enum SeedCorpus {
    static let seeds: [(selector: UInt8, message: String)] = [
        (0x80, "GET /a?b HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n"),
        (0x40, "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n\r\nhello"),
        (0xA0, "PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5;n=\"v\"\r\nhello\r\n0\r\nT: 1\r\n\r\n"),
        (0x32, "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Forwarded-For: 198.51.100.1\r\nVia: 1.0 x\r\n\r\n"),
        (0x10, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
        (0x08, "\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
        (0x60, "POST / HTTP/1.1\r\nHost: a\r\nConnection: content-length\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
        (0x58, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
        (0x48, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nX: a\r\n b\r\n\r\n"),
        (0x70, "GET / HTTP/1.1\nHost: a\r\nContent-Length: +5\r\n\r\n"),
        (0x81, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\n"),
        (0x95, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n4\r\nWiki\r\n0\r\nX-Sum: 1\r\n\r\n"),
        (0x23, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{81}\u{0}"),
        (0x41, "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil close"),
        (0x51, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
        // The fuzzer's first find: a chunked 2xx to CONNECT (a tunnel) written for an HTTP/1.0 client.
        (0x1D, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
        // A conversation for `MachineRun`: requests first (the selector's top four bits say how
        // much of the input the client sends), then the server's answers.
        (0x70, "GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
        (0x9A, "PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            + "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"),
        (0x6C, "HEAD / HTTP/1.0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
    ]

    static func write(to folder: String) throws {
        for (index, seed) in seeds.enumerated() {
            try Data([seed.selector] + Array(seed.message.utf8)).write(to: URL(fileURLWithPath: "\(folder)/seed-\(index)"))
        }
    }
}
