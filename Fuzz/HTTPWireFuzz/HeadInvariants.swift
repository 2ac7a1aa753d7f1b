import HTTPWire

/// Every range a complete head gives lies inside it, in order, and the facts agree with the fields.
struct HeadInvariants {
    let head: ParsedHead
    let length: Int

    func check() {
        let ranges = [head.methodBytes, head.target, head.reason] + head.fields.flatMap { [$0.name, $0.value, $0.line] }
            + [head.host].compactMap { $0 } + head.connection.otherNames
        for range in ranges { precondition(range.lowerBound >= 0 && range.upperBound <= length, "range \(range) outside head of \(length)") }
        for field in head.fields {
            precondition(!field.name.isEmpty && field.line.lowerBound == field.name.lowerBound, "field name")
            precondition(field.value.lowerBound > field.name.upperBound && field.value.upperBound <= field.line.upperBound - 2, "field value")
        }
        for (before, after) in zip(head.fields, head.fields.dropFirst()) { precondition(before.line.upperBound == after.line.lowerBound) }
        precondition(!(head.isChunked && head.contentLength != nil), "chunked with a Content-Length")
        precondition(head.fields.count <= WireLimits().maxFieldCount)
        switch head.kind {
        case .request:
            precondition(!head.methodBytes.isEmpty && !head.target.isEmpty && head.status == 0)
            precondition(head.version == .http1_0 || head.host != nil, "HTTP/1.1 request without Host")
            precondition(!(head.version == .http1_0 && head.isChunked), "chunked HTTP/1.0 request")
        case .response:
            precondition((100...999).contains(head.status), "status \(head.status)")
        }
    }
}
