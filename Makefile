# The two things a newcomer runs; see README.md.
SWIFT ?= swift
EXAMPLE_POLICY := examples/custom-policy

.PHONY: demo test build example-plugin tsan bench clean

## demo: build Sasha and its plugins, then show what this machine can load and check the example cluster.
demo: build example-plugin
	.build/debug/sasha plugins --config examples/plugins.yaml

## test: the whole test suite (builds the plugins and the example plugin first, then runs the
## concurrency tests again under ThreadSanitizer).
test: build example-plugin
	$(SWIFT) test
	$(MAKE) tsan

build:
	$(SWIFT) build

example-plugin:
	cd $(EXAMPLE_POLICY) && $(SWIFT) build

tsan:
	$(SWIFT) build --scratch-path .build-tsan --sanitize=thread
	$(SWIFT) test --scratch-path .build-tsan --sanitize=thread -Xlinker --export-dynamic --filter oncurren

## bench: nanoseconds per pick through the real plugin boundary (release build).
bench:
	$(SWIFT) build -c release
	.build/release/sasha-bench-pick

clean:
	rm -rf .build .build-tsan $(EXAMPLE_POLICY)/.build
