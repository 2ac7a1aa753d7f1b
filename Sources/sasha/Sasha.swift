import ArgumentParser

/// `sasha`: the one executable of a Sasha cluster member.
@main
struct Sasha: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sasha",
        abstract: "A cluster web server: Linux hosts in a token-passing ring, one of them dispatching.",
        discussion: """
            Every member runs the same daemon. How the dispatcher moves traffic (strategy) and which \
            server gets a new connection (policy) are plugins chosen in the YAML configuration.

            Examples:
              sasha check --config examples/loopback.yaml
              sasha plugins --config examples/loopback.yaml
              sasha keygen --out /etc/sasha/ring.key
            """,
        version: "0.1.0",
        subcommands: [DemoCommand.self, RunCommand.self, StatusCommand.self, PolicyCommand.self, CheckCommand.self, PluginsCommand.self, KeygenCommand.self]
    )
}
