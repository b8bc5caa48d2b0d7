//! How long a snapshot takes for a busy 16-DC ring (the UI takes one per frame).
use std::time::Instant;
use tablestore_sim::config::PlacementKind;
use tablestore_sim::{Sim, SimConfig, SimTime};

fn main() {
    let mut c = SimConfig::with_dcs(16);
    c.placement = PlacementKind::Ring;
    c.workload.ops_per_sec = 500;
    c.workload.keys = 2000;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(SimTime(20_000));
    let t = Instant::now();
    let n = 50;
    for _ in 0..n {
        std::hint::black_box(sim.snapshot());
    }
    let snap = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let t = Instant::now();
    let steps0 = sim.steps();
    sim.advance_to(SimTime(40_000));
    let wall = t.elapsed().as_secs_f64();
    println!(
        "snapshot: {snap:.2} ms; simulating 20 s: {:.0} ms wall, {} events ({:.0} events/s)",
        wall * 1000.0,
        sim.steps() - steps0,
        (sim.steps() - steps0) as f64 / wall
    );
    let t = Instant::now();
    std::hint::black_box(sim.data_view(64));
    println!(
        "data_view(64): {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
}
