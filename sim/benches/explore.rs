//! `make explore-bench`: the explorer's speed over the real nodes and over its calibration
//! model (TLA+'s TwoPhase), side by side, natively on one thread. Wall-clock timing lives
//! here, never in tests. Prints one line per run: states, depth, seconds, states/s.

use std::time::Instant;
use tablestore_sim::explore::real::{seeded_bugs, Real, Spec};
use tablestore_sim::explore::twophase::TwoPhase;
use tablestore_sim::explore::{Explorer, Model, Options, Order, Verdict};

fn run<M: Model>(label: &str, model: M, opts: Options) {
    let start = Instant::now();
    let mut e = Explorer::new(model, opts);
    let p = e.run();
    let secs = start.elapsed().as_secs_f64();
    let violated: Vec<String> = e
        .results()
        .into_iter()
        .filter_map(|(n, _, v)| match v {
            Verdict::Violated(fp) => Some(format!(
                "{n} in {} steps",
                e.path_to(fp).map_or(0, |p| p.len())
            )),
            _ => None,
        })
        .collect();
    println!(
        "{label}: {} states, depth {}, {secs:.2} s, {:.0} states/s{}{}",
        p.states,
        p.depth,
        p.states as f64 / secs.max(1e-9),
        if p.truncated { " (truncated)" } else { "" },
        if violated.is_empty() {
            String::new()
        } else {
            format!("; violated: {}", violated.join(", "))
        }
    );
}

fn main() {
    for rms in [3, 5, 7] {
        run(
            &format!("twophase {rms} RMs"),
            TwoPhase { rms },
            Options::default(),
        );
    }
    run(
        "real nodes: 3 DCs, 1 txn over 2 keys, ≤ 1 crash, faults every 50 ms to 300 ms",
        Real::new(Spec {
            txns: 1,
            writes: 0,
            crashes: 1,
            cuts: 0,
            quantum_ms: 50,
            horizon_ms: 300,
            ..Spec::default()
        })
        .expect("valid"),
        Options::default(),
    );
    run(
        "real nodes: item 3 (3 DCs, 2 keys, 1 txn, 1 write, ≤ 1 crash, ≤ 1 cut, faults every 100 ms to 400 ms), depth-first, to the end",
        Real::new(Spec::default()).expect("valid"),
        Options {
            order: Order::Depth,
            ..Options::default()
        },
    );
    println!("peak resident memory so far: {}", peak_rss());
    for b in seeded_bugs() {
        run(
            &format!("seeded bug {}", b.name),
            Real::new(b.seeded_spec()).expect("valid"),
            Options {
                max_states: 1_000_000,
                stop_on_violation: true,
                ..Options::default()
            },
        );
    }
}

/// The process's peak resident set (Linux `VmHWM`), for the note; "?" elsewhere.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}
