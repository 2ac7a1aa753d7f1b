import NIOCore

extension HeadWriter {
    /// The proxy's own short answers (400, 502, 503, 100 Continue…): a status line, a plain text
    /// body (the reason and a newline unless `body` is given) and its Content-Length, and
    /// `Connection: close` when the proxy closes after it. `headOnly` leaves the body out but keeps
    /// its length (an answer to HEAD). A 1xx, 204 or 304 gets no body and no Content-Length.
    public static func writeShortResponse(status: Int, reason: StaticString, body: String? = nil, closing: Bool,
                                          headOnly: Bool = false, into out: inout ByteBuffer) {
        out.writeStaticString("HTTP/1.1 ")
        writeStatus(status, into: &out)
        out.writeStaticString(" ")
        out.writeStaticString(reason)
        out.writeStaticString("\r\n")
        let bodyless = status < 200 || status == 204 || status == 304
        if !bodyless {
            out.writeStaticString("Content-Type: text/plain\r\nContent-Length: ")
            out.writeString(String(body?.utf8.count ?? reason.utf8CodeUnitCount + 1))
            out.writeStaticString("\r\n")
        }
        if closing { out.writeStaticString("Connection: close\r\n") }
        out.writeStaticString("\r\n")
        guard !bodyless, !headOnly else { return }
        if let body {
            out.writeString(body)
        } else {
            out.writeStaticString(reason)
            out.writeStaticString("\n")
        }
    }
}
