# Table Store playground — build, serve and test.
#
#   make serve              build (release) and serve on http://127.0.0.1:8080, rebuilding on change
#   make serve PORT=9000    ... on another port
#   make test               native tests + 10 000-schedule sweep, browser (wasm) tests, release build, end-to-end test
#   make sweep              the fault-schedule sweep alone (SWEEP_COUNT=10000, SWEEP_FROM=1, SWEEP_FLAGS="--admin"; make test runs it with --admin;
#                           seeds beyond CI's, e.g. SWEEP_FROM=10001 SWEEP_COUNT=60000, found checker errors CI's did not)
#   make size               release wasm: raw, gzip, brotli sizes and the 15 largest items (twiggy, and by gzip: scripts/size_gzip.py)
#   make bench              simulation benchmark (sim/benches/sim.rs), natively
#   make bench-compare      make bench of 79baf50 (BENCH_OLD=) and of this tree, side by side, and the ratio
#   make bench-misses       the same two under cachegrind: instructions and cache misses per simulated second
#   make bench-seek         timeline seek times and checkpoint memory, 30-minute 16-DC run (sim/benches/seek.rs)
#   make seek-page          the same run's seeks timed in the built page, headless Chromium (e2e/seek.mjs)
#   make bench-placement    placement rate vs raw SHA-1 rate (sim/benches/placement.rs), natively
#   make explore-bench      the exhaustive explorer: states/s over the real nodes and TwoPhase (sim/benches/explore.rs)
#   make bench-wasm         both benchmarks in headless Chromium (tests/wasm_bench.rs)
#   make bench-wasm-compare the core benchmark in Chromium, 79baf50's build (BENCH_OLD=) and this tree's, warm rounds, side by side
#   make frametime          frame time of the built page with 16 DCs (e2e/frametime.mjs)
#   make mem-hour           one simulated hour, 16 DCs, 2 000 ops/s: collection sizes every 5 min and peak RSS
#   make mem-soak           the soak's world (?dcs=16&keys=10000&rate=500) natively for 200 simulated min
#   make soak-bytes         the same world's bytes part by part and its checkpoints' (counting allocator) at 1 200 / 6 000 s
#   make soak               the built page, 16 DCs, 10 000 keys, 500 ops/s at full speed for 10 min (SOAK_SECS=120: shorter)
#   make dist               release build into dist/ (relative paths: publish the folder anywhere)
#   make single             dist/ as one self-contained file: dist-single/tablestore.html
#   make e2e                release build, then the end-to-end stories only (E2E_STORY=kill: one)
#   make clean              remove build outputs
#
# Every target first runs scripts/tools.sh for the tools it needs (idempotent; installs
# only from the package registries: rustup target, apt chromium, cargo install, npm ci).

PORT ?= 8080
# Flags for `trunk serve`; `make serve SERVE_FLAGS=` gives a faster-compiling debug build.
SERVE_FLAGS ?= --release

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
# wasm-opt 132 (npm binaryen) and the cargo-installed wasm-bindgen / trunk come first.
export PATH := $(CURDIR)/e2e/node_modules/.bin:$(CARGO_BIN):$(PATH)

TOOLS := scripts/tools.sh
# Trunk.toml sets offline = true, so trunk never downloads a tool; this also skips its
# "newer version available" check.
TRUNK := trunk --skip-version-check

# Native tests run with `--release` (the core is simulation-heavy), but: panic=unwind (the
# test harness needs it; with the release profile's panic=abort cargo builds the cdylib
# twice and warns of an output filename collision), no fat LTO / single codegen unit (every
# test binary would link slowly), and debug assertions + overflow checks on, so the tests
# still catch arithmetic bugs.
NATIVE_TEST_ENV := \
	CARGO_PROFILE_RELEASE_PANIC=unwind \
	CARGO_PROFILE_RELEASE_LTO=false \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
	CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true \
	CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true

# Browser tests (tests/web.rs) through wasm-bindgen-test-runner 0.2.130 + Debian's
# chromedriver. The runner itself adds `headless`, `no-sandbox` and `disable-dev-shm-usage`
# to goog:chromeOptions; webdriver.json adds the Chromium binary and the remaining flags.
# WASM_BINDGEN_USE_BROWSER only matters if web.rs forgets
# `wasm_bindgen_test_configure!(run_in_browser)` (the default would be node).
WEB_TEST_ENV := \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	CHROMEDRIVER=/usr/bin/chromedriver \
	WASM_BINDGEN_TEST_WEBDRIVER_JSON=$(CURDIR)/webdriver.json \
	WASM_BINDGEN_USE_BROWSER=1 \
	WASM_BINDGEN_TEST_TIMEOUT=300 \
	WASM_BINDGEN_TEST_DRIVER_TIMEOUT=30

# The sweep is the 10 000 fault schedules with membership and settings changes (`--admin`:
# AddDc, RemoveDc, placement and R switches, latency, up to 50 % loss, jitter), run by the
# headless runner so its summary line
# (`fault schedules: N checked, V violations`) shows in the output (cargo test captures a
# passing test's output); it exits non-zero on any violation. The core's own
# fault-schedule test then runs fewer (FAULT_SCHEDULES) rather than the same 10 000 again.
# Same NATIVE_TEST_ENV as the tests, so the core is built once for both.
SWEEP_COUNT ?= 10000
TEST_FAULT_SCHEDULES ?= 1000

define native_tests
	@echo "==> native tests: cargo test --release -p tablestore-sim -p tablestore-sim-cli"
	$(NATIVE_TEST_ENV) FAULT_SCHEDULES=$(TEST_FAULT_SCHEDULES) cargo test --release -p tablestore-sim -p tablestore-sim-cli
	@echo "==> fault-schedule sweep: tablestore-sim sweep --from 1 --count $(SWEEP_COUNT) --admin"
	$(NATIVE_TEST_ENV) cargo run --quiet --release -p tablestore-sim-cli -- sweep --from 1 --count $(SWEEP_COUNT) --admin
endef

define web_tests
	@echo "==> browser tests: cargo test --target wasm32-unknown-unknown --test web --test web_views"
	$(WEB_TEST_ENV) cargo test --target wasm32-unknown-unknown --test web --test web_views
endef

# `--public-url ./`: every reference in dist/ is relative, so the folder works at any
# path (/, /any/sub/path/, a project-pages prefix) on any static host. (`trunk serve`
# keeps the default "/": it cannot serve a relative public URL.)
define release_build
	@echo "==> release build: trunk build --release --public-url ./ (into dist/), one-file page (dist-single/)"
	cargo fetch --quiet
	$(TRUNK) build --release --public-url ./
	node scripts/single.mjs dist dist-single/tablestore.html
endef

# End-to-end stories: @playwright/test with e2e/playwright.config.mjs (system Chromium; it
# serves dist/ itself). Its last line is `N passed, N failed`; reports go to target/.
E2E_STORY ?=
define e2e_tests
	@echo "==> end-to-end: playwright test (e2e/playwright.config.mjs)"
	cd e2e && E2E_STORY='$(E2E_STORY)' $(if $(E2E_DIST),E2E_DIST='$(abspath $(E2E_DIST))') \
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ./node_modules/.bin/playwright test
endef

.PHONY: help tools serve test test-native test-web sweep dist single e2e size bench bench-compare bench-misses bench-placement bench-seek seek-page explore-bench bench-wasm bench-wasm-compare frametime mem-hour mem-soak soak-bytes soak clean

help:
	@sed -n '3,24p' Makefile | sed 's/^# \{0,1\}//'

tools:
	$(TOOLS) test

serve:
	$(TOOLS) serve
	cargo fetch --quiet
	$(TRUNK) serve $(SERVE_FLAGS) --address 127.0.0.1 --port $(PORT)

test:
	$(TOOLS) test
	$(native_tests)
	$(web_tests)
	$(release_build)
	$(e2e_tests)

test-native:
	$(native_tests)

SWEEP_FLAGS ?=
SWEEP_FROM ?= 1
sweep:
	$(NATIVE_TEST_ENV) cargo run --quiet --release -p tablestore-sim-cli -- sweep --from $(SWEEP_FROM) --count $(SWEEP_COUNT) $(SWEEP_FLAGS)

test-web:
	$(TOOLS) web
	$(web_tests)

dist:
	$(TOOLS) dist
	$(release_build)

# One file that runs from disk (file://), no server: styles, JS glue and wasm inlined
# (the release build writes it next to dist/; scripts/single.mjs).
single: dist

e2e:
	$(TOOLS) dist e2e
	$(release_build)
	$(e2e_tests)

bench:
	cargo bench -p tablestore-sim --bench sim

# The same benchmark built at an old commit (default 79baf50, issue 10's baseline) and at
# this tree, run alternately in one invocation; prints both lines and the ratio.
BENCH_OLD ?= 79baf50
bench-compare:
	scripts/bench-compare.sh $(BENCH_OLD) 3

# The same two builds under cachegrind: instructions and simulated cache misses per simulated
# second, counts that do not depend on the machine's load (a few minutes).
bench-misses:
	BENCH_MEASURE=cachegrind scripts/bench-compare.sh $(BENCH_OLD)

# The page's wasm: raw, gzip and brotli sizes and the 15 largest items (issue 8's measure).
size:
	$(TOOLS) size
	$(release_build)
	scripts/size.sh

# The exhaustive explorer: states/s over the real nodes next to TwoPhase (its calibration).
explore-bench:
	cargo bench -p tablestore-sim --bench explore

# Seek times (median, worst) and checkpoint memory of a 30-minute 16-DC run (issue 11).
bench-seek:
	cargo bench -p tablestore-sim --bench seek

# The same run opened in the built page from a share link; seeks timed there, render included.
seek-page:
	$(TOOLS) dist e2e
	$(release_build)
	cargo run --quiet --release -p tablestore-sim --example seek_link > target/seek_link.json
	node e2e/seek.mjs target/seek_link.json

# The seed's modulo placement rate next to the raw SHA-1 rate, same keys, same run.
bench-placement:
	cargo bench -p tablestore-sim --bench placement

# The same workload in headless Chromium, the core built as for the page (profile `web`).
bench-wasm:
	$(TOOLS) web
	$(WEB_TEST_ENV) cargo test --profile web --target wasm32-unknown-unknown --test wasm_bench -- --nocapture

# 79baf50's core and this tree's in headless Chromium, each built as its page was.
bench-wasm-compare:
	$(TOOLS) web
	scripts/bench-wasm-compare.sh $(BENCH_OLD) 3

# Frame time of the built page running 16 DCs with a busy workload (a measurement).
frametime:
	$(TOOLS) dist e2e
	$(release_build)
	node e2e/frametime.mjs

# Bounded memory, natively (sim/examples/memory.rs; a measurement: target < 200 MB peak).
MEM_ARGS ?= 60 16 2000 5
mem-hour:
	cargo run --quiet --release -p tablestore-sim --example memory -- $(MEM_ARGS)

# The soak's world natively, for the ~200 simulated minutes its 10 wall minutes reach.
mem-soak:
	cargo run --quiet --release -p tablestore-sim --example memory -- 200 '?dcs=16&keys=10000&rate=500' 10

# Where the soak world's bytes go (a counting allocator, sim/examples/soak_bytes.rs): the
# live run part by part and its checkpoints, at 1 200 and 6 000 simulated s (minutes 2
# and 10 of `make soak` at ~10×).
soak-bytes:
	cargo run --quiet --release -p tablestore-sim --example soak_bytes -- 1200,6000

# Bounded memory in the browser: renderer memory, JS heap, speed reached and frame time
# every 30 s (e2e/soak.mjs; a measurement).
soak:
	$(TOOLS) dist e2e
	$(release_build)
	node e2e/soak.mjs

clean:
	cargo clean
	rm -rf dist dist-single
