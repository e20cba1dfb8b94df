#!/usr/bin/env bash
# The exhaustive checker against Stateright on the same model, in one run:
#
#   bash scripts/bench-check.sh [RMS]        (default 8 resource managers: 1,745,408 states)
#
# Builds Stateright 0.31's own `2pc` example from crates.io in a scratch Cargo project (the
# example's source is taken from the downloaded crate, unchanged), builds `caucus` (profile fast),
# runs `2pc check RMS` and `caucus check two-phase --rms RMS`, and prints both unique-state counts,
# wall and CPU times, threads, and the per-thread ratio. Per thread means wall time × threads
# used; the CPU-time ratio is printed beside it. Stateright's checker reports once a second and
# its `check` returns at such a report, so its wall time is rounded up to a whole second (its CPU
# time is not). Nothing is asserted: timings on shared machines
# vary, so this reports (see BENCHMARKS.md), it does not gate.
#
# Environment: CAUCUS_BENCH_DIR (default ~/.cache/caucus-bench) holds the Stateright project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
RMS="${1:-8}"
DIR="${CAUCUS_BENCH_DIR:-$HOME/.cache/caucus-bench}/stateright-2pc"

mkdir -p "$DIR/src"
cat > "$DIR/Cargo.toml" <<'TOML'
[package]
name = "stateright-2pc"
version = "0.1.0"
edition = "2021"
publish = false

# Not part of the Caucus workspace.
[workspace]

[dependencies]
stateright = "=0.31.0"
env_logger = "0.11"
num_cpus = "1"
pico-args = "0.5"

[profile.release]
debug = false
TOML
# The example lives in the crate's source, which `cargo fetch` downloads.
[ -f "$DIR/src/main.rs" ] || echo 'fn main() {}' > "$DIR/src/main.rs"
(cd "$DIR" && cargo fetch -q)
EXAMPLE=$(find "$HOME/.cargo/registry/src" -path '*/stateright-0.31.0/examples/2pc.rs' | head -n 1)
if [ -z "$EXAMPLE" ]; then
  echo "error: stateright 0.31.0's examples/2pc.rs is not in ~/.cargo/registry/src after cargo fetch" >&2
  exit 2
fi
cp "$EXAMPLE" "$DIR/src/main.rs"
echo "building Stateright 0.31's 2pc example ($EXAMPLE) ..."
(cd "$DIR" && CARGO_TARGET_DIR="$DIR/target" cargo build -q --release)
echo "building caucus (profile fast: opt-level 3; release is opt-level z for the browser) ..."
cargo build -q --profile fast -p caucus-cli
CAUCUS="${CARGO_TARGET_DIR:-target}/fast/caucus"
THREADS=$(nproc)

# Runs a command, keeping its output in $1.out and "wall user sys" in $1.time.
timed() {
  local out="$1"; shift
  /usr/bin/time -f '%e %U %S' -o "$out.time" "$@" > "$out.out" 2>&1
}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo
echo "== Stateright 0.31: 2pc check $RMS ($THREADS threads, its default: num_cpus)"
timed "$TMP/sr" "$DIR/target/release/stateright-2pc" check "$RMS"
grep -E '^Done' "$TMP/sr.out" || tail -n 3 "$TMP/sr.out"
echo "== Caucus: caucus check two-phase --rms $RMS (1 thread)"
timed "$TMP/cc" "$CAUCUS" check two-phase --rms "$RMS"
grep -E '^(unique states|time):' "$TMP/cc.out"

read -r SR_WALL SR_USER SR_SYS < "$TMP/sr.time"
read -r CC_WALL CC_USER CC_SYS < "$TMP/cc.time"
SR_UNIQUE=$(grep -oE 'unique=[0-9,]+' "$TMP/sr.out" | tail -n 1 | tr -d 'unique=,')
CC_UNIQUE=$(grep -oE '^unique states: [0-9]+' "$TMP/cc.out" | grep -oE '[0-9]+')
echo
python3 - "$SR_UNIQUE" "$CC_UNIQUE" "$SR_WALL" "$SR_USER" "$SR_SYS" "$CC_WALL" "$CC_USER" "$CC_SYS" "$THREADS" <<'PY'
import sys
sr_u, cc_u = sys.argv[1], sys.argv[2]
sw, su, ss, cw, cu, cs = map(float, sys.argv[3:9])
threads = int(sys.argv[9])
print(f"unique states   Stateright {sr_u:>10}   Caucus {cc_u:>10}   {'equal' if sr_u == cc_u else 'DIFFERENT'}")
print(f"wall time       Stateright {sw:8.2f} s on {threads} threads   Caucus {cw:8.2f} s on 1 thread")
print(f"CPU time        Stateright {su + ss:8.2f} s               Caucus {cu + cs:8.2f} s")
print(f"per thread      Caucus is {sw * threads / cw:.2f}x as fast (wall x threads), {(su + ss) / (cu + cs):.2f}x by CPU time")
PY
