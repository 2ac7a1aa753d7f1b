import Foundation

#if SASHA_FUZZ
/// libFuzzer's entry point: `swift build -sanitize=fuzzer -Xswiftc -DSASHA_FUZZ` (see Fuzz/README.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzInput.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
/// Built without the fuzzer, the target replays inputs (`sasha-fuzz-http FILE...`, e.g. a crash
/// file libFuzzer wrote) or writes a seed corpus of messages (`sasha-fuzz-http --seeds DIR`).
@main
enum ReplayInputs {
    static func main() throws {
        var arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "--seeds", let folder = arguments.dropFirst().first {
            try SeedCorpus.write(to: folder)
            return
        }
        guard !arguments.isEmpty else {
            print("usage: sasha-fuzz-http FILE...   |   sasha-fuzz-http --seeds DIR")
            exit(2)
        }
        while let path = arguments.popFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { FuzzInput.run($0) }
            print("ok: \(path)")
        }
    }
}
#endif
