#if SASHA_FUZZ
/// libFuzzer's entry point: `swift build -sanitize=fuzzer -Xswiftc -DSASHA_FUZZ` (see Fuzz/README.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRingPacket(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzInput.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
import FuzzSupport

/// Built without the fuzzer: replays files, or writes the seed corpus (`FuzzSupport.ReplayInputs`).
@main
enum Replay {
    static func main() throws {
        try ReplayInputs.main(target: "sasha-fuzz-ring", run: FuzzInput.run, writeSeeds: SeedCorpus.write(to:))
    }
}
#endif
