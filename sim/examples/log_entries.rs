//! Bounded logs, measured: 10 simulated minutes at 5 DCs and 500 ops/s, printing every
//! minute the log entries every shard copy retains and the entries the logs would hold
//! without compaction (their last indexes), and the process's resident memory (Linux).
//!
//! `cargo run --release -p tablestore-sim --example log_entries [minutes] [dcs] [ops/s]`

use tablestore_sim::{Sim, SimConfig, SimTime};

fn rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let arg = |i: usize, d: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let (minutes, dcs, rate) = (arg(1, 10), arg(2, 5), arg(3, 500));
    let mut c = SimConfig::with_dcs(dcs as usize);
    c.workload.ops_per_sec = rate as u32;
    let mut sim = match Sim::new(c) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bad settings: {e:?}");
            std::process::exit(2);
        }
    };
    println!("dcs={dcs} rate={rate} ops/s");
    println!("minute  retained  appended(=uncompacted)  rss_kb");
    for m in 1..=minutes {
        sim.advance_to(SimTime(m * 60_000));
        let (kept, all) = sim.log_entries();
        println!("{m:>6}  {kept:>8}  {all:>22}  {}", rss_kb().unwrap_or(0));
    }
}
