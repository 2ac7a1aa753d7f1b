import Testing

@testable import SashaWeb

@Suite("ByteRange: RFC 9110 single byte ranges")
struct ByteRangeTests {
    @Test(arguments: [
        ("bytes=0-499", ByteRange.partial(offset: 0, length: 500)),
        ("bytes=500-999", .partial(offset: 500, length: 500)),
        ("bytes=900-5000", .partial(offset: 900, length: 100)),  // end clamped to the last byte
        ("bytes=999-999", .partial(offset: 999, length: 1)),
        ("bytes=100-", .partial(offset: 100, length: 900)),
        ("bytes=-1", .partial(offset: 999, length: 1)),
        ("bytes=-300", .partial(offset: 700, length: 300)),
        ("bytes=-5000", .partial(offset: 0, length: 1000)),  // a suffix longer than the file is all of it
        ("BYTES=0-0", .partial(offset: 0, length: 1)),
        ("bytes= 0-9 ", .partial(offset: 0, length: 10)),
        ("bytes=0-9,", .partial(offset: 0, length: 10)),  // empty list elements do not count
        ("bytes=0-99999999999999999999999", .partial(offset: 0, length: 1000)),  // overflow saturates
    ])
    func satisfiableRanges(header: String, expected: ByteRange) {
        #expect(ByteRange(header: header, size: 1000) == expected, "\(header)")
    }

    @Test(arguments: ["bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=99999999999999999999999-"])
    func unsatisfiableRanges(header: String) {
        #expect(ByteRange(header: header, size: 1000) == .unsatisfiable, "\(header)")
    }

    @Test func anyRangeOfAnEmptyFileIsUnsatisfiable() {
        #expect(ByteRange(header: "bytes=0-", size: 0) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=-10", size: 0) == .unsatisfiable)
    }

    @Test(arguments: [
        "bytes=0-1,5-6",  // several ranges: multipart is not served
        "bytes=5-1",  // last before first
        "bytes=a-b", "bytes=1-2x", "bytes=--5", "bytes=-", "bytes=", "bytes=1",
        "items=0-5", "bytes 0-5", "",
    ])
    func ignoredHeadersServeTheWholeFile(header: String) {
        #expect(ByteRange(header: header, size: 1000) == .whole, "\(header)")
    }
}
