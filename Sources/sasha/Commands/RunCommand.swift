import ArgumentParser
import Foundation
import Logging
import SashaCore
import SashaSDK

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one ring member in the foreground.",
        discussion: """
            Joins the ring on ADDRESS:ring.port (UDP), answers `sasha status` on the control socket \
            <control.dir>/<ADDRESS>.sock and, when control.metrics is set, serves Prometheus metrics. \
            Logs every membership and role change to standard error. SIGTERM or SIGINT leaves the \
            ring gracefully (a dispatcher hands its role over at once) and exits 0.

            Needs ring.key_file (from `sasha keygen`, mode 0600) unless ring.insecure is true.

            Examples:
              sasha run --config examples/loopback.yaml --node 127.0.0.1
              sasha run --config /etc/sasha/cluster.yaml --node 10.0.0.5 --log-level debug
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: ArgumentHelp("This member's address; it must be in ring.members.", valueName: "ADDRESS"))
    var node: String

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: String = "info"

    func validate() throws {
        guard IPv4Address(node) != nil else {
            throw ValidationError("--node \(node) is not an IPv4 address such as 127.0.0.1")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel): use trace, debug, info, notice, warning, error or critical")
        }
    }

    func run() throws {
        let status = DaemonMain.run(configPath: options.config, node: IPv4Address(node)!,
                                    logLevel: Logger.Level(rawValue: logLevel) ?? .info, printError: printError)
        if status != 0 { throw ExitCode(status) }
    }
}
