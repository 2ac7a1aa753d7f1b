import HTTPDate
import NIOHTTP1

/// How to answer a GET or HEAD for a file of known size and age: status, the file's headers, and
/// which bytes to send. Pure, so every precondition and range rule is tested without sockets.
///
/// Order of evaluation (RFC 9110 §13.2.2): `If-None-Match` (or, without it, `If-Modified-Since`)
/// may answer 304; then, for GET only, `If-Range` decides whether `Range` applies.
struct FileResponsePlan {
    var status: HTTPResponseStatus
    /// `Content-Length` and the file's own headers; the connection-level ones are added later.
    var headers: HTTPHeaders
    /// The file bytes to send; an empty range for HEAD, 304 and 416.
    var bodyOffset: UInt64
    var bodyLength: UInt64
    /// A short text body instead of file bytes (the 416 explanation).
    var textBody: String?

    init(method: HTTPMethod, requestHeaders: HTTPHeaders, size: UInt64, modified: Int64, mediaType: String) {
        let validators = FileValidators(size: size, modified: modified)
        headers = HTTPHeaders()
        headers.reserveCapacity(8)
        headers.add(name: "ETag", value: validators.entityTag)
        headers.add(name: "Last-Modified", value: HTTPDate.format(modified))
        headers.add(name: "Accept-Ranges", value: "bytes")
        bodyOffset = 0
        bodyLength = 0
        textBody = nil

        let notModified = validators.isNotModified(
            ifNoneMatch: requestHeaders["If-None-Match"],
            ifModifiedSince: requestHeaders["If-Modified-Since"]
        )
        if notModified {
            // A 304 may carry Content-Length only as the size a 200 would have (§8.6).
            status = .notModified
            headers.add(name: "Content-Length", value: String(size))
            return
        }

        var range = ByteRange.whole
        let ranges = requestHeaders["Range"]
        if method == .GET, ranges.count == 1 {
            let ifRange = requestHeaders["If-Range"]
            if ifRange.isEmpty || (ifRange.count == 1 && validators.satisfiesIfRange(ifRange[0])) {
                range = ByteRange(header: ranges[0], size: size)
            }
        }

        switch range {
        case .whole:
            status = .ok
            headers.add(name: "Content-Type", value: mediaType)
            headers.add(name: "Content-Length", value: String(size))
            bodyLength = size
        case .partial(let offset, let length):
            status = .partialContent
            headers.add(name: "Content-Type", value: mediaType)
            headers.add(name: "Content-Range", value: "bytes \(offset)-\(offset + length - 1)/\(size)")
            headers.add(name: "Content-Length", value: String(length))
            bodyOffset = offset
            bodyLength = length
        case .unsatisfiable:
            let text = "range not satisfiable\n"
            status = .rangeNotSatisfiable
            headers.add(name: "Content-Range", value: "bytes */\(size)")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(text.utf8.count))
            textBody = text
        }
        if method == .HEAD { bodyLength = 0 }
    }
}
