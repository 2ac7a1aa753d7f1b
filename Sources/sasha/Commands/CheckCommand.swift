import ArgumentParser
import SashaCore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a configuration file and the plugins and options it names.",
        discussion: """
            Prints every problem as FILE:LINE:COLUMN: message and exits 1; a good file prints one \
            line that sums it up and exits 0. Plugins are loaded to check their options, exactly \
            as the daemon would load them.

            Example:
              sasha check --config examples/loopback.yaml
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let report = ConfigCheck.run(path: options.config)
        for diagnostic in report.diagnostics { printError(diagnostic.description) }
        guard let summary = report.summary else { throw ExitCode.failure }
        print(summary)
    }
}
