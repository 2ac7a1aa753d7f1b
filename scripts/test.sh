#!/usr/bin/env bash
# `make test`: the whole suite, in stages, each printing its time (scripts/stage.sh).
#
# The order is for the wall clock (issue 19: CI under 15 minutes on two cores):
# - One debug build with the tests. The examples' builds and the ring simulator then run in the
#   background (scripts/background.sh, idle priority) while the L4 lab waits on its hosts.
# - The suites that load the cores or the test pool's threads (the cluster under wrk, the chaos
#   lab, the concurrent picks) run alone: the socket tests beside them would starve into false
#   failures (a proxy's 408 after its 10 s header timeout).
# - Last, the fuzz targets and then ThreadSanitizer, each rebuilding only Sasha's own modules
#   instrumented in .build (SASHA_SANITIZE in Package.swift) over the debug build's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
MAKE=${MAKE:-make}
stage=scripts/stage.sh
background=scripts/background.sh
trap '$background stop' EXIT

# The suites that run in stages of their own below.
alone="RingSimulation|SashaPacketTests|SashaCaptureTests|L4LabTests|NetworkChaosTests|PolicyTests.ConcurrencyTests|UnderLoadTests"

$stage layout scripts/check-layout.sh
$stage build "$SWIFT" build --build-tests
# The fuzz targets' seed corpora come from this build's plain fuzz binaries, before the fuzzer
# build replaces them.
$stage fuzz-seeds "$MAKE" --no-print-directory fuzz-seeds
$background start examples "$MAKE" --no-print-directory example-plugin
$background start ring-simulation "$SWIFT" test --skip-build --filter RingSimulation
$stage l4-lab "$SWIFT" test --skip-build --filter L4LabTests
$stage packets "$SWIFT" test --skip-build --filter SashaPacketTests
$stage capture "$SWIFT" test --skip-build --filter SashaCaptureTests
$background wait examples
$stage tests "$SWIFT" test --skip-build --skip "$alone"
$stage policy-concurrency "$SWIFT" test --skip-build --filter PolicyTests.ConcurrencyTests
$stage example-strategy-tests bash -c 'cd examples/custom-strategy && "$0" test --skip-build' "$SWIFT"
$background wait ring-simulation
$stage under-load "$SWIFT" test --skip-build --filter UnderLoadTests
$stage chaos "$SWIFT" test --skip-build --filter NetworkChaosTests
$stage fuzz-smoke "$MAKE" --no-print-directory fuzz-smoke-run
$stage tsan "$MAKE" --no-print-directory tsan
