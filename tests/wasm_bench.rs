//! `make bench-wasm`: the core's speed in the browser, on the same workload as the native
//! `make bench` (`tablestore_sim::bench`). A measurement, not a test: it asserts nothing
//! about time and is not part of `make test`. It prints one `wasm sim events/s` line and
//! the trace hash, which must equal the native bench's.
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

#[wasm_bindgen_test]
fn bench_the_core_in_the_browser() {
    let mut sim = Sim::new(bench_config()).expect("valid config");
    let start = now_ms();
    run_bench(&mut sim, BENCH_SECS);
    let wall = (now_ms() - start) / 1000.0;
    let events = sim.steps();
    console_log!(
        "wasm sim events/s: {:.0} ({BENCH_LABEL}; {} events over {} s simulated in {:.2} s wall, {:.1}× real time; trace {:016x})",
        events as f64 / wall,
        events,
        BENCH_SECS,
        wall,
        BENCH_SECS as f64 / wall,
        sim.trace_hash()
    );
}
