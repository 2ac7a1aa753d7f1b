#ifndef SASHA_FUZZ_DRIVER_H
#define SASHA_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer over `callback` with the process's arguments and returns its exit status.
/// Built with SASHA_FUZZ (make fuzz: SASHA_SANITIZE=fuzzer in Package.swift) it is libFuzzer's
/// own driver, LLVMFuzzerRunDriver; otherwise it returns 127 at once. A fuzz target's `main`
/// calls it, because SwiftPM makes every executable target's `main` the process's `main`: with
/// the fuzzer linked by a target's flags rather than by `swift build --sanitize=fuzzer`,
/// libFuzzer's own `main` is not the one that runs.
int sasha_fuzz_driver_run(int argc, char **argv, int (*callback)(const uint8_t *data, size_t size));

#endif
