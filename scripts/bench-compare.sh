#!/usr/bin/env bash
# `make bench-compare`: the simulation benchmark (`make bench`) of an old commit and of the
# working tree, built alike and run side by side in one invocation, so a loaded machine
# slows both the same way. Prints each run's line and the ratio of the best × real time.
#
#   scripts/bench-compare.sh [OLD_COMMIT] [RUNS]      (defaults: 79baf50, 3)
#
# The old tree is exported with `git archive` into target/bench-<commit>/ (no worktree is
# registered) and built there with its own Cargo.lock and target dir. Before the workspace
# split (79baf50 and older) the bench is the root crate's `benches/sim.rs`; after it,
# `sim/benches/sim.rs` in package tablestore-sim. Both run the same scenario (16 DCs, ring,
# 2000 ops/s, async+sync tables, a fault every 5 s, 60 simulated seconds); the protocol
# differs between commits, so the event counts differ too — compare × real time.
# Runs alternate old/new; the best of RUNS each is compared (noise only ever slows a run).
set -euo pipefail

old=${1:-79baf50}
runs=${2:-3}
root=$(git rev-parse --show-toplevel)
cd "$root"
sha=$(git rev-parse --short=7 "$old^{commit}")
dir="$root/target/bench-$sha"

# The bench profile as `make bench` builds it: never the test environment's overrides.
unset CARGO_PROFILE_RELEASE_PANIC CARGO_PROFILE_RELEASE_LTO CARGO_PROFILE_RELEASE_CODEGEN_UNITS \
    CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS CARGO_TARGET_DIR

if [ ! -f "$dir/Cargo.toml" ]; then
    mkdir -p "$dir"
    git archive "$sha" | tar -x -C "$dir"
fi
# A tree with no workspace of its own would be taken for a member of this one.
grep -q '^\[workspace\]' "$dir/Cargo.toml" || printf '\n[workspace]\n' >>"$dir/Cargo.toml"

# Builds the bench in $1 (cargo args after it); prints the executable's path.
build() {
    local at=$1
    shift
    (cd "$at" && cargo bench "$@" --no-run 2>&1) |
        tee -a /dev/stderr | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1
}

if [ -f "$dir/sim/benches/sim.rs" ]; then
    old_bin=$(build "$dir" -p tablestore-sim --bench sim)
else
    old_bin=$(build "$dir" --bench sim)
fi
new_bin=$(build "$root" -p tablestore-sim --bench sim)
old_bin=$(cd "$dir" && realpath "$old_bin")
new_bin=$(realpath "$new_bin")

# BENCH_MEASURE=cachegrind (`make bench-misses`): instead of timing, run each bench once, the
# whole 60 s, under valgrind's cachegrind, and print per simulated second the instructions and
# the simulated L1 instruction and data cache misses. These counts do not depend on the
# machine's load; on this code the time follows the misses more than the instructions (see
# docs/ARCHITECTURE.md, "Where the core's time goes").
if [ "${BENCH_MEASURE:-time}" = cachegrind ]; then
    # Prints "Ir I1mr D1mr" of one run: cachegrind's totals line, with the summary's fields.
    misses() {
        local out
        out=$(mktemp)
        valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file="$out" "$1" >/dev/null 2>&1
        # The summary line's order: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw.
        sed -n 's/^summary: *//p' "$out" | awk '{ print $1, $2, $5 + $8 }'
        rm -f "$out"
    }
    read -r oi oim odm < <(misses "$old_bin")
    read -r ni nim ndm < <(misses "$new_bin")
    awk -v s="$sha" -v oi="$oi" -v oim="$oim" -v odm="$odm" -v ni="$ni" -v nim="$nim" -v ndm="$ndm" 'BEGIN {
        t = 60
        printf "per simulated second (60 s bench, cachegrind):\n"
        printf "  %-8s %10s %10s %10s %10s\n", "", "M instr", "M I1 miss", "M D1 miss", "M misses"
        printf "  %-8s %10.1f %10.2f %10.2f %10.2f\n", s, oi / t / 1e6, oim / t / 1e6, odm / t / 1e6, (oim + odm) / t / 1e6
        printf "  %-8s %10.1f %10.2f %10.2f %10.2f\n", "now", ni / t / 1e6, nim / t / 1e6, ndm / t / 1e6, (nim + ndm) / t / 1e6
        printf "  %-8s %9.2fx %9.2fx %9.2fx %9.2fx\n", "fewer", oi / ni, oim / nim, odm / ndm, (oim + odm) / (nim + ndm)
    }'
    exit 0
fi

# × real time of a bench line.
speed() { sed -n 's/.* \([0-9.]*\)× real time.*/\1/p' <<<"$1"; }

best_old=0
best_new=0
for i in $(seq 1 "$runs"); do
    o=$("$old_bin" | sed -n 1p)
    n=$("$new_bin" | sed -n 1p)
    echo "run $i old $sha: $o"
    echo "run $i new HEAD$(git diff --quiet HEAD -- sim || echo '+changes'): $n"
    best_old=$(awk -v a="$best_old" -v b="$(speed "$o")" 'BEGIN { print (b > a ? b : a) }')
    best_new=$(awk -v a="$best_new" -v b="$(speed "$n")" 'BEGIN { print (b > a ? b : a) }')
done
awk -v o="$best_old" -v n="$best_new" -v s="$sha" -v r="$runs" \
    'BEGIN { printf "best of %d: %s %.1f× real time, now %.1f× real time: %.2f× faster\n", r, s, o, n, n / o }'
