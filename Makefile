# Vigil: build, test, audit the samples, benchmark.
# `make audit` and `make test` work on a fresh Debian 12 machine with the Swift toolchain:
# they install the C libraries Vigil links against (and the IEEE MAC registry) when missing.

SWIFT ?= swift
APT_PACKAGES ?= libpcap-dev libssl-dev zlib1g-dev libzxcvbn-dev libsqlite3-dev sqlite3 ieee-data nwipe
BENCH_PACKAGES ?= tcpdump dsniff time fail2ban
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build audit report-screenshot test test-asan test-tsan fuzz lint format samples fixtures \
	check-generated bench clean

all: build

## deps: install the Debian packages Vigil builds against, if any is missing
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## build: release build of the vigil executable
build: deps
	$(SWIFT) build -c release --product vigil

## audit: build, then audit samples/ (capture, inventory, logs): the text report on the terminal,
## every format in .build/report/ (exit 1 means findings, as expected here)
audit: build
	@.build/release/vigil audit samples/ --output-dir .build/report --quiet; status=$$?; \
	cat .build/report/report.txt; \
	echo "(every format written to .build/report/: report.html report.json report.sarif findings.csv report.md report.txt)"; \
	if [ $$status -eq 1 ]; then echo "(vigil exited 1: the samples hold findings at or above --fail-on high, as they should)"; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

## report-screenshot: render .build/report/report.html with headless Chromium to .build/report/report.png
report-screenshot: audit
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,4000 \
	  --screenshot=.build/report/report.png file://$(CURDIR)/.build/report/report.html
	@echo "wrote .build/report/report.png"

## test: the whole test suite (Swift Testing), including the conformance data in ../shared
test: deps
	$(SWIFT) test --disable-xctest

## test-asan: the whole suite under AddressSanitizer, the vigil it runs too (CI, every submission).
## Leaks are checked, minus the suppressions in .ci/lsan.supp (each says why it is not ours).
test-asan: deps
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(CURDIR)/.ci/lsan.supp:print_suppressions=0 \
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --disable-xctest --sanitize=address --scratch-path .build-asan

## test-tsan: the whole suite under ThreadSanitizer (a separate target: it takes longer)
test-tsan: deps
	TSAN_OPTIONS=halt_on_error=1 SWIFT_BACKTRACE=enable=no \
	$(SWIFT) test --disable-xctest --sanitize=thread --scratch-path .build-tsan

## fuzz: build the libFuzzer targets in Fuzz/ and run each for FUZZ_SECONDS (default 30) after
## replaying its regression inputs; FUZZ_TARGETS picks some (see Fuzz/README.md)
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?=
fuzz: deps
	bash Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

## lint: swift-format in strict mode over Sources, Tests and the fuzz targets
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Fuzz/Sources Fuzz/Package.swift Package.swift

## format: rewrite Sources and Tests in the house style
format:
	$(SWIFT) format --in-place --recursive Sources Tests Fuzz/Sources Fuzz/Package.swift Package.swift

## samples / fixtures: regenerate the committed captures from their scripts (rules/examples too)
samples:
	python3 samples/make-samples.py
fixtures:
	python3 Tests/VigilCaptureTests/Fixtures/make-fixtures.py
	python3 Tests/VigilLogsTests/Fixtures/make-fixtures.py
	python3 rules/examples/make-examples.py

## check-generated: the committed captures are exactly what their scripts make
check-generated: samples fixtures
	git diff --exit-code --stat -- samples Tests/VigilCaptureTests/Fixtures Tests/VigilLogsTests/Fixtures rules/examples

## bench: every benchmark in bench/ (each prints its ratio against a baseline tool last)
bench: build
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
	bash bench/capture.sh
	bash bench/logs.sh
	bash bench/wipe.sh
	bash bench/memory.sh
	bash bench/threads.sh

clean:
	rm -rf .build .build-asan .build-tsan .build-fuzz bench/.data
