//! Bounded memory, measured (a measurement, not a test: it prints numbers, never fails).
//!
//! Runs `minutes` simulated minutes of a busy world and prints, every `every` simulated
//! minutes, the process's resident memory (Linux `/proc/self/status`: VmRSS, and VmHWM,
//! the peak) and every collection `Sim::memory_stats` counts; at the end, the peak and
//! which collections grew between the second sample and the last.
//!
//! `cargo run --release -p tablestore-sim --example memory [minutes] [dcs] [ops/s] [every]`
//! (`make mem-hour`: 60 minutes, 16 DCs, 2 000 ops/s, every 5 minutes), or
//! `… --example memory [minutes] '?dcs=16&keys=10000&rate=500' [every]`: the settings a
//! page URL gives (`config_from_query`; `make mem-soak`: the soak's world for the
//! ~200 simulated minutes its 10 wall minutes reach).

use std::time::Instant;
use tablestore_sim::{config_from_query, Sim, SimConfig, SimTime};

/// A `/proc/self/status` field in kB (0 off Linux).
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with(field))?.to_string();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn main() {
    let arg = |i: usize, d: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let query = std::env::args().nth(2).filter(|a| a.starts_with('?'));
    let (c, every, what) = if let Some(q) = &query {
        let c = match config_from_query(q) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("bad settings: {e:?}");
                std::process::exit(2);
            }
        };
        (c, arg(3, 5).max(1), format!("settings {q}"))
    } else {
        let (dcs, rate) = (arg(2, 16), arg(3, 2000));
        let mut c = SimConfig::with_dcs(dcs as usize);
        c.workload.ops_per_sec = rate as u32;
        let what = format!("{dcs} DCs, {rate} ops/s (default settings otherwise)");
        (c, arg(4, 5).max(1), what)
    };
    let minutes = arg(1, 60);
    let mut sim = match Sim::new(c) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bad settings: {e:?}");
            std::process::exit(2);
        }
    };
    println!("memory: {minutes} simulated min, {what}");
    let wall = Instant::now();
    let mut samples: Vec<(u64, Vec<(&'static str, usize)>)> = Vec::new();
    let mut m = 0;
    while m < minutes {
        m = (m + every).min(minutes);
        sim.advance_to(SimTime(m * 60_000));
        let stats = sim.memory_stats();
        let line: Vec<String> = stats
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k}={n}"))
            .collect();
        println!(
            "t={m:>3} min  wall {:>6.1} s  rss {:>4} MB  peak {:>4} MB  events {}  | {}",
            wall.elapsed().as_secs_f64(),
            status_kb("VmRSS:") / 1024,
            status_kb("VmHWM:") / 1024,
            sim.counters().events,
            line.join(" ")
        );
        samples.push((m, stats));
    }
    println!(
        "peak resident (VmHWM): {} MB; ops ok {}, failed {}; findings {}",
        status_kb("VmHWM:") / 1024,
        sim.counters().ops_ok,
        sim.counters().ops_failed,
        sim.finding_counts().total()
    );
    if let (Some(a), Some(b)) = (samples.get(1), samples.last()) {
        let grew: Vec<String> =
            b.1.iter()
                .filter_map(|&(k, n)| {
                    let before = a.1.iter().find(|e| e.0 == k).map_or(0, |e| e.1);
                    (n > before.max(1) * 5 / 4 + 16).then(|| format!("{k} {before}→{n}"))
                })
                .collect();
        if grew.is_empty() {
            println!(
                "flat: no collection grew by more than 25 % between t={} and t={} min",
                a.0, b.0
            );
        } else {
            println!(
                "grew between t={} and t={} min: {}",
                a.0,
                b.0,
                grew.join(", ")
            );
        }
    }
}
