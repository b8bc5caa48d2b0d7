//! `make bench`: how fast the core simulates a busy 16-DC world with faults.
//! Prints `sim events/s: N (16 DCs, ...)`. Wall-clock timing lives here, never in tests.

use std::time::Instant;
use tablestore_sim::config::{PlacementKind, ReplicationMode};
use tablestore_sim::{DcId, Sim, SimConfig, SimTime, UserCommand};

fn main() {
    let mut c = SimConfig::with_dcs(16);
    c.seed = 2026;
    c.placement = PlacementKind::Ring;
    c.workload.ops_per_sec = 2_000;
    c.workload.keys = 10_000;
    c.loss_permille = 5;
    c.tables[0].mode = ReplicationMode::Async;
    c.tables[1].mode = ReplicationMode::Sync;
    let sim_secs = 60u64;
    let mut sim = Sim::new(c).expect("valid config");
    let start = Instant::now();
    // A fault every 5 s: kill one DC, revive the previous, cut a link, heal.
    for step in 0..(sim_secs / 5) {
        let at = SimTime((step + 1) * 5_000);
        sim.advance_to(at);
        let victim = DcId(((step * 5) % 16) as u16);
        let _ = sim.apply(UserCommand::Kill(victim));
        if step > 0 {
            let _ = sim.apply(UserCommand::Revive(DcId((((step - 1) * 5) % 16) as u16)));
        }
        if step % 2 == 0 {
            let _ = sim.apply(UserCommand::CutLink {
                from: DcId(1),
                to: DcId(2),
            });
        } else {
            let _ = sim.apply(UserCommand::HealAll);
        }
    }
    sim.advance_to(SimTime(sim_secs * 1000));
    let wall = start.elapsed().as_secs_f64();
    let events = sim.steps();
    let c = sim.counters();
    println!(
        "sim events/s: {:.0} (16 DCs, ring, 2000 ops/s, async+sync tables, kill/revive and link cuts every 5 s; {} events over {} s simulated in {:.2} s wall, {:.1}× real time; {} ops ok, {} failed, {} messages)",
        events as f64 / wall,
        events,
        sim_secs,
        wall,
        sim_secs as f64 / wall,
        c.ops_ok,
        c.ops_failed,
        c.msgs_sent
    );
    let viol = sim.checker().violations();
    println!(
        "checker: {} findings, {} violations",
        sim.findings().len(),
        viol
    );
}
