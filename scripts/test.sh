#!/usr/bin/env bash
# `make test`: the whole suite, in stages, each printing its time (scripts/stage.sh).
#
# The order is for the wall clock (issue 19: CI under 15 minutes on two cores):
# - One debug build with the tests.
# - The examples' builds, the ring simulator (deterministic, on virtual time) and the fuzz smoke
#   run in the background at idle priority (scripts/background.sh), on the cycles the labs leave:
#   those spend most of their time waiting on real hosts, rings and timeouts.
# - Every suite in the foreground runs alone. The L4 lab and the chaos lab ran side by side for a
#   while: the SYN flood's capture and the l4-3 spread missed their figures under the other's load.
#   The suites that load the cores or the test pool's threads (the cluster under wrk, the
#   concurrent picks) would starve the socket tests into false failures (a proxy's 408 after its
#   10 s header timeout).
# - Last, ThreadSanitizer. It and the fuzzer build rebuild only Sasha's own modules instrumented
#   in .build (SASHA_SANITIZE in Package.swift), over the debug build's dependencies.
#
# Suites run from the test binary itself rather than through `swift test`: SwiftPM holds .build's
# lock for as long as its tests run, so two `swift test` at once would only take turns.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
MAKE=${MAKE:-make}
stage=scripts/stage.sh
background=scripts/background.sh
trap '$background stop' EXIT

$stage layout scripts/check-layout.sh
$stage build "$SWIFT" build --build-tests
tests=("$("$SWIFT" build --show-bin-path)/sashaPackageTests.xctest" --testing-library swift-testing)
# The fuzz targets' seed corpora come from this build's plain fuzz binaries, before the fuzzer
# build replaces them.
$stage fuzz-seeds "$MAKE" --no-print-directory fuzz-seeds

$background start examples "$MAKE" --no-print-directory example-plugin
$background start ring-simulation "${tests[@]}" --filter RingSimulation
$stage l4-lab "${tests[@]}" --filter L4LabTests
# The fuzzer build and runs rebuild only the fuzz targets and their modules in .build: nothing the
# suites run or load (sasha, the plugins, the test binary) is relinked.
$background start fuzz-smoke "$MAKE" --no-print-directory fuzz-smoke-run
$stage chaos "${tests[@]}" --filter NetworkChaosTests
$stage packets "${tests[@]}" --filter SashaPacketTests
$stage capture "${tests[@]}" --filter SashaCaptureTests
$stage policy-concurrency "${tests[@]}" --filter PolicyTests.ConcurrencyTests
$background wait examples
alone="RingSimulation|SashaPacketTests|SashaCaptureTests|L4LabTests|NetworkChaosTests|PolicyTests.ConcurrencyTests|UnderLoadTests"
$stage tests "${tests[@]}" --skip "$alone"
$stage example-strategy-tests bash -c 'cd examples/custom-strategy && "$0" test --skip-build' "$SWIFT"
# The cluster under wrk runs with nothing beside it, not even at idle priority: at the fast ring
# timing (150 ms token timeout) a stall is a false purge.
$background wait ring-simulation
$background wait fuzz-smoke
$stage under-load "${tests[@]}" --filter UnderLoadTests

# Last: it relinks the plugins and the test binary instrumented.
$stage tsan "$MAKE" --no-print-directory tsan
