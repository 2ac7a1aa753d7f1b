import ArgumentParser
import Foundation
import SashaCore
import SashaSDK

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Change the policy of the whole running cluster, live.",
        subcommands: [PolicySetCommand.self]
    )
}

struct PolicySetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Swap the policy on every member at once, without dropping a connection.",
        discussion: """
            Asks the member --node to run the swap on the ring: first every member loads the \
            plugin with the options; if any cannot, nothing changes and the refusals are printed, \
            each naming its member. Otherwise the swap is committed with a new epoch: every member \
            records it, and the dispatcher picks with the new policy from its next new connection \
            on (connections already mapped keep their server). Returns when every member has \
            confirmed, and prints the epoch; `sasha status` shows it on each member.

            Option values are read as YAML: 7 is a number, true a boolean, [a, b] a list; \
            a.b=1 sets b inside a. A restarted cluster starts again from the configured policy.

            Exit status: 0 live on every member; 1 refused (or no member answered); 2 committed, \
            but some member did not confirm (it is named).

            Examples:
              sasha policy set least-connections --config examples/loopback.yaml --node 127.0.0.1
              sasha policy set maglev --option table_size=65537 --config examples/loopback.yaml --node 127.0.0.2
            """
    )

    @Argument(help: ArgumentHelp("The policy plugin's name, as in dispatch.policy.", valueName: "NAME"))
    var name: String

    @Option(name: .customLong("option"), help: ArgumentHelp("A policy option, as in dispatch.policy_options (repeatable).",
                                                           valueName: "KEY=VALUE"))
    var options: [String] = []

    @OptionGroup var config: ConfigOptions

    @Option(name: .long, help: ArgumentHelp("The member that runs the swap (any member).", valueName: "ADDRESS"))
    var node: String

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func run() throws {
        let parsed: JSONValue
        switch PolicyOptionArguments.parse(options) {
        case .success(let value):
            parsed = value
        case .failure(let problems):
            throw ValidationError(problems.lines.joined(separator: "\n"))
        }
        struct Request: Encodable {
            var command = "policy-set"
            var name: String
            var options: JSONValue
        }
        let request = String(decoding: try JSONEncoder().encode(Request(name: name, options: parsed)), as: UTF8.self)
        // Two rounds of at most 3 s each, plus loading the plugin.
        let line = try MemberRequest(configPath: config.config, node: node).send(request, timeoutSeconds: 15)
        guard let outcome = try? JSONDecoder().decode(PolicySwapOutcome.self, from: Data(line.utf8)) else {
            let error = (try? JSONDecoder().decode([String: String].self, from: Data(line.utf8)))?["error"]
            printError("sasha policy set: \(error ?? "the member answered something that is not an outcome: \(line)")")
            throw ExitCode.failure
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(outcome), as: UTF8.self))
        } else if outcome.committed {
            print(outcome.summary)
        } else {
            printError(outcome.summary)
        }
        if !outcome.committed { throw ExitCode.failure }
        if !outcome.unconfirmed.isEmpty { throw ExitCode(2) }
    }
}
