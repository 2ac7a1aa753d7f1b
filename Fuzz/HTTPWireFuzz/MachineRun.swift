import HTTPWire
import L7Machine
import NIOCore

/// The same input driven through `ProxyMachine`, the l7 strategy's connection: the bytes after the
/// selector are cut into what the client sends and what the server answers, each delivered in two
/// pieces, then time runs out. The machine must not trap, and what it writes to each server
/// connection must scan as exactly as many valid requests as it routed there: a request the
/// server could find that the proxy did not route would be a smuggled one.
enum MachineRun {
    static func run(_ bytes: UnsafeRawBufferPointer, selector: UInt8) {
        let clientCount = bytes.count * Int(selector >> 4) / 15
        let client = Array(bytes[0..<clientCount])
        let server = Array(bytes[clientCount...])
        var driver = Driver(answerLocally: selector & 4 != 0, collectPayload: selector & 8 != 0)
        let clientCut = client.count * Int(selector & 3) / 3
        driver.client(Array(client[0..<clientCut]))
        driver.client(Array(client[clientCut...]))
        let serverCut = server.count / 2
        driver.server(Array(server[0..<serverCut]))
        driver.server(Array(server[serverCut...]))
        driver.event { machine, actions in machine.serverClosed(now: 2, into: &actions) }
        driver.event { machine, actions in machine.tick(now: .max, into: &actions) }
        driver.finishConnection()
    }

    /// Plays the handler: routes every request to the one server (or answers it itself), and
    /// keeps what went to each server connection.
    struct Driver {
        var machine: ProxyMachine
        let answerLocally: Bool
        let collectPayload: Bool
        var upstream: [UInt8] = []
        var routedHere = 0
        var headPending = false
        var closed = false

        init(answerLocally: Bool, collectPayload: Bool) {
            var configuration = ProxyMachine.Configuration()
            configuration.maxBodyBytes = 1 << 16
            machine = ProxyMachine(configuration: configuration, allocator: ByteBufferAllocator(), now: 0)
            self.answerLocally = answerLocally
            self.collectPayload = collectPayload
        }

        mutating func client(_ bytes: [UInt8]) {
            event { machine, actions in machine.clientBytes(ByteBuffer(bytes: bytes), now: 1, into: &actions) }
        }

        mutating func server(_ bytes: [UInt8]) {
            event { machine, actions in machine.serverBytes(ByteBuffer(bytes: bytes), now: 1, into: &actions) }
        }

        mutating func event(_ body: (inout ProxyMachine, inout [ProxyAction]) -> Void) {
            var actions: [ProxyAction] = []
            body(&machine, &actions)
            var index = 0
            while index < actions.count {
                let action = actions[index]
                index += 1
                precondition(!closed || isHarmlessAfterClose(action), "an action after the client was closed: \(action)")
                switch action {
                case .route(let start):
                    precondition(start.bytes.readableBytes > 0, "a route without a head")
                    if answerLocally {
                        machine.answerLocally(status: 503, reason: "Service Unavailable", closing: false, now: 1, into: &actions)
                    } else {
                        // The machine may have closed since it asked (the same bytes held a bad
                        // body): then the attach writes nothing and the request was never sent.
                        headPending = true
                        machine.serverAttached(now: 1, collectPayload: collectPayload, into: &actions)
                    }
                case .writeToServer(let buffer):
                    if headPending {
                        headPending = false
                        routedHere += 1
                    }
                    upstream += buffer.readableBytesView
                case .releaseServer(let reusable):
                    if !reusable { finishConnection() }
                case .serverFailed:
                    machine.answerLocally(status: 502, reason: "Bad Gateway", closing: false, now: 1, into: &actions)
                case .closeClient:
                    closed = true
                default:
                    break
                }
            }
        }

        func isHarmlessAfterClose(_ action: ProxyAction) -> Bool {
            switch action {
            case .flushClient, .closeClient, .releaseServer, .flushServer: true
            default: false
            }
        }

        /// The server connection ends: what it received must be exactly the routed requests.
        mutating func finishConnection() {
            var rest = upstream[...]
            var requests = 0
            while !rest.isEmpty {
                var scanner = HeadScanner(kind: .request)
                let result = rest.withUnsafeBytes { scanner.scan($0) }
                guard case .complete(let head, let length) = result else {
                    preconditionFailure("the proxy wrote a request the server cannot read: \(result)")
                }
                requests += 1
                rest = rest.dropFirst(length)
                var body = BodyTracker(framing: MessageFraming.request(head))
                switch rest.withUnsafeBytes({ body.consume($0) }) {
                case .complete(let consumed): rest = rest.dropFirst(consumed)
                case .needsMore(let consumed):
                    // A body cut short (the request was answered or failed): nothing may follow it.
                    precondition(consumed == rest.count, "bytes after an unfinished body")
                    rest = rest.dropFirst(consumed)
                case .invalid(let error): preconditionFailure("the proxy wrote a body the server cannot read: \(error)")
                }
            }
            precondition(requests == routedHere, "the server finds \(requests) requests where the proxy routed \(routedHere)")
            upstream = []
            routedHere = 0
        }
    }
}
