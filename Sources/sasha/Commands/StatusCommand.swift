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
        let line = try MemberRequest(configPath: options.config, node: node).send(#"{"command":"status"}"#)
        let report: StatusReport
        do {
            report = try StatusReport.decode(line)
        } catch {
            printError("the member \(node) answered something that is not a status: \(line)")
            throw ExitCode.failure
        }
        print(json ? try report.prettyJSON() : report.table)
    }
}
