import Testing

@testable import SashaWeb

@Suite("StaticFileServer conditional requests and ranges")
struct ConditionalAndRangeServingTests {
    static let tag = "\"6553f100-d\""  // notes.txt: mtime 1_700_000_000, 13 bytes

    @Test func matchingIfNoneMatchGives304WithoutBody() async throws {
        try await withServer { _, server in
            for value in [Self.tag, "W/\(Self.tag)", "\"a\", \(Self.tag)", "*"] {
                let response = try await RawHTTPClient.request(
                    "/notes.txt", headers: [("If-None-Match", value)], to: server.localAddress
                )
                #expect(response.status == 304, "\(value)")
                #expect(response.body.isEmpty)
                #expect(response.header("ETag") == Self.tag)
            }
            let stale = try await RawHTTPClient.request("/notes.txt", headers: [("If-None-Match", "\"old\"")], to: server.localAddress)
            #expect(stale.status == 200 && stale.text == TestSite.notesText)
        }
    }

    @Test func ifModifiedSinceGives304UnlessTheFileIsNewer() async throws {
        try await withServer { _, server in
            let same = try await RawHTTPClient.request(
                "/notes.txt", headers: [("If-Modified-Since", "Tue, 14 Nov 2023 22:13:20 GMT")], to: server.localAddress
            )
            #expect(same.status == 304 && same.body.isEmpty)
            let older = try await RawHTTPClient.request(
                "/notes.txt", headers: [("If-Modified-Since", "Mon, 13 Nov 2023 00:00:00 GMT")], to: server.localAddress
            )
            #expect(older.status == 200 && older.text == TestSite.notesText)
            let overruled = try await RawHTTPClient.request(
                "/notes.txt",
                headers: [("If-None-Match", "\"old\""), ("If-Modified-Since", "Tue, 14 Nov 2023 22:13:20 GMT")],
                to: server.localAddress
            )
            #expect(overruled.status == 200)
        }
    }

    @Test func singleRangesGive206() async throws {
        try await withServer { _, server in
            let cases: [(String, String, String)] = [
                ("bytes=0-4", "hello", "bytes 0-4/13"),
                ("bytes=7-", "notes\n", "bytes 7-12/13"),
                ("bytes=-6", "notes\n", "bytes 7-12/13"),
                ("bytes=5-100", ", notes\n", "bytes 5-12/13"),
            ]
            for (range, body, contentRange) in cases {
                let response = try await RawHTTPClient.request("/notes.txt", headers: [("Range", range)], to: server.localAddress)
                #expect(response.status == 206, "\(range)")
                #expect(response.text == body, "\(range)")
                #expect(response.header("Content-Range") == contentRange)
                #expect(response.header("Content-Length") == "\(body.utf8.count)")
            }
        }
    }

    @Test func aRangeInTheMiddleOfABigFileIsExact() async throws {
        try await withServer { site, server in
            let response = try await RawHTTPClient.request(
                "/big.bin", headers: [("Range", "bytes=500000-600000")], to: server.localAddress
            )
            #expect(response.status == 206)
            #expect(response.body == Array(site.bigFile[500_000...600_000]))
        }
    }

    @Test func unsatisfiableRangeIs416WithTheSize() async throws {
        try await withServer { _, server in
            let response = try await RawHTTPClient.request("/notes.txt", headers: [("Range", "bytes=13-")], to: server.localAddress)
            #expect(response.status == 416)
            #expect(response.header("Content-Range") == "bytes */13")
            #expect(response.header("Content-Length") == "\(response.body.count)")
        }
    }

    @Test(arguments: ["bytes=0-1,3-4", "bytes=5-1", "bytes=x-y", "lines=1-2"])
    func malformedOrMultipleRangesServeTheWholeFile(range: String) async throws {
        try await withServer { _, server in
            let response = try await RawHTTPClient.request("/notes.txt", headers: [("Range", range)], to: server.localAddress)
            #expect(response.status == 200)
            #expect(response.text == TestSite.notesText)
        }
    }

    @Test func ifRangeHonoursTheRangeOnlyForTheCurrentVersion() async throws {
        try await withServer { _, server in
            let current = try await RawHTTPClient.request(
                "/notes.txt", headers: [("Range", "bytes=0-4"), ("If-Range", Self.tag)], to: server.localAddress
            )
            #expect(current.status == 206 && current.text == "hello")
            let byDate = try await RawHTTPClient.request(
                "/notes.txt", headers: [("Range", "bytes=0-4"), ("If-Range", "Tue, 14 Nov 2023 22:13:20 GMT")],
                to: server.localAddress
            )
            #expect(byDate.status == 206)
            let stale = try await RawHTTPClient.request(
                "/notes.txt", headers: [("Range", "bytes=0-4"), ("If-Range", "\"old\"")], to: server.localAddress
            )
            #expect(stale.status == 200 && stale.text == TestSite.notesText)
        }
    }
}
