//! Where the soak's memory goes, measured with a counting allocator (a measurement, not
//! a test: it prints numbers, never fails).
//!
//! Drives the page's soak world (`?dcs=16&keys=10000&rate=500` unless a query is given)
//! through a `Timeline` the way the page does — forward in frame-sized steps, checkpoints
//! taken as the run reaches them — and at each sample instant prints: the live heap,
//! the checkpoints' count, spacing and the bytes they hold beyond the live run (their
//! estimate, `Sim::approx_bytes` × count, beside it), and the live run's bytes part by
//! part (`Sim::heap_parts`, on a clone once the timeline is gone: what one world holds).
//!
//! `cargo run --release -p tablestore-sim --example soak_bytes [seconds,…] [query]`
//! (`make soak-bytes`: 1 200 and 6 000 simulated s — minute 2 and minute 10 of the
//! page's soak at ~10×).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use tablestore_sim::timeline::Timeline;
use tablestore_sim::{config_from_query, SimTime};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Relaxed);
        LIVE.fetch_sub(l.size(), Relaxed);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static A: Counting = Counting;

fn live() -> usize {
    LIVE.load(Relaxed)
}

fn mb(b: usize) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

fn main() {
    let secs: Vec<u64> = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "1200,6000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
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
    println!("soak_bytes: settings {q}");
    let base = live();
    let mut tl = Timeline::new(cfg).expect("valid settings");
    for (i, &s) in secs.iter().enumerate() {
        // Frame-sized steps (the page moves ~100 simulated ms per frame at 10×).
        while tl.now() < SimTime(s * 1_000) {
            tl.advance_by(100);
        }
        let total = live() - base;
        let cps = tl.checkpoints().len();
        let est = tl.sim().approx_bytes();
        // The live run alone: a clone outlives the timeline and then owns every piece.
        let sim = tl.sim().clone();
        let spacing = tl.checkpoint_spacing();
        let cfg = tl.config().clone();
        drop(tl);
        let world = live() - base;
        println!(
            "t={s} s  events {}  heap {}  = world {} + checkpoints {} ({cps}, every {} s; \
             approx_bytes {} each, × count {})",
            sim.counters().events,
            mb(total),
            mb(world),
            mb(total - world),
            spacing / 1000,
            mb(est),
            mb(est * cps)
        );
        let stats = sim.memory_stats();
        let now = sim.now();
        let parts = sim.heap_parts(&live);
        for (name, b) in &parts {
            if *b < 100_000 {
                continue;
            }
            let n = stats.iter().find(|e| e.0 == *name).map(|e| e.1);
            let per = n
                .filter(|&n| n > 0)
                .map(|n| format!("  {n} items, {} B each", b / n))
                .unwrap_or_default();
            println!("    {name:<24} {:>10}{per}", mb(*b));
        }
        if i + 1 == secs.len() {
            break;
        }
        // Go on from here: a new timeline replays to here (same run, same state).
        tl = Timeline::new(cfg).expect("valid settings");
        tl.advance_to(now);
    }
}
