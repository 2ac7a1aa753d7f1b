import ArgumentParser
import Foundation
import SashaCore

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the plugins found on the search path, and the files refused with why.",
        discussion: """
            Looks in plugins.paths of the configuration, then beside the sasha executable. \
            Shows each plugin's kind, name, plugin ABI version, Swift toolchain and file; a file \
            that was refused is listed with the reason and the fix. Exits 1 if any file was refused.

            Examples:
              sasha plugins --config examples/loopback.yaml
              sasha plugins --config examples/loopback.yaml --json
            """
    )

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let (config, diagnostics) = ConfigLoader.load(path: options.config)
        guard let config else {
            diagnostics.forEach { printError($0.description) }
            throw ExitCode.failure
        }
        let loader = PluginLoader(searchPaths: PluginSearchPath.folders(
            configured: config.plugins.paths, executableDirectory: PluginSearchPath.executableDirectory))
        let rows = loader.loadAll().map(PluginListing.init)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            print(PluginListing.table(rows))
        }
        if rows.contains(where: { $0.refused != nil }) { throw ExitCode.failure }
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
