import Testing

@testable import SashaWeb

@Suite("RequestPath: the textual wall around the root")
struct RequestPathTests {
    private func parse(_ target: String) -> Result<RequestPath, RequestPath.Rejection> {
        Result { () throws(RequestPath.Rejection) in try RequestPath(target: target) }
    }

    @Test func plainPathsSplitIntoDecodedSegments() throws {
        #expect(try RequestPath(target: "/") == RequestPath(segments: [], hasTrailingSlash: true))
        #expect(try RequestPath(target: "/a/b.html") == RequestPath(segments: ["a", "b.html"], hasTrailingSlash: false))
        #expect(try RequestPath(target: "/docs/") == RequestPath(segments: ["docs"], hasTrailingSlash: true))
        #expect(try RequestPath(target: "/my%20file.txt").segments == ["my file.txt"])
        #expect(try RequestPath(target: "/caf%C3%A9").segments == ["café"])
    }

    @Test func queryAndFragmentAreIgnored() throws {
        #expect(try RequestPath(target: "/notes.txt?v=1&x=../../etc").segments == ["notes.txt"])
        #expect(try RequestPath(target: "/notes.txt#top").segments == ["notes.txt"])
    }

    @Test func emptyAndDotSegmentsCollapse() throws {
        #expect(try RequestPath(target: "//etc///passwd").segments == ["etc", "passwd"])
        #expect(try RequestPath(target: "/./a/./b").segments == ["a", "b"])
        #expect(try RequestPath(target: "/%2e/a").segments == ["a"])
    }

    @Test func absoluteFormKeepsOnlyThePath() throws {
        #expect(try RequestPath(target: "http://example.com/a/b").segments == ["a", "b"])
        #expect(try RequestPath(target: "HTTPS://example.com:8443/x").segments == ["x"])
        #expect(try RequestPath(target: "http://example.com") == RequestPath(segments: [], hasTrailingSlash: true))
    }

    @Test(arguments: [
        ("/..", RequestPath.Rejection.dotDotSegment),
        ("/../secret.txt", .dotDotSegment),
        ("/a/../../secret.txt", .dotDotSegment),
        ("/%2e%2e/secret.txt", .dotDotSegment),
        ("/%2E%2E/secret.txt", .dotDotSegment),
        ("/.%2e/secret.txt", .dotDotSegment),
        ("/..%2fsecret.txt", .encodedSeparator),
        ("/a%2F..%2F..%2Fsecret.txt", .encodedSeparator),
        ("/..\\secret.txt", .backslash),
        ("/a%5c..%5csecret.txt", .backslash),
        ("/a%00.txt", .nulByte),
        ("/a%zz", .badPercentEncoding),
        ("/a%2", .badPercentEncoding),
        ("/a%", .badPercentEncoding),
        ("/%ff%fe", .notUTF8),
        ("*", .notAPath),
        ("secret.txt", .notAPath),
        ("ftp://host/a", .notAPath),
        ("http://host/../secret.txt", .dotDotSegment),
    ])
    func hostileTargetsAreRefused(target: String, reason: RequestPath.Rejection) {
        #expect(parse(target) == .failure(reason), "\(target)")
    }

    @Test func doubleEncodingIsDecodedOnlyOnce() throws {
        // `%252e%252e` is the literal name `%2e%2e`, a file that does not exist, never `..`.
        #expect(try RequestPath(target: "/%252e%252e/secret.txt").segments == ["%2e%2e", "secret.txt"])
        #expect(try RequestPath(target: "/%252f").segments == ["%2f"])
    }

    @Test func tripleDotIsAnOrdinaryName() throws {
        #expect(try RequestPath(target: "/.../x").segments == ["...", "x"])
        #expect(try RequestPath(target: "/..a").segments == ["..a"])
    }
}
