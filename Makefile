# The two things a newcomer runs; see README.md.
SWIFT ?= swift
STAGE := scripts/stage.sh
EXAMPLE_POLICY := examples/custom-policy
EXAMPLE_STRATEGY := examples/custom-strategy

.PHONY: deps-demo deps-test demo ring-demo test build example-plugin tsan fuzz fuzz-smoke bench bench-l7 clean

## demo: the five-member cluster of examples/loopback.yaml on 127.0.0.1-127.0.0.5 (no root):
## the l7 dispatcher routes and caches, the others serve examples/www; a live screen until Ctrl-C
## (or DURATION seconds: make demo DURATION=20).
demo: deps-demo build
	.build/debug/sasha demo $(if $(DURATION),--duration $(DURATION))

## ring-demo: the ring alone: five members, kill -9 of the dispatcher, the failover.
ring-demo: build example-plugin
	examples/ring-demo.sh
	.build/debug/sasha plugins --config examples/plugins.yaml

## test: the whole test suite (builds the plugins and the example plugins first, then runs the
## concurrency tests again under ThreadSanitizer and the three fuzz targets for 20 seconds each). The
## ring simulator, the packet tests (millions of frames and flows), the policies' concurrent-pick
## test (15 s of both cores), the cluster under wrk (policy swaps, a kill), the capture tests and
## the L4 lab (real hosts built and waited for synchronously: downloads, 10,000 connections,
## failovers, partitions) and the network chaos lab (links down, loss, duplication, an MTU
## drop, an interface gone, all under wrk: about 3.5 minutes; SASHA_CHAOS_LONG=1 runs the long
## schedule) run on their own: they keep the cores
## or the test pool's threads busy, and the socket tests beside them (proxies, web servers,
## timeouts) would starve into false failures (a proxy's 408 after its 10 s header timeout).
## Each stage prints its time ("== stage NAME: N s"; scripts/stage.sh).
test: deps-test
	$(STAGE) layout scripts/check-layout.sh
	$(STAGE) build $(MAKE) build
	$(STAGE) example-plugin $(MAKE) example-plugin
	$(STAGE) tests $(SWIFT) test --skip "RingSimulation|SashaPacketTests|SashaCaptureTests|L4LabTests|NetworkChaosTests|PolicyTests.ConcurrencyTests|UnderLoadTests"
	$(STAGE) policy-concurrency $(SWIFT) test --filter PolicyTests.ConcurrencyTests
	$(STAGE) under-load $(SWIFT) test --filter UnderLoadTests
	$(STAGE) packets $(SWIFT) test --filter SashaPacketTests
	$(STAGE) capture $(SWIFT) test --filter SashaCaptureTests
	$(STAGE) l4-lab $(SWIFT) test --filter L4LabTests
	$(STAGE) chaos $(SWIFT) test --filter NetworkChaosTests
	$(STAGE) ring-simulation $(SWIFT) test --filter RingSimulation
	$(STAGE) example-strategy-tests bash -c 'cd $(EXAMPLE_STRATEGY) && $(SWIFT) test'
	$(STAGE) tsan $(MAKE) tsan
	$(STAGE) fuzz-smoke $(MAKE) fuzz-smoke

## deps-demo, deps-test: the system packages each command needs (scripts/deps.sh): installed with
## apt-get when missing and run as root; otherwise one line says what to install.
deps-demo:
	scripts/deps.sh demo

deps-test:
	scripts/deps.sh test

build:
	$(SWIFT) build

example-plugin:
	cd $(EXAMPLE_POLICY) && $(SWIFT) build
	cd $(EXAMPLE_STRATEGY) && $(SWIFT) build

tsan:
	$(SWIFT) build --scratch-path .build-tsan --sanitize=thread
	$(SWIFT) test --scratch-path .build-tsan --sanitize=thread -Xlinker --export-dynamic --filter oncurren

## fuzz: one libFuzzer target (Fuzz/README.md): FUZZ_TARGET=ring (the ring's packet decoder and
## packet input, the default), FUZZ_TARGET=http (the l7 strategy's HTTP wire) or FUZZ_TARGET=packet
## (the L4 strategies' frame views: classify, TCP and ICMP-error rewrites). Swift's backtracer
## is off for the run: with it, a crash ends the process before libFuzzer writes crash-<hash>.
FUZZ_SECONDS ?= 600
FUZZ_CONFIG ?= release
FUZZ_TARGET ?= ring
fuzz:
	$(SWIFT) build --scratch-path .build-fuzz -c $(FUZZ_CONFIG) --sanitize=fuzzer -Xswiftc -DSASHA_FUZZ --product sasha-fuzz-$(FUZZ_TARGET)
	$(SWIFT) build --product sasha-fuzz-$(FUZZ_TARGET)
	rm -rf .build-fuzz/corpus-$(FUZZ_TARGET) && .build/debug/sasha-fuzz-$(FUZZ_TARGET) --seeds .build-fuzz/corpus-$(FUZZ_TARGET)
	SWIFT_BACKTRACE=enable=no .build-fuzz/$(FUZZ_CONFIG)/sasha-fuzz-$(FUZZ_TARGET) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 .build-fuzz/corpus-$(FUZZ_TARGET)

## fuzz-smoke: the three targets, 20 seconds each from a debug build (it builds faster; CI runs this).
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=20 FUZZ_CONFIG=debug FUZZ_TARGET=ring
	$(MAKE) fuzz FUZZ_SECONDS=20 FUZZ_CONFIG=debug FUZZ_TARGET=http
	$(MAKE) fuzz FUZZ_SECONDS=20 FUZZ_CONFIG=debug FUZZ_TARGET=packet

## bench: nanoseconds per pick through the real plugin boundary (release build).
bench:
	$(SWIFT) build -c release
	.build/release/sasha-bench-pick

## bench-l7: Sasha l7 against HAProxy, nginx and direct (needs wrk haproxy nginx-light).
bench-l7:
	$(SWIFT) build -c release
	python3 Benchmarks/L7/l7_bench.py --rounds 3

clean:
	rm -rf .build .build-tsan .build-fuzz $(EXAMPLE_POLICY)/.build $(EXAMPLE_STRATEGY)/.build
