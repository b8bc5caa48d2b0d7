//! `make bench-placement`: the seed's modulo placement rate next to the raw SHA-1 rate over
//! the same keys, in the same run (issue 10's target: placement ≥ 0.9× SHA-1). The same
//! measurement runs in the browser with `make bench-wasm` (tests/wasm_bench.rs). A last
//! line per placement gives the rate through the per-key cache the simulation routes with.

use std::hint::black_box;
use std::time::Instant;
use tablestore_sim::bench::{
    bench_placements, hash_keys, place_keys, place_keys_cached, placement_keys,
};
use tablestore_sim::placement::{sha1, sha1_mod};

const KEYS: usize = 10_000;
const ROUNDS: u32 = 20;
const REPS: u32 = 15;

/// How the modulo was computed before (a `%` per digest byte), for comparison in the same run.
fn bytewise_placement(keys: &[String], n: u64) -> u64 {
    let mut sum = 0u64;
    for _ in 0..ROUNDS {
        for k in keys {
            let d = sha1(k.as_bytes());
            sum = sum.wrapping_add(d.iter().fold(0u64, |r, &b| ((r << 8) | u64::from(b)) % n));
        }
    }
    sum
}

/// `sha1_mod`: the exact long division in three 64-bit steps (no precomputed divisor).
fn long_division_placement(keys: &[String], n: u64) -> u64 {
    let mut sum = 0u64;
    for _ in 0..ROUNDS {
        for k in keys {
            sum = sum.wrapping_add(sha1_mod(k, n));
        }
    }
    sum
}

fn main() {
    let keys = placement_keys(KEYS);
    let n = (KEYS as f64) * f64::from(ROUNDS);
    let placements = bench_placements();
    let time = |f: &dyn Fn() -> u64| {
        let t = Instant::now();
        black_box(f());
        t.elapsed().as_secs_f64()
    };
    // Interleaved repetitions, best of each: a busy machine disturbs every side alike.
    let mut sha = f64::INFINITY;
    let mut place = vec![f64::INFINITY; placements.len()];
    let (mut bytewise, mut long) = (f64::INFINITY, f64::INFINITY);
    let mut cached = vec![f64::INFINITY; placements.len()];
    for _ in 0..REPS {
        bytewise = bytewise.min(time(&|| bytewise_placement(black_box(&keys), 5)));
        long = long.min(time(&|| long_division_placement(black_box(&keys), 5)));
        sha = sha.min(time(&|| hash_keys(black_box(&keys), ROUNDS)));
        for (best, (_, p)) in place.iter_mut().zip(&placements) {
            *best = best.min(time(&|| place_keys(black_box(p), black_box(&keys), ROUNDS)));
        }
        for (best, (_, p)) in cached.iter_mut().zip(&placements) {
            *best = best.min(time(&|| {
                place_keys_cached(black_box(p), black_box(&keys), ROUNDS)
            }));
        }
    }
    println!(
        "sha1 keys/s: {:.0} ({KEYS} keys × {ROUNDS}, best of {REPS})",
        n / sha
    );
    for (label, t) in [
        ("modulo over 5 by a `%` per byte, as before", bytewise),
        ("modulo over 5 by `sha1_mod`, three 64-bit steps", long),
    ] {
        println!(
            "placement keys/s: {:.0} ({label}; {:.2}× the SHA-1 rate)",
            n / t,
            sha / t
        );
    }
    for ((label, _), t) in placements.iter().zip(place) {
        println!(
            "placement keys/s: {:.0} ({label}; {:.2}× the SHA-1 rate)",
            n / t,
            sha / t
        );
    }
    // What a request pays: the simulation routes through the per-key cache.
    for ((label, _), t) in placements.iter().zip(cached) {
        println!(
            "placement keys/s: {:.0} ({label}, cached per key as the simulation routes; {:.2}× the SHA-1 rate)",
            n / t,
            sha / t
        );
    }
}
