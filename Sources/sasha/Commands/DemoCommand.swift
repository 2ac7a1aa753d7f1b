import ArgumentParser
import Foundation
import SashaCore
import SashaDemo

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a whole cluster on this machine and watch it serve.",
        discussion: """
            Starts every member of the configuration (by default examples/loopback.yaml: five members \
            on 127.0.0.1-127.0.0.5, no root needed) as child processes, waits for their ring, sends \
            steady traffic through the VIP and shows one live screen: the ring with its roles, requests \
            per second on each server, and how many answers came from the dispatcher's cache. While \
            it runs, curl or a browser can use the VIP too. Ctrl-C (or --duration) stops every member. \
            Run it from the repository root after `swift build` (the configuration's paths are relative).

            The demo also acts on its cluster (both by default): at 10 s it kills the dispatcher with \
            kill -9 and shows the takeover and how many requests failed in the gap, and at 16 s starts \
            the member again; then it swaps the policy live (maglev, least-connections, then the \
            configured one, 10 s apart), and the servers' request rates change shape with each.

            Examples:
              sasha demo
              sasha demo --duration 30
              sasha demo --config examples/tcp-proxy.yaml --rate 50
              sasha demo --no-failover --no-swap
            """
    )

    @Option(name: .long, help: ArgumentHelp("The cluster's YAML configuration.", valueName: "FILE"))
    var config = "examples/loopback.yaml"

    @Option(name: .long, help: ArgumentHelp("Stop after this many seconds (default: run until Ctrl-C).", valueName: "SECONDS"))
    var duration: Int?

    @Option(name: .long, help: ArgumentHelp("Requests per second of demo traffic through the VIP.", valueName: "N"))
    var rate = 200

    @Option(name: .long, help: ArgumentHelp("Keep-alive connections the demo traffic uses.", valueName: "N"))
    var connections = 8

    @Flag(inversion: .prefixedNo, help: "Kill the dispatcher with kill -9 at 10 s and show the takeover.")
    var failover = true

    @Flag(inversion: .prefixedNo, help: "Swap the policy live on every member, from 22 s (10 s without the failover).")
    var swap = true

    func validate() throws {
        if let duration, duration < 1 { throw ValidationError("--duration \(duration): give at least 1 second") }
        guard (1...100_000).contains(rate) else { throw ValidationError("--rate \(rate): give 1 to 100000 requests per second") }
        guard (1...1000).contains(connections) else { throw ValidationError("--connections \(connections): give 1 to 1000") }
        guard FileManager.default.fileExists(atPath: config) else {
            throw ValidationError("--config \(config): no such file; run from the repository root or name a configuration")
        }
    }

    func run() throws {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var demo = DemoRunner(configPath: config, executable: executable, duration: duration, rate: rate,
                              connections: connections, interactive: isatty(STDOUT_FILENO) != 0)
        demo.failover = failover
        demo.swap = swap
        let status = demo.run(print: { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }, printError: printError)
        if status != 0 { throw ExitCode(status) }
    }
}
