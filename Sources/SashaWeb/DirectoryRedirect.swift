/// The `Location` of the 301 that adds a directory's trailing slash, built from the parsed path
/// and never echoed from the request target.
///
/// An echo goes wrong two ways: `//images` would redirect to `//images/`, which a browser reads
/// as a protocol-relative URL for the host `images`, and an absolute-form target
/// (`http://evil.example/docs`) would send the client to that host. Built from the segments, the
/// location is always one `/` then the path, percent-encoded again: a path on this origin. The
/// query is kept (as nginx does); after `?` it cannot change where the URL leads.
enum DirectoryRedirect {
    static func location(for path: RequestPath, target: String) -> String {
        var location = "/"
        for segment in path.segments {
            location += encoded(segment) + "/"
        }
        if let question = target.firstIndex(of: "?") {
            let query = target[target.index(after: question)...].prefix { $0 != "#" }
            location += "?" + query
        }
        return location
    }

    /// Everything but the unreserved and the sub-delimiters that are safe in a segment is
    /// percent-encoded, `%` included: the segment was decoded once and must mean the same again.
    private static func encoded(_ segment: String) -> String {
        var text = ""
        for byte in segment.utf8 {
            if isSafe(byte) {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return text
    }

    private static func isSafe(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"),
             UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
            true
        default:
            false
        }
    }
}
