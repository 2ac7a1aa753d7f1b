import HTTPWire
import L7Machine
import NIOCore
@testable import L7Strategy
import Testing

/// What the cache asks of `ProxyMachine` when it revalidates: conditional fields in the head that
/// goes upstream, and the 304 (or a 5xx a stale entry replaces) kept from the client.
@Suite struct ProxyMachineInterceptTests {
    typealias Driver = ProxyMachineTests.Driver

    static let get = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"

    func revalidating(_ intercept: ResponseIntercept = [.notModified]) -> Driver {
        var driver = Driver()
        driver.beforeAttach = { machine in
            machine.addUpstreamFields("If-None-Match: \"v1\"\r\n")
            machine.intercept(intercept)
        }
        driver.client(Self.get)
        return driver
    }

    @Test func theConditionalFieldsJoinTheHeadSentUpstream() {
        let driver = revalidating()
        #expect(driver.serverText.hasPrefix("GET /a HTTP/1.1\r\nHost: h\r\n"))
        #expect(driver.serverText.hasSuffix("If-None-Match: \"v1\"\r\n\r\n"))
    }

    @Test func a304IsTakenNotSentAndTheConnectionIsReused() {
        var driver = revalidating()
        driver.server("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n")
        #expect(driver.intercepted == [304])
        #expect(driver.toClient.isEmpty)
        #expect(driver.released == [true])
        // The handler answers from the cache: the exchange ends as usual.
        let head = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
        driver.run { $0.answerFromCache(head: head, body: ByteBuffer(string: "ok"), status: 200, now: 0, into: &$1) }
        #expect(driver.clientText == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(driver.machine.exchange == nil && !driver.clientClosed)
    }

    @Test func everyOtherAnswerGoesToTheClientAsUsual() {
        var driver = revalidating()
        driver.server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        #expect(driver.intercepted.isEmpty)
        #expect(driver.clientText.hasPrefix("HTTP/1.1 200 OK\r\n") && driver.clientText.hasSuffix("\r\n\r\nhi"))

        var plain = Driver()
        plain.client(Self.get)
        plain.server("HTTP/1.1 304 Not Modified\r\n\r\n")
        #expect(plain.intercepted.isEmpty && plain.clientText.hasPrefix("HTTP/1.1 304"))
    }

    @Test func a5xxIsTakenOnlyWhenAskedAndItsConnectionIsClosed() {
        var driver = revalidating([.notModified, .serverErrors])
        driver.server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
        #expect(driver.intercepted == [503] && driver.toClient.isEmpty && driver.released == [false])

        var notAsked = revalidating()
        notAsked.server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
        #expect(notAsked.intercepted.isEmpty && notAsked.clientText.hasSuffix("busy"))
    }

    @Test func a304SplitAtEveryByteIsTakenTheSame() {
        let answer = Array("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n".utf8)
        for cut in 1..<answer.count {
            var driver = revalidating()
            driver.server(Array(answer[..<cut]))
            driver.server(Array(answer[cut...]))
            #expect(driver.intercepted == [304] && driver.toClient.isEmpty && driver.released == [true], "cut at \(cut)")
        }
    }
}
