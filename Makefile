# The two things a newcomer runs; see README.md.
SWIFT ?= swift
STAGE := scripts/stage.sh
EXAMPLE_POLICY := examples/custom-policy
EXAMPLE_STRATEGY := examples/custom-strategy

.PHONY: deps-demo deps-test demo ring-demo test build example-plugin tsan fuzz fuzz-seeds fuzz-smoke fuzz-smoke-run bench bench-l7 clean

## demo: the five-member cluster of examples/loopback.yaml on 127.0.0.1-127.0.0.5 (no root):
## the l7 dispatcher routes and caches, the others serve examples/www; a live screen until Ctrl-C
## (or DURATION seconds: make demo DURATION=20).
demo: deps-demo build
	.build/debug/sasha demo $(if $(DURATION),--duration $(DURATION))

## ring-demo: the ring alone: five members, kill -9 of the dispatcher, the failover.
ring-demo: build example-plugin
	examples/ring-demo.sh
	.build/debug/sasha plugins --config examples/plugins.yaml

## test: the whole test suite (scripts/test.sh): one debug build, the plugins and the example
## plugins, every suite, the three fuzz targets (a set number of inputs each), and the concurrency tests again
## under ThreadSanitizer. The ring simulator, the packet tests (millions of frames and flows), the
## policies' concurrent-pick test, the cluster under wrk (policy swaps, a kill), the capture tests,
## the L4 lab (real hosts in network namespaces: downloads, 10,000 connections, failovers,
## partitions, a SYN flood) and the network chaos lab (links down, loss, duplication, an MTU drop,
## an interface gone, all under wrk; SASHA_CHAOS_LONG=1 runs the long schedule) run in stages of
## their own; the examples' builds, the ring simulator and the fuzz smoke run at idle priority
## beside the labs. Each stage prints its time ("== stage NAME: N s"; scripts/stage.sh).
test: deps-test
	MAKE="$(MAKE)" SWIFT="$(SWIFT)" scripts/test.sh

## deps-demo, deps-test: the system packages each command needs (scripts/deps.sh): installed with
## apt-get when missing and run as root; otherwise one line says what to install.
deps-demo:
	scripts/deps.sh demo

deps-test:
	scripts/deps.sh test

build:
	$(SWIFT) build

## example-plugin: the two stand-alone plugin packages in examples/, as their users build them
## (each with its own copy of its dependencies), and the custom strategy's tests.
example-plugin:
	cd $(EXAMPLE_POLICY) && $(SWIFT) build
	cd $(EXAMPLE_STRATEGY) && $(SWIFT) build --build-tests

## tsan: the concurrency tests (every test whose name has "oncurren") under ThreadSanitizer. Built
## in .build with SASHA_SANITIZE=thread (Package.swift): only Sasha's own modules are rebuilt
## instrumented, over the debug build's dependencies; the next plain build rebuilds them again.
## A report fails the run (halt_on_error).
tsan:
	SASHA_SANITIZE=thread $(SWIFT) build --build-tests
	SASHA_SANITIZE=thread TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --skip-build --filter oncurren

## fuzz: one libFuzzer target (Fuzz/README.md): FUZZ_TARGET=ring (the ring's packet decoder and
## packet input, the default), FUZZ_TARGET=http (the l7 strategy's HTTP wire) or FUZZ_TARGET=packet
## (the L4 strategies' frame views: classify, TCP and ICMP-error rewrites). Its seed corpus is
## written by the plain debug build; the fuzzer build (SASHA_SANITIZE=fuzzer: Sasha's modules
## instrumented, the dependencies not) goes to FUZZ_SCRATCH. Swift's backtracer is off for the
## run: with it, a crash ends the process before libFuzzer writes crash-<hash>.
FUZZ_SECONDS ?= 600
FUZZ_CONFIG ?= release
FUZZ_TARGET ?= ring
FUZZ_SCRATCH ?= .build-fuzz
FUZZ_TARGETS := ring http packet
fuzz: fuzz-seeds-$(FUZZ_TARGET) fuzz-build-$(FUZZ_TARGET) fuzz-run-$(FUZZ_TARGET)

fuzz-seeds-%:
	$(SWIFT) build --product sasha-fuzz-$*
	rm -rf $(FUZZ_SCRATCH)/corpus-$* && mkdir -p $(FUZZ_SCRATCH) && .build/debug/sasha-fuzz-$* --seeds $(FUZZ_SCRATCH)/corpus-$*

fuzz-build-%:
	SASHA_SANITIZE=fuzzer $(SWIFT) build --scratch-path $(FUZZ_SCRATCH) -c $(FUZZ_CONFIG) --product sasha-fuzz-$*

fuzz-run-%:
	SWIFT_BACKTRACE=enable=no $(FUZZ_SCRATCH)/$(FUZZ_CONFIG)/sasha-fuzz-$* -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		$(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS_$*)) -print_final_stats=1 $(FUZZ_SCRATCH)/corpus-$*

## fuzz-smoke: the three targets at once, from a debug fuzzer build in .build itself (only Sasha's
## modules are rebuilt): what make test runs. A set number of inputs each, about 20 seconds of a
## core on this machine, so that the smoke does the same work however busy the machine is (make
## test runs it beside other stages, at idle priority); 600 seconds at most. fuzz-seeds writes the
## corpora from the plain build first (make test does it before the other stages replace that build).
FUZZ_RUNS_ring := 100000
FUZZ_RUNS_http := 120000
FUZZ_RUNS_packet := 3000000
FUZZ_SMOKE := FUZZ_SCRATCH=.build FUZZ_CONFIG=debug FUZZ_SECONDS=600 FUZZ_RUNS=1
fuzz-smoke: fuzz-seeds fuzz-smoke-run

fuzz-seeds:
	$(MAKE) --no-print-directory $(FUZZ_SMOKE) $(addprefix fuzz-seeds-,$(FUZZ_TARGETS))

fuzz-smoke-run:
	$(MAKE) --no-print-directory $(FUZZ_SMOKE) $(addprefix fuzz-build-,$(FUZZ_TARGETS))
	$(MAKE) --no-print-directory $(FUZZ_SMOKE) -j3 --output-sync=target $(addprefix fuzz-run-,$(FUZZ_TARGETS))

## bench: nanoseconds per pick through the real plugin boundary (release build).
bench:
	$(SWIFT) build -c release
	.build/release/sasha-bench-pick

## bench-l7: Sasha l7 against HAProxy, nginx and direct (needs wrk haproxy nginx-light).
bench-l7:
	$(SWIFT) build -c release
	python3 Benchmarks/L7/l7_bench.py --rounds 3

clean:
	rm -rf .build .build-fuzz $(EXAMPLE_POLICY)/.build $(EXAMPLE_STRATEGY)/.build
