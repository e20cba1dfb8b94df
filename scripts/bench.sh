#!/usr/bin/env bash
# The simulator natively and in the browser, on the same workload, in one run:
#
#   bash scripts/bench.sh [EVENTS] [REPEATS]      (default 1,000,000 events, best of 5)
#
# Raft on the built-in `raft` scenario (caucus_protocols::bench), tracing off (Sim::apply) and
# full tracing (Run::apply, what the page runs). Natively: `cargo run --profile bench --example
# bench_raft` (opt-level 3, thin LTO). In the browser: bench/index.html, built by Trunk exactly
# as the election pack is (profile release, its per-package opt-levels, wasm-opt -Oz with the
# pack's flags), loaded in headless Chromium (tests/e2e/bench.mjs). Prints each side's events
# per second and the lines `wasm/native raft untraced: R` and `wasm/native raft traced: R`.
# Nothing is asserted: shared machines vary (see BENCHMARKS.md).
#
# Expects the tools of scripts/install-tools.sh (trunk, wasm-bindgen, wasm-opt, Chromium,
# Playwright). CAUCUS_BENCH_DIST: where the benchmark page is built (default target/bench-dist).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TOOLS="${CAUCUS_TOOLS:-$HOME/.cache/caucus-tools}"
export PATH="$TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CAUCUS_TOOLS="$TOOLS"
export TRUNK_SKIP_VERSION_CHECK=true
EVENTS="${1:-1000000}"
REPEATS="${2:-5}"
DIST="${CAUCUS_BENCH_DIST:-${CARGO_TARGET_DIR:-target}/bench-dist}"

echo "building the native side (profile bench) ..."
cargo build -q --profile bench -p caucus-protocols --example bench_raft
echo "building the browser side (bench/index.html, as the election pack) ..."
trunk build bench/index.html --release --dist "$DIST" --public-url / >"$DIST.log" 2>&1 || { cat "$DIST.log" >&2; exit 1; }

native="$(cargo run -q --profile bench -p caucus-protocols --example bench_raft -- "$EVENTS" "$REPEATS")"
wasm="$(CAUCUS_DIST="$DIST" node tests/e2e/bench.mjs "$EVENTS" "$REPEATS")"
printf '%s\n%s\n' "$native" "$wasm"
rate() { printf '%s\n' "$1" | sed -n "s/^$2 $3: \([0-9]*\) events.*/\1/p"; }
for mode in untraced traced; do
  n="$(rate "$native" native $mode)"
  w="$(rate "$wasm" wasm $mode)"
  awk -v w="$w" -v n="$n" -v m="$mode" 'BEGIN { printf "wasm/native raft %s: %.2f\n", m, w / n }'
done
