import HTTPWire
import L7Machine
import NIOCore
@testable import L7Strategy
import Testing

/// A client cannot hold a connection (and the server connection it pins) by going quiet at any
/// point of a request: every state has a deadline. From a security review of the byte path.
@Suite struct ProxyMachineDeadlineTests {
    typealias Driver = ProxyMachineTests.Driver

    static func short(_ configuration: inout ProxyMachine.Configuration) {
        configuration.headerTimeout = 100
        configuration.bodyIdleTimeout = 100
        configuration.responseTimeout = 100
        configuration.responseIdleTimeout = 100
        configuration.idleTimeout = 100
    }

    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhe",
    ])
    func aBodyThatStopsComingIsCut(_ request: String) {
        var driver = Driver(Self.short)
        driver.client(request)
        #expect(driver.routes == 1)
        #expect(driver.machine.deadline?.kind == .requestBody)
        driver.tick(100)
        #expect(driver.clientText.hasPrefix("HTTP/1.1 408"))
        #expect(driver.clientClosed)
        #expect(driver.released == [false], "the server connection is let go, never reused")
    }

    @Test func aContinueThenSilenceIsCut() {
        var driver = Driver(Self.short)
        driver.client("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        #expect(driver.clientText == "HTTP/1.1 100 Continue\r\n\r\n")
        driver.tick(100)
        #expect(driver.clientClosed)
    }

    @Test func aBodyBeingDroppedAfterALocalAnswerIsCutToo() {
        var driver = Driver(Self.short)
        driver.attachOnRoute = false
        driver.client("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
        driver.run { $0.answerLocally(status: 503, reason: "Service Unavailable", closing: false, now: 0, into: &$1) }
        #expect(driver.clientText.hasPrefix("HTTP/1.1 503"))
        #expect(driver.machine.deadline?.kind == .requestBody)
        driver.tick(100)
        #expect(driver.clientClosed)
    }

    @Test func aMalformedResponseMidBodyKeepsTheBodyDeadline() {
        var driver = Driver(Self.short)
        driver.client("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhe")
        driver.server("NOT HTTP\r\n\r\n")
        #expect(driver.failures == [.malformed])
        #expect(driver.machine.deadline?.kind == .requestBody)
        driver.run { $0.answerLocally(status: 502, reason: "Bad Gateway", closing: false, now: 0, into: &$1) }
        driver.tick(100)
        #expect(driver.clientClosed)
    }

    /// RFC 9110 §10.1.1: a client answered before any 100 may skip its body; the next bytes could
    /// be either, so the proxy closes rather than guess.
    @Test func anExpectAnsweredBeforeAnyContinueClosesTheConnection() {
        var driver = Driver(Self.short)
        driver.attachOnRoute = false
        driver.client("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\nExpect: 100-continue\r\n\r\n")
        driver.run { $0.answerLocally(status: 503, reason: "Service Unavailable", closing: false, now: 0, into: &$1) }
        #expect(!driver.clientText.contains("100 Continue"))
        #expect(driver.clientText.contains("Connection: close\r\n"))
        #expect(driver.clientClosed)
    }

    @Test func anHTTP10ClientGetsNoContinue() {
        var driver = Driver(Self.short)
        driver.client("PUT / HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(driver.toClient.isEmpty)
    }

    @Test(arguments: [
        "GET http://b.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "GET http://a.example/ HTTP/1.0\r\n\r\n",
    ])
    func anAbsoluteTargetThatDisagreesWithHostIsRefused(_ request: String) {
        var driver = Driver(Self.short)
        driver.client(request)
        #expect(driver.routes == 0)
        #expect(driver.clientText.hasPrefix("HTTP/1.1 400"))
    }

    @Test func anAbsoluteTargetThatAgreesWithHostIsRouted() {
        var driver = Driver(Self.short)
        driver.client("GET http://A.example:8080/x HTTP/1.1\r\nHost: a.example:8080\r\n\r\n")
        #expect(driver.routes == 1)
    }

    /// The request body ends while the response streams: the response's deadline stays, so a
    /// server that then stalls is cut.
    @Test func aResponseUnderWayKeepsItsDeadlineWhenTheRequestEnds() {
        var driver = Driver(Self.short)
        driver.client("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhe")
        driver.server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        #expect(driver.machine.deadline?.kind == .responseBody)
        driver.now = 10
        driver.client("llo")
        #expect(driver.machine.deadline?.kind == .responseBody)
        driver.tick(110)
        #expect(driver.clientClosed && driver.released == [false])
    }

    /// A body that completes while the request waits for another request's fetch leaves the
    /// wait's deadline, whose end sends the request upstream itself (not a 408).
    @Test func aBodyThatEndsWhileWaitingForAFetchLeavesTheWaitsDeadline() {
        var driver = Driver(Self.short)
        driver.attachOnRoute = false
        driver.client("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n")
        driver.run { machine, _ in machine.waitingForAnotherFetch(now: 0) }
        driver.now = 50
        driver.client("ok")
        #expect(driver.machine.deadline?.kind == .responseHead)
        driver.tick(150)
        #expect(!driver.clientText.hasPrefix("HTTP/1.1 408"))
        #expect(driver.failures == [.timeout], "the handler then fetches it without the cache's help")
    }

    @Test func aTunnelStaysOpenForTheWholeIdleTimeoutAfterItsLastByte() {
        var driver = Driver(Self.short)
        driver.client("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
        driver.server("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
        #expect(driver.tunnels == 1)
        driver.run { machine, _ in machine.tunnelActivity(now: 49) }
        driver.tick(148)
        #expect(!driver.clientClosed)
        driver.tick(149)
        #expect(driver.clientClosed)
    }
}
