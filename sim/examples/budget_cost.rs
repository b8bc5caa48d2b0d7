//! What the timeline's byte-budget check costs in the soak world (a measurement, not a
//! test: it prints this thread's CPU times, never fails).
//!
//! Drives `?dcs=16&keys=10000&rate=500` (or the query given) through a `Timeline` in
//! frame-sized steps (100 simulated ms) and prints, every `every` simulated s up to
//! `until`: the slowest step since the last line, the median one and how many took over
//! 10 ms (a step that counts or frees checkpoints' bytes is the slow one), the
//! checkpoints (count, spacing), the heap's peak so far. At the end it times the parts of
//! a whole count on the live run: `Sim::bytes_beyond(None)` (the live run's own bytes)
//! and `Timeline::checkpoint_bytes` (every checkpoint beyond the next, and the newest
//! beyond the live run, counted at once).
//!
//! `cargo run --release -p tablestore-sim --example budget_cost [until:every] [query]`

use tablestore_sim::timeline::Timeline;
use tablestore_sim::{config_from_query, SimTime};

/// This thread's CPU time (Linux's `CLOCK_THREAD_CPUTIME_ID`): wall time on a shared
/// machine counts other processes' turns too.
#[derive(Clone, Copy)]
struct Instant(u64);

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
}

impl Instant {
    fn now() -> Instant {
        let mut t = Timespec { sec: 0, nsec: 0 };
        // SAFETY: `t` is a valid timespec; clock 3 is Linux's per-thread CPU clock.
        unsafe { clock_gettime(3, &mut t) };
        Instant(t.sec as u64 * 1_000_000_000 + t.nsec as u64)
    }
    fn elapsed(self) -> std::time::Duration {
        std::time::Duration::from_nanos(Instant::now().0.saturating_sub(self.0))
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    let mut it = arg.split(':').filter_map(|s| s.parse::<u64>().ok());
    let (until, every) = (it.next().unwrap_or(1_200), it.next().unwrap_or(100));
    let q = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "?dcs=16&keys=10000&rate=500".into());
    let cfg = match config_from_query(&q) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bad settings: {e:?}");
            std::process::exit(2);
        }
    };
    println!("budget_cost: settings {q}, to {until} s, a line every {every} s");
    println!("  sim s  steps  slowest ms  median ms  >10 ms   checkpoints (every s)");
    let mut tl = Timeline::new(cfg).expect("valid settings");
    let mut next = every;
    let mut times: Vec<f64> = Vec::new();
    let mut worst = 0f64;
    // Clones of the live run (sharing what it has not rewritten since) 64, 16 and 2 s
    // before the end.
    let mut behind: Vec<(u64, tablestore_sim::Sim)> = Vec::new();
    while tl.now() < SimTime(until * 1_000) {
        let cps_before = tl.checkpoints();
        let t0 = Instant::now();
        tl.advance_by(100);
        let t = ms(t0.elapsed());
        times.push(t);
        if t > 10.0 && std::env::var("SLOW").is_ok() {
            let cps = tl.checkpoints();
            println!(
                "    slow step to {} ms: {t:.1} ms, checkpoint taken {}, thinned {}",
                tl.now().0,
                cps.last() != cps_before.last(),
                cps.len() < cps_before.len()
            );
        }
        for gap in [64u64, 16, 2] {
            if tl.now() == SimTime((until.saturating_sub(gap)) * 1_000) {
                behind.push((gap, tl.sim().clone()));
            }
        }
        if tl.now() >= SimTime(next * 1_000) {
            next += every;
            let slow = times.iter().filter(|&&t| t > 10.0).count();
            let n = times.len();
            times.sort_by(|a, b| a.total_cmp(b));
            worst = worst.max(times[n - 1]);
            println!(
                "{:>7} {:>6} {:>11.1} {:>10.2} {:>7}   {} ({})",
                tl.now().0 / 1_000,
                n,
                times[n - 1],
                times[n / 2],
                slow,
                tl.checkpoints().len(),
                tl.checkpoint_spacing() / 1_000,
            );
            times.clear();
        }
    }
    println!("slowest step overall {worst:.1} ms");
    // The estimate from sizes beside the walk, for states 2, 16 and 64 s behind.
    for (gap, then) in behind.iter().rev() {
        let t0 = Instant::now();
        let walk = then.bytes_beyond(Some(tl.sim()));
        let t_walk = ms(t0.elapsed());
        let t0 = Instant::now();
        let est = then.bytes_beyond_estimate(Some(tl.sim()));
        let t_est = ms(t0.elapsed());
        println!(
            "{gap:>3} s behind: walked {:.1} MB in {t_walk:.1} ms, estimated {:.1} MB in {t_est:.2} ms; all it holds: walked {:.1} MB, estimated {:.1} MB",
            walk as f64 / 1e6,
            est as f64 / 1e6,
            then.bytes_beyond(None) as f64 / 1e6,
            then.bytes_beyond_estimate(None) as f64 / 1e6,
        );
    }
    let t0 = Instant::now();
    let live = tl.sim().bytes_beyond(None);
    let t_live = ms(t0.elapsed());
    let t0 = Instant::now();
    let held = tl.checkpoint_bytes();
    let t_held = ms(t0.elapsed());
    println!(
        "whole counts at the end: live run {:.1} MB in {t_live:.1} ms; checkpoints {:.1} MB in {t_held:.1} ms",
        live as f64 / 1e6,
        held as f64 / 1e6
    );
    let t0 = Instant::now();
    let stats = tl.sim().memory_stats();
    println!("memory_stats {:.2} ms", ms(t0.elapsed()));
    for (name, n) in stats {
        println!("  {name:<28} {n}");
    }
}
