import HTTPDate
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adds the headers every response carries (`Date`, `Server`, `X-Served-By` naming the member
/// that answered, which is how a client behind the dispatcher sees where it landed, and
/// `Connection` when the connection's fate differs from the version's default). One per connection
/// handler: the `Date` text is formatted once a second, not once a response.
struct ResponseStamp {
    private var second: Int64 = -1
    private var dateText = ""
    /// The member's address; nil for answers that come before a site is known.
    var servedBy: String?

    init(servedBy: String? = nil) {
        self.servedBy = servedBy
    }

    mutating func stamp(_ headers: inout HTTPHeaders, version: HTTPVersion, keepAlive: Bool) {
        let now = Int64(time(nil))
        if now != second {
            second = now
            dateText = HTTPDate.format(now)
        }
        headers.add(name: "Date", value: dateText)
        headers.add(name: "Server", value: "sasha")
        if let servedBy { headers.add(name: "X-Served-By", value: servedBy) }
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if version.major == 1 && version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
    }
}
