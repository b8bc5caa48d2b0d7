//! The page's run, natively (a measurement, not a test): a `Session` (a `Timeline` with
//! checkpoints) driven in 33 ms ticks at `speed`× for `minutes` simulated minutes on `dcs`
//! DCs; prints the wall time per tick, the resident memory, then the wall time of seeks
//! to spread instants and of `markers()`.
//!
//! `cargo run --release -p tablestore-sim --example session_seek [minutes] [dcs] [speed]`

use std::time::Instant;
use tablestore_sim::pacing::pos_of_speed;
use tablestore_sim::{Session, SimConfig, SimTime};

fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let l = s.lines().find(|l| l.starts_with("VmRSS:"))?.to_string();
            l.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .unwrap_or(0)
        / 1024
}

fn main() {
    let arg = |i: usize, d: f64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let (minutes, dcs, speed) = (arg(1, 10.0) as u64, arg(2, 16.0) as usize, arg(3, 50.0));
    let mut s = Session::new(SimConfig::with_dcs(dcs), true).expect("valid settings");
    s.pacing_mut().set_pos(pos_of_speed(speed));
    let end = SimTime(minutes * 60_000);
    let (mut ticks, mut worst, wall) = (0u64, 0f64, Instant::now());
    while s.sim().now() < end {
        let t = Instant::now();
        s.tick(33.0, || 0.0);
        worst = worst.max(t.elapsed().as_secs_f64() * 1e3);
        ticks += 1;
    }
    let total = wall.elapsed().as_secs_f64() * 1e3;
    println!(
        "{minutes} min, {dcs} DCs at {speed}x: {ticks} ticks, mean {:.2} ms, worst {worst:.1} ms; rss {} MB; {} checkpoints every {} ms",
        total / ticks as f64,
        rss_mb(),
        s.timeline().checkpoints().len(),
        s.timeline().checkpoint_spacing()
    );
    let mut worst_seek = 0f64;
    for i in 0..20u64 {
        let at = SimTime(end.0 * ((i * 7) % 20) / 20 + 777);
        let t = Instant::now();
        s.seek(at);
        worst_seek = worst_seek.max(t.elapsed().as_secs_f64() * 1e3);
    }
    let t = Instant::now();
    let m = s.markers();
    println!(
        "seek: worst of 20 {worst_seek:.1} ms; markers() {} in {:.3} ms; rss {} MB",
        m.len(),
        t.elapsed().as_secs_f64() * 1e3,
        rss_mb()
    );
}
