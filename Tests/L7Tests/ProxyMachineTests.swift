import HTTPWire
import NIOCore
import L7Machine
@testable import L7Strategy
import Testing

/// `ProxyMachine` without sockets: a driver plays the handler (routes every request to one server
/// at once) and records what would go to the server and to the client. Every exchange is fed
/// whole and split at every byte boundary, and must come out the same.
@Suite struct ProxyMachineTests {
    /// What the machine asked for, in order, as the handler would carry it out.
    struct Driver {
        var machine: ProxyMachine
        var now: UInt64 = 0
        var toServer: [UInt8] = []
        var toClient: [UInt8] = []
        var routes = 0
        var released: [Bool] = []
        var failures: [ServerFailure] = []
        var clientClosed = false
        var tunnels = 0
        var attachOnRoute = true
        /// Runs on each route before the server is attached (what the cache asks of the machine).
        var beforeAttach: ((inout ProxyMachine) -> Void)?
        /// Statuses of the responses the machine handed over instead of sending them on.
        var intercepted: [Int] = []

        init(_ configure: (inout ProxyMachine.Configuration) -> Void = { _ in }) {
            var configuration = ProxyMachine.Configuration()
            configuration.forwarding = Forwarding(client: "198.18.0.7", proxy: "198.18.0.1")
            configure(&configuration)
            machine = ProxyMachine(configuration: configuration, allocator: ByteBufferAllocator(), now: 0)
        }

        mutating func run(_ event: (inout ProxyMachine, inout [ProxyAction]) -> Void) {
            var actions: [ProxyAction] = []
            event(&machine, &actions)
            var index = 0
            while index < actions.count {
                let action = actions[index]
                index += 1
                switch action {
                case .route:
                    routes += 1
                    beforeAttach?(&machine)
                    if attachOnRoute { machine.serverAttached(now: now, collectPayload: false, into: &actions) }
                case .writeToServer(let buffer): toServer += buffer.readableBytesView
                case .writeToClient(let buffer): toClient += buffer.readableBytesView
                case .releaseServer(let reusable): released.append(reusable)
                case .serverFailed(let failure): failures.append(failure)
                case .closeClient: clientClosed = true
                case .openTunnel: tunnels += 1
                case .interceptedResponse(let head, _): intercepted.append(head.status)
                default: break
                }
            }
        }

        mutating func client(_ text: String) { client(Array(text.utf8)) }
        mutating func client(_ bytes: [UInt8]) {
            let now = now
            run { $0.clientBytes(ByteBuffer(bytes: bytes), now: now, into: &$1) }
        }
        mutating func server(_ text: String) { server(Array(text.utf8)) }
        mutating func server(_ bytes: [UInt8]) {
            let now = now
            run { $0.serverBytes(ByteBuffer(bytes: bytes), now: now, into: &$1) }
        }
        mutating func tick(_ at: UInt64) {
            now = at
            run { $0.tick(now: at, into: &$1) }
        }

        var serverText: String { String(decoding: toServer, as: UTF8.self) }
        var clientText: String { String(decoding: toClient, as: UTF8.self) }
    }

    /// Feeds `client` (cut in two at `clientCut`), then each of `responses` in turn, as a server
    /// answers one request at a time (each cut in two at `serverCut`, when it is that long).
    static func drive(client: String, responses: [String], clientCut: Int? = nil, serverCut: Int? = nil) -> Driver {
        var driver = Driver()
        let clientBytes = Array(client.utf8)
        if let cut = clientCut {
            driver.client(Array(clientBytes[..<cut]))
            driver.client(Array(clientBytes[cut...]))
        } else {
            driver.client(clientBytes)
        }
        for response in responses {
            let bytes = Array(response.utf8)
            if let cut = serverCut, cut < bytes.count {
                driver.server(Array(bytes[..<cut]))
                driver.server(Array(bytes[cut...]))
            } else {
                driver.server(bytes)
            }
        }
        return driver
    }

    static func drive(client: String, server: String) -> Driver { drive(client: client, responses: [server]) }

    static let pipelined = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        + "GET /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"
    static let twoResponses = ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"]

    @Test func aPipelinedPairGoesUpstreamWithItsFramingAndComesBackWhole() {
        let driver = Self.drive(client: Self.pipelined, responses: Self.twoResponses)
        #expect(driver.routes == 2)
        let upstream = driver.serverText
        #expect(upstream.hasPrefix("POST /a HTTP/1.1\r\nHost: a\r\n"))
        #expect(upstream.contains("\r\nContent-Length: 5\r\n\r\nhello"))
        #expect(upstream.contains("\r\n\r\nhelloGET /b HTTP/1.1\r\n"))
        #expect(upstream.hasSuffix("\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"), "the chunked body goes as it came")
        #expect(upstream.contains("X-Forwarded-For: 198.18.0.7\r\n"))
        #expect(driver.clientText.hasSuffix("\r\n\r\n2\r\nhi\r\n0\r\n\r\n"))
        #expect(driver.clientText.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 3)
        #expect(driver.released == [true, true])
        #expect(!driver.clientClosed)
    }

    @Test func everyClientSplitGivesTheSameBytes() {
        let whole = Self.drive(client: Self.pipelined, responses: Self.twoResponses)
        for cut in 1..<Self.pipelined.utf8.count {
            let split = Self.drive(client: Self.pipelined, responses: Self.twoResponses, clientCut: cut)
            #expect(split.toServer == whole.toServer, "client split at \(cut)")
            #expect(split.toClient == whole.toClient, "client split at \(cut)")
            #expect(split.released == whole.released, "client split at \(cut)")
        }
    }

    @Test func everyServerSplitGivesTheSameBytes() {
        let whole = Self.drive(client: Self.pipelined, responses: Self.twoResponses)
        for cut in 1..<Self.twoResponses.map(\.utf8.count).max()! {
            let split = Self.drive(client: Self.pipelined, responses: Self.twoResponses, serverCut: cut)
            #expect(split.toClient == whole.toClient, "server split at \(cut)")
            #expect(split.released == whole.released, "server split at \(cut)")
        }
    }

    @Test func byteByByteBothWays() {
        let whole = Self.drive(client: Self.pipelined, responses: Self.twoResponses)
        var driver = Driver()
        for byte in Self.pipelined.utf8 { driver.client([byte]) }
        for response in Self.twoResponses {
            for byte in response.utf8 { driver.server([byte]) }
        }
        #expect(driver.toServer == whole.toServer)
        #expect(driver.toClient == whole.toClient)
    }

    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
    ])
    func hostileHeadsAreRefusedWithoutARoute(_ request: String) {
        var driver = Driver()
        driver.client(request)
        #expect(driver.routes == 0)
        #expect(driver.toServer.isEmpty)
        #expect(driver.clientText.hasPrefix("HTTP/1.1 4"), "\(driver.clientText)")
        #expect(driver.clientClosed)
    }

    @Test func aServerThatSaysTooMuchIsNotReused() {
        let driver = Self.drive(client: "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                                server: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n")
        #expect(driver.released == [false])
        #expect(driver.clientText.hasSuffix("\r\n\r\nok"))
    }

    @Test func conflictingResponseFramingIsAFailureNeverReused() {
        let driver = Self.drive(client: "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                                server: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(driver.failures == [.malformed])
        #expect(driver.released == [false])
        #expect(driver.toClient.isEmpty, "the handler answers 502 itself")
    }

    @Test func aResponseToHeadHasNoBodyWhateverItsLength() {
        var driver = Self.drive(client: "HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
                                server: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        #expect(driver.released == [true])
        #expect(driver.routes == 2, "the next request started right after the head")
        driver.server("HTTP/1.1 204 No Content\r\n\r\n")
        #expect(driver.released == [true, true])
    }

    @Test func aChunkedResponseToAnHTTP10ClientIsDechunkedAndClosed() {
        let driver = Self.drive(client: "GET / HTTP/1.0\r\n\r\n",
                                server: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n3\r\nyou\r\n0\r\n\r\n")
        #expect(driver.clientText.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(!driver.clientText.lowercased().contains("transfer-encoding"))
        #expect(driver.clientText.hasSuffix("\r\n\r\nhiyou"))
        #expect(driver.clientClosed)
        #expect(driver.serverText.contains("Host: 198.18.0.1\r\n"), "an HTTP/1.0 request gains the Host it was sent to")
    }

    @Test func expectContinueIsAnsweredWhenTheServerIsReady() {
        var driver = Driver()
        driver.attachOnRoute = false
        driver.client("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(driver.toClient.isEmpty)
        driver.run { $0.serverAttached(now: 0, collectPayload: false, into: &$1) }
        #expect(driver.clientText == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(!driver.serverText.lowercased().contains("expect"))
        driver.client("ok")
        #expect(driver.serverText.hasSuffix("\r\n\r\nok"))
    }

    @Test func deadlinesFireInTurn() {
        // The first request's head never completes: 408 after the header timeout.
        var slow = Driver { $0.headerTimeout = 100 }
        slow.client("GET / HTTP/1.1\r\nHo")
        slow.tick(99)
        #expect(!slow.clientClosed)
        slow.tick(100)
        #expect(slow.clientText.hasPrefix("HTTP/1.1 408"))
        #expect(slow.clientClosed)

        // The server never answers: a timeout failure for the handler to turn into 504.
        var silent = Driver { $0.responseTimeout = 50 }
        silent.client("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        silent.tick(50)
        #expect(silent.failures == [.timeout])

        // An idle keep-alive connection is closed quietly.
        var idle = Self.drive(client: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", server: "HTTP/1.1 204 No Content\r\n\r\n")
        let answered = idle.toClient.count
        idle.tick(61_000_000_000)
        #expect(idle.clientClosed)
        #expect(idle.toClient.count == answered)
    }

    @Test func aWebSocketHandshakeOpensATunnelWithWhatFollowed() {
        let driver = Self.drive(
            client: "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
            server: "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nframe")
        #expect(driver.serverText.contains("Upgrade: websocket\r\n"))
        #expect(driver.serverText.contains("Connection: upgrade\r\n"))
        #expect(driver.clientText.hasPrefix("HTTP/1.1 101"))
        #expect(driver.tunnels == 1)
        #expect(driver.machine.phase == .tunnel)
        // A tunnel nobody uses closes after the idle timeout; traffic keeps it open.
        var quiet = driver
        quiet.run { machine, _ in machine.tunnelActivity(now: 50_000_000_000) }
        quiet.tick(100_000_000_000)
        #expect(!quiet.clientClosed)
        quiet.tick(200_000_000_000)
        #expect(quiet.clientClosed)
    }
}
