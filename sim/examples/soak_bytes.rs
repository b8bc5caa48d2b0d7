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
//!
//! `soak_bytes trace:<until>:<every> [query]` instead prints, every `every` simulated s up
//! to `until`, the heap, its peak so far (what a page's wasm memory shows: linear memory
//! never shrinks) and the checkpoints (count, spacing).

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

/// The heap and its peak every `every` s up to `until` (see the module header).
fn trace(cfg: tablestore_sim::SimConfig, until: u64, every: u64) {
    let base = live();
    let mut tl = Timeline::new(cfg).expect("valid settings");
    if let Some(mb) = std::env::var("BUDGET_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        tl.set_checkpoint_budget(mb << 20);
    }
    let mut peak = 0;
    let mut next = every;
    println!(
        "  sim s   heap MB   peak MB   checkpoints (every s), their bytes beyond one another MB"
    );
    while tl.now() < SimTime(until * 1_000) {
        tl.advance_by(100);
        let heap = live() - base;
        peak = peak.max(heap);
        if tl.now() >= SimTime(next * 1_000) {
            next += every;
            println!(
                "{:>7} {:>9.1} {:>9.1}   {} ({}), {:.1}",
                tl.now().0 / 1_000,
                heap as f64 / 1e6,
                peak as f64 / 1e6,
                tl.checkpoints().len(),
                tl.checkpoint_spacing() / 1_000,
                tl.checkpoint_bytes() as f64 / 1e6
            );
        }
    }
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    if let Some(rest) = arg.strip_prefix("trace:") {
        let mut it = rest.split(':').filter_map(|s| s.parse::<u64>().ok());
        let (until, every) = (it.next().unwrap_or(10_400), it.next().unwrap_or(200));
        let q = std::env::args()
            .nth(2)
            .unwrap_or_else(|| "?dcs=16&keys=10000&rate=500".into());
        println!("soak_bytes: settings {q}, trace to {until} s every {every} s");
        match config_from_query(&q) {
            Ok(c) => trace(c, until, every),
            Err(e) => eprintln!("bad settings: {e:?}"),
        }
        return;
    }
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
