import ArgumentParser

/// The `--config FILE` every command that reads the configuration takes.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The cluster's YAML configuration.", valueName: "FILE"))
    var config: String
}
