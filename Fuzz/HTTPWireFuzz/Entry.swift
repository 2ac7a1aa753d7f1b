import FuzzSupport

/// Built with the fuzzer (`make fuzz FUZZ_TARGET=http`) libFuzzer runs `FuzzInput.run`; built
/// without it, the target replays files or writes its seed corpus (`FuzzSupport.ReplayInputs`).
@main
enum Entry {
    static func main() throws {
        try ReplayInputs.main(target: "sasha-fuzz-http", run: FuzzInput.run, writeSeeds: SeedCorpus.write(to:))
    }
}
