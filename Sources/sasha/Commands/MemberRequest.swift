import ArgumentParser
import SashaCore
import SashaSDK

/// Sends one request to a running member's control socket (`<control.dir>/<ADDRESS>.sock`) and
/// returns its answer line; every failure is printed with what to do, then exits 1.
struct MemberRequest {
    var configPath: String
    var node: String

    func send(_ request: String, timeoutSeconds: Int = 5) throws -> String {
        guard let address = IPv4Address(node) else {
            throw ValidationError("--node \(node) is not an IPv4 address such as 127.0.0.1")
        }
        let (config, diagnostics) = ConfigLoader.load(path: configPath)
        guard let config else {
            diagnostics.forEach { printError($0.description) }
            throw ExitCode.failure
        }
        let socket: ControlSocketPath
        do throws(ControlSocketPath.Problem) {
            socket = try ControlSocketPath(folder: config.control.dir, node: address)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        do throws(ControlClient.Failure) {
            return try ControlClient.request(request, at: socket.path, timeoutSeconds: timeoutSeconds)
        } catch .notRunning {
            printError("no sasha daemon answers on \(socket.path); start it with `sasha run --config \(configPath) --node \(address)`")
        } catch .noAnswer {
            printError("the daemon on \(socket.path) did not answer within \(timeoutSeconds) s (is it stopped or overloaded?)")
        } catch let .failed(reason) {
            printError(reason)
        }
        throw ExitCode.failure
    }
}
