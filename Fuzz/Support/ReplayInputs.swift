import FuzzDriver
import Foundation

/// The `main` of every fuzz target. Built with the fuzzer (`make fuzz`: SASHA_SANITIZE=fuzzer,
/// which defines SASHA_FUZZ) it hands `run` to libFuzzer with the command line. Built without it,
/// it replays inputs given as files (`sasha-fuzz-<target> FILE...`, e.g. a crash file libFuzzer
/// wrote) through `run`, or writes the target's seed corpus (`sasha-fuzz-<target> --seeds DIR`).
public enum ReplayInputs {
    public static func main(target: String, run: @escaping (UnsafeRawBufferPointer) -> Void, writeSeeds: (String) throws -> Void) throws {
        #if SASHA_FUZZ
        Fuzzed.run = run
        exit(sasha_fuzz_driver_run(CommandLine.argc, CommandLine.unsafeArgv, fuzzerTestOneInput))
        #else
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
        #endif
    }
}

#if SASHA_FUZZ
/// The target's input function, for libFuzzer's C callback (which cannot capture it). libFuzzer
/// calls it on the one thread it runs inputs on.
private enum Fuzzed {
    nonisolated(unsafe) static var run: ((UnsafeRawBufferPointer) -> Void)?
}

/// The input function handed to libFuzzer's driver. Under its C name too, because the fuzzer's
/// runtime is linked whole, and its own (unused) `main` refers to that name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzzed.run?(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#endif
