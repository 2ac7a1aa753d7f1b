import Foundation

/// The `main` of a fuzz target built without the fuzzer: it replays inputs given as files
/// (`sasha-fuzz-<target> FILE...`, e.g. a crash file libFuzzer wrote) through `run`, or writes the
/// target's seed corpus (`sasha-fuzz-<target> --seeds DIR`). Built with the fuzzer
/// (`-DSASHA_FUZZ`), a target has no `main`: libFuzzer calls its `LLVMFuzzerTestOneInput`.
public enum ReplayInputs {
    public static func main(target: String, run: (UnsafeRawBufferPointer) -> Void, writeSeeds: (String) throws -> Void) throws {
        var arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "--seeds", let folder = arguments.dropFirst().first {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try writeSeeds(folder)
            return
        }
        guard !arguments.isEmpty else {
            print("usage: \(target) FILE...   |   \(target) --seeds DIR")
            exit(2)
        }
        while let path = arguments.popFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { run($0) }
            print("ok: \(path)")
        }
    }
}
