//! `make bench`: how fast the core simulates a busy 16-DC world with faults.
//! Prints `sim events/s: N (...)`. Wall-clock timing lives here, never in tests. The same
//! workload runs in the browser with `make bench-wasm` (tests/wasm_bench.rs). A number as
//! argument runs that many simulated seconds instead (a prefix of the same run, e.g. for
//! `valgrind --tool=callgrind`, whose instruction counts do not depend on the machine's load).

use std::time::Instant;
use tablestore_sim::bench::{bench_config, run_bench, BENCH_LABEL, BENCH_SECS};
use tablestore_sim::Sim;

fn main() {
    let secs = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<u64>().ok())
        .unwrap_or(BENCH_SECS);
    let mut sim = Sim::new(bench_config()).expect("valid config");
    let start = Instant::now();
    run_bench(&mut sim, secs);
    let wall = start.elapsed().as_secs_f64();
    let events = sim.steps();
    let c = sim.counters();
    println!(
        "sim events/s: {:.0} ({BENCH_LABEL}; {} events over {} s simulated in {:.2} s wall, {:.1}× real time; {} ops ok, {} failed, {} messages; trace {:016x})",
        events as f64 / wall,
        events,
        secs,
        wall,
        secs as f64 / wall,
        c.ops_ok,
        c.ops_failed,
        c.msgs_sent,
        sim.trace_hash()
    );
    println!(
        "checker: {} findings, {} violations",
        sim.findings().len(),
        sim.checker().violations()
    );
}
