import NIOCore
import SashaTestSupport

/// The web server suites' way to `RawHTTP` (SashaTestSupport), the tests' one raw client: the
/// same calls from async code, with the server's `SocketAddress`.
enum RawHTTPClient {
    typealias Exchange = RawHTTP.Exchange

    /// No response came (`RawHTTP.Failure` says more when the connection itself failed).
    struct TimedOut: Error {}

    /// A single `GET` (or `method`) with `Connection: close`.
    static func request(
        _ target: String, method: String = "GET", headers: [(String, String)] = [], to address: SocketAddress
    ) async throws -> WireResponse {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: test\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Connection: close\r\n\r\n"
        let exchange = try await send(Array(text.utf8), to: address, expecting: 1, headRequests: method == "HEAD" ? [0] : [])
        guard let response = exchange.responses.first else { throw TimedOut() }
        return response
    }

    /// Sends `bytes`, then reads until `expecting` responses are complete, the server closes, or
    /// `timeout` passes. `headRequests` are the indexes of responses that have no body (HEAD).
    static func send(
        _ bytes: [UInt8], to address: SocketAddress, expecting: Int, headRequests: Set<Int> = [],
        timeout: TimeAmount = .seconds(10)
    ) async throws -> Exchange {
        guard let host = address.ipAddress, let port = address.port else { throw TimedOut() }
        let seconds = Double(timeout.nanoseconds) / 1e9
        let result = await onThread { () -> Result<Exchange, RawHTTP.Failure> in
            do {
                return .success(try RawHTTP.exchange(bytes, address: host, port: UInt16(port), expecting: expecting,
                                                     headRequests: headRequests, timeout: seconds))
            } catch {
                return .failure(error as? RawHTTP.Failure ?? RawHTTP.Failure(description: "\(error)"))
            }
        }
        switch result {
        case .success(let exchange): return exchange
        case .failure(let failure) where failure.timedOut: throw TimedOut()
        case .failure(let failure): throw failure
        }
    }
}
