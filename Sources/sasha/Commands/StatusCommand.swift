import ArgumentParser
import SashaCore
import SashaSDK

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask a running member what it knows: the ring, the roles, its counters.",
        discussion: """
            Connects to the member's control socket, <control.dir>/<ADDRESS>.sock, which `sasha run` \
            creates. Prints a table, or with --json one JSON object (ring.created is the ring's \
            creation time in microseconds since the Unix epoch). Exits 1 if the member is not running.

            Examples:
              sasha status --config examples/loopback.yaml --node 127.0.0.1
              sasha status --config examples/loopback.yaml --node 127.0.0.1 --json
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: ArgumentHelp("The member to ask.", valueName: "ADDRESS"))
    var node: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        guard let address = IPv4Address(node) else {
            throw ValidationError("--node \(node) is not an IPv4 address such as 127.0.0.1")
        }
        let (config, diagnostics) = ConfigLoader.load(path: options.config)
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
        let line: String
        do throws(ControlClient.Failure) {
            line = try ControlClient.request(#"{"command":"status"}"#, at: socket.path)
        } catch .notRunning {
            printError("no sasha daemon answers on \(socket.path); start it with `sasha run --config \(options.config) --node \(address)`")
            throw ExitCode.failure
        } catch .noAnswer {
            printError("the daemon on \(socket.path) did not answer within 5 s (is it stopped or overloaded?)")
            throw ExitCode.failure
        } catch let .failed(reason) {
            printError(reason)
            throw ExitCode.failure
        }
        let report: StatusReport
        do {
            report = try StatusReport.decode(line)
        } catch {
            printError("the daemon on \(socket.path) answered something that is not a status: \(line)")
            throw ExitCode.failure
        }
        print(json ? try report.prettyJSON() : report.table)
    }
}
