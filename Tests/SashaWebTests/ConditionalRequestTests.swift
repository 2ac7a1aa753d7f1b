import NIOHTTP1
import Testing

@testable import SashaWeb

@Suite("Conditional requests and the file response plan")
struct ConditionalRequestTests {
    static let size: UInt64 = 1000
    static let modified: Int64 = 1_700_000_000
    let validators = FileValidators(size: size, modified: modified)
    let lastModifiedText = "Tue, 14 Nov 2023 22:13:20 GMT"

    @Test func entityTagIsHexModifiedTimeAndSize() {
        #expect(validators.entityTag == "\"6553f100-3e8\"")
    }

    @Test func ifNoneMatchComparesWeaklyOverAList() {
        #expect(validators.isNotModified(ifNoneMatch: ["\"6553f100-3e8\""], ifModifiedSince: []))
        #expect(validators.isNotModified(ifNoneMatch: ["W/\"6553f100-3e8\""], ifModifiedSince: []))
        #expect(validators.isNotModified(ifNoneMatch: ["\"x\", W/\"6553f100-3e8\""], ifModifiedSince: []))
        #expect(validators.isNotModified(ifNoneMatch: ["\"x\"", "\"6553f100-3e8\""], ifModifiedSince: []))
        #expect(validators.isNotModified(ifNoneMatch: ["*"], ifModifiedSince: []))
        #expect(!validators.isNotModified(ifNoneMatch: ["\"6553f100-3e9\""], ifModifiedSince: []))
        #expect(!validators.isNotModified(ifNoneMatch: ["6553f100-3e8"], ifModifiedSince: []))  // unquoted: invalid
        #expect(!validators.isNotModified(ifNoneMatch: ["\"6553f100-3e8"], ifModifiedSince: []))  // unterminated
    }

    @Test func ifModifiedSinceComparesSeconds() {
        #expect(validators.isNotModified(ifNoneMatch: [], ifModifiedSince: [lastModifiedText]))
        #expect(validators.isNotModified(ifNoneMatch: [], ifModifiedSince: ["Wed, 15 Nov 2023 00:00:00 GMT"]))
        #expect(!validators.isNotModified(ifNoneMatch: [], ifModifiedSince: ["Tue, 14 Nov 2023 22:13:19 GMT"]))
        #expect(!validators.isNotModified(ifNoneMatch: [], ifModifiedSince: ["not a date"]))
    }

    @Test func ifNoneMatchTakesPrecedenceOverIfModifiedSince() {
        // A stale tag with a fresh date: the tag decides, so the full response is sent.
        #expect(!validators.isNotModified(ifNoneMatch: ["\"old\""], ifModifiedSince: [lastModifiedText]))
    }

    @Test func ifRangeNeedsAStrongTagOrTheExactDate() {
        #expect(validators.satisfiesIfRange("\"6553f100-3e8\""))
        #expect(!validators.satisfiesIfRange("W/\"6553f100-3e8\""))
        #expect(!validators.satisfiesIfRange("\"other\""))
        #expect(validators.satisfiesIfRange(lastModifiedText))
        #expect(!validators.satisfiesIfRange("Wed, 15 Nov 2023 00:00:00 GMT"))
    }

    private func plan(_ method: HTTPMethod = .GET, _ headers: [(String, String)] = []) -> FileResponsePlan {
        FileResponsePlan(
            method: method, requestHeaders: HTTPHeaders(headers), size: Self.size, modified: Self.modified,
            mediaType: "text/plain; charset=utf-8"
        )
    }

    @Test func plainGetServesEverything() {
        let plan = plan()
        #expect(plan.status == .ok)
        #expect(plan.bodyOffset == 0 && plan.bodyLength == 1000)
        #expect(plan.headers["Content-Length"] == ["1000"])
        #expect(plan.headers["Accept-Ranges"] == ["bytes"])
        #expect(plan.headers["Last-Modified"] == [lastModifiedText])
    }

    @Test func headHasTheLengthButNoBody() {
        let plan = plan(.HEAD)
        #expect(plan.status == .ok && plan.bodyLength == 0 && plan.headers["Content-Length"] == ["1000"])
    }

    @Test func rangeGives206AndHeadIgnoresIt() {
        let partial = plan(.GET, [("Range", "bytes=10-19")])
        #expect(partial.status == .partialContent)
        #expect(partial.bodyOffset == 10 && partial.bodyLength == 10)
        #expect(partial.headers["Content-Range"] == ["bytes 10-19/1000"])
        #expect(partial.headers["Content-Length"] == ["10"])
        #expect(plan(.HEAD, [("Range", "bytes=10-19")]).status == .ok)
    }

    @Test func unsatisfiableRangeGives416WithTheSize() {
        let plan = plan(.GET, [("Range", "bytes=5000-")])
        #expect(plan.status == .rangeNotSatisfiable)
        #expect(plan.headers["Content-Range"] == ["bytes */1000"])
        #expect(plan.bodyLength == 0 && plan.textBody != nil)
    }

    @Test func ifRangeMismatchServesTheWholeFile() {
        #expect(plan(.GET, [("Range", "bytes=0-9"), ("If-Range", "\"6553f100-3e8\"")]).status == .partialContent)
        #expect(plan(.GET, [("Range", "bytes=0-9"), ("If-Range", "\"stale\"")]).status == .ok)
        #expect(plan(.GET, [("Range", "bytes=0-9"), ("If-Range", lastModifiedText)]).status == .partialContent)
        #expect(plan(.GET, [("Range", "bytes=0-9"), ("If-Range", "Mon, 13 Nov 2023 00:00:00 GMT")]).status == .ok)
    }

    @Test func notModifiedWinsOverRange() {
        let plan = plan(.GET, [("Range", "bytes=0-9"), ("If-None-Match", "\"6553f100-3e8\"")])
        #expect(plan.status == .notModified && plan.bodyLength == 0)
        #expect(plan.headers["ETag"] == ["\"6553f100-3e8\""])
    }

    @Test func twoRangeHeaderLinesAreIgnored() {
        #expect(plan(.GET, [("Range", "bytes=0-9"), ("Range", "bytes=5-9")]).status == .ok)
    }
}
