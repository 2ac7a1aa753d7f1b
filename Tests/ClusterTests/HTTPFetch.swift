import Foundation

/// One HTTP exchange through curl (the tool an operator would use), so that the tests see exactly
/// what a client on the wire sees.
struct HTTPFetch {
    var status: Int
    /// Header names lower-cased; the last value wins.
    var headers: [String: String]
    var body: Data

    /// GET (or `method`) `url` with a 5 s limit; nil when curl could not get an answer at all.
    static func get(_ url: String, method: String = "GET", headers: [String] = []) -> HTTPFetch? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var arguments = ["-s", "-i", "--max-time", "5", "-X", method, "-o", "-"]
        if method == "HEAD" { arguments = ["-s", "-I", "--max-time", "5"] }
        for header in headers { arguments += ["-H", header] }
        process.arguments = arguments + [url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let split = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = head.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else { return nil }
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPFetch(status: status, headers: fields, body: Data(data[split.upperBound...]))
    }

    /// Retries until an answer comes (the dispatcher may still be starting); nil after `timeout`.
    static func eventually(_ url: String, timeout: Duration = .seconds(15)) async -> HTTPFetch? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let answer = get(url), answer.status < 500 { return answer }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }
}
