//! `make bench-wasm`: the core's speed in the browser, on the same workloads as the native
//! `make bench`, `make bench-placement` and `make bench-seek` (`tablestore_sim::bench`). A
//! measurement, not a test: it asserts nothing about time and is not part of `make test`.
//! It prints a `wasm sim events/s` line per round with the trace hash, which must equal the native
//! bench's, the placement rates, and the timeline's seek times.
#![cfg(target_arch = "wasm32")]

use tablestore_playground::sim::bench::{bench_config, run_bench, BENCH_LABEL, BENCH_SECS};
use tablestore_playground::sim::Sim;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Rounds of the core benchmark in one page. The first runs partly in V8's baseline code
/// (functions tier up to optimised code while it runs: ~20–35 % slower); the page runs for
/// minutes, so the best warm round is the number to compare (`scripts/bench-wasm-compare.sh`).
/// More rounds would block the page past chromedriver's 30 s renderer timeout when loaded.
const CORE_ROUNDS: usize = 3;

#[wasm_bindgen_test]
fn bench_the_core_in_the_browser() {
    let mut best = 0.0f64;
    for round in 0..CORE_ROUNDS {
        let mut sim = Sim::new(bench_config()).expect("valid config");
        let start = now_ms();
        run_bench(&mut sim, BENCH_SECS);
        let wall = (now_ms() - start) / 1000.0;
        let events = sim.steps();
        let speed = BENCH_SECS as f64 / wall;
        if round > 0 {
            best = best.max(speed);
        }
        console_log!(
            "wasm sim events/s: {:.0} (round {round}; {BENCH_LABEL}; {} events over {} s simulated in {:.2} s wall, {:.1}× real time; trace {:016x})",
            events as f64 / wall,
            events,
            BENCH_SECS,
            wall,
            speed,
            sim.trace_hash()
        );
    }
    console_log!("wasm sim best warm round: {best:.1}× real time");
}

/// The placement micro-benchmark of `make bench-placement`, in the browser: SHA-1 alone
/// and the placement the simulation routes with, over the same keys, best of 7.
#[wasm_bindgen_test]
fn bench_placement_in_the_browser() {
    use tablestore_playground::sim::bench::{
        bench_placements, hash_keys, place_keys, placement_keys,
    };
    const KEYS: usize = 10_000;
    const ROUNDS: u32 = 20;
    let keys = placement_keys(KEYS);
    let n = KEYS as f64 * f64::from(ROUNDS);
    let time = |f: &dyn Fn() -> u64| {
        let t = now_ms();
        std::hint::black_box(f());
        (now_ms() - t) / 1000.0
    };
    let placements = bench_placements();
    let mut sha = f64::INFINITY;
    let mut place = vec![f64::INFINITY; placements.len()];
    for _ in 0..7 {
        sha = sha.min(time(&|| hash_keys(&keys, ROUNDS)));
        for (best, (_, p)) in place.iter_mut().zip(&placements) {
            *best = best.min(time(&|| place_keys(p, &keys, ROUNDS)));
        }
    }
    console_log!(
        "wasm sha1 keys/s: {:.0} ({KEYS} keys × {ROUNDS}, best of 7)",
        n / sha
    );
    for ((label, _), t) in placements.iter().zip(place) {
        console_log!(
            "wasm placement keys/s: {:.0} ({label}; {:.2}× the SHA-1 rate)",
            n / t,
            sha / t
        );
    }
}

/// The wasm module's linear memory, in bytes (it only grows).
fn wasm_memory_bytes() -> f64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// `make bench-seek` in the browser: the 30-minute 16-DC run with its checkpoints, then
/// seeks to the same 40 seeded instants (median and worst) and the memory it took.
#[wasm_bindgen_test]
fn bench_seek_in_the_browser() {
    use tablestore_playground::sim::bench::{seek_instants, seek_run, SEEK_MINUTES};
    use tablestore_playground::sim::SimTime;
    let mem_before = wasm_memory_bytes();
    let start = now_ms();
    let mut tl = seek_run(SEEK_MINUTES, None, None);
    let first = now_ms() - start;
    let end = SimTime(SEEK_MINUTES * 60_000);
    let mut times = Vec::new();
    for at in seek_instants(end, 40) {
        let t = now_ms();
        tl.seek(at);
        times.push(now_ms() - t);
    }
    times.sort_by(f64::total_cmp);
    console_log!(
        "wasm seek ({SEEK_MINUTES}-minute run, 16 DCs, {} events, simulated in {first:.0} ms; {} checkpoints every {} ms): median {:.1} ms, worst {:.1} ms over {} seeks; wasm memory {:.0} → {:.0} MB",
        tl.sim().steps(),
        tl.checkpoints().len(),
        tl.checkpoint_spacing(),
        times[times.len() / 2],
        times[times.len() - 1],
        times.len(),
        mem_before / 1e6,
        wasm_memory_bytes() / 1e6
    );
}

/// `make explore-bench`'s real-node run in the browser: issue 16's configuration explored
/// depth-first to the end (the same search as the page's "the configuration"
/// preset, here on the page's thread), and the calibration model beside it.
#[wasm_bindgen_test]
fn bench_explore_in_the_browser() {
    use tablestore_playground::sim::explore::real::{Real, Spec};
    use tablestore_playground::sim::explore::twophase::TwoPhase;
    use tablestore_playground::sim::explore::{Explorer, Options, Order};
    let mem_before = wasm_memory_bytes();
    let start = now_ms();
    let mut e = Explorer::new(
        Real::new(Spec::default()).expect("valid"),
        Options {
            order: Order::Depth,
            ..Options::default()
        },
    );
    let p = e.run();
    let secs = (now_ms() - start) / 1000.0;
    let violated = e
        .results()
        .iter()
        .filter(|r| r.2.label() == "violated" || r.2.label() == "unreached")
        .count();
    console_log!(
        "wasm explore, issue configuration: {} states, depth {}, {secs:.2} s, {:.0} states/s, exhaustive {}, {violated} properties violated or unreached; wasm memory {:.1} → {:.1} MiB",
        p.states,
        p.depth,
        p.states as f64 / secs,
        p.done && !p.truncated,
        mem_before / 1048576.0,
        wasm_memory_bytes() / 1048576.0
    );
    let start = now_ms();
    let mut e = Explorer::new(TwoPhase { rms: 7 }, Options::default());
    let p = e.run();
    let secs = (now_ms() - start) / 1000.0;
    console_log!(
        "wasm explore, TwoPhase 7 RMs: {} states, {secs:.2} s, {:.0} states/s",
        p.states,
        p.states as f64 / secs
    );
}
