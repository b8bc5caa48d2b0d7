//! Seek cost of a long run (issue 11): a 30-minute, 16-DC run with a fault every 30 s,
//! then seeks to 40 seeded instants (median and worst wall time), scrubs of one second
//! back, and the memory the checkpoints hold (counted by a global allocator).
//!
//! `make bench-seek`; `SEEK_RATE=<ops/s>` changes the workload (default: the page's),
//! `SEEK_CHECKPOINTS=<n>` the bound on checkpoints (default `MAX_CHECKPOINTS`).
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tablestore_sim::bench::{seek_instants, seek_run, SEEK_MINUTES};
use tablestore_sim::timeline::MAX_CHECKPOINTS;
use tablestore_sim::{SimTime, Timeline};

/// Counts live heap bytes, so the checkpoints' memory can be read off.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const MINUTES: u64 = SEEK_MINUTES;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let rate: Option<u32> = std::env::var("SEEK_RATE").ok().and_then(|v| v.parse().ok());
    let cap: Option<usize> = std::env::var("SEEK_CHECKPOINTS")
        .ok()
        .and_then(|v| v.parse().ok());
    let end = SimTime(MINUTES * 60_000);
    let before = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let mut tl = seek_run(MINUTES, rate, cap);
    let rate = tl.config().workload.ops_per_sec;
    let first = ms(t);
    let total = LIVE.load(Ordering::Relaxed) - before;
    let (live, clone_ms) = {
        let b = LIVE.load(Ordering::Relaxed);
        let t = Instant::now();
        let copy = tl.sim().clone();
        let took = ms(t);
        let n = LIVE.load(Ordering::Relaxed) - b;
        drop(copy);
        (n, took)
    };
    let cps = tl.checkpoints();
    println!(
        "{MINUTES}-minute run, 16 DCs, {rate} ops/s, {} commands: simulated in {first:.0} ms ({} events)",
        tl.commands().len(),
        tl.sim().steps()
    );
    println!(
        "checkpoints: {} (bound {}), every {} ms; memory: {:.1} MB in all, one live sim {:.1} MB (a clone of it: {clone_ms:.1} ms), checkpoints ≈ {:.1} MB",
        cps.len(),
        std::env::var("SEEK_CHECKPOINTS").unwrap_or_else(|_| MAX_CHECKPOINTS.to_string()),
        tl.checkpoint_spacing(),
        total as f64 / 1e6,
        live as f64 / 1e6,
        total.saturating_sub(live) as f64 / 1e6
    );
    let mut random = Vec::new();
    for at in seek_instants(end, 40) {
        let t = Instant::now();
        tl.seek(at);
        random.push(ms(t));
    }
    let (med, worst) = stats(random);
    println!("seek to a random instant (40): median {med:.1} ms, worst {worst:.1} ms");
    let mut back = Vec::new();
    tl.seek(SimTime(end.0 / 2));
    for _ in 0..20 {
        let at = SimTime(tl.now().0 - 1_000);
        let t = Instant::now();
        tl.seek(at);
        back.push(ms(t));
    }
    let (med, worst) = stats(back);
    println!("scrub one second back (20): median {med:.1} ms, worst {worst:.1} ms");
    let mut fwd = Vec::new();
    for _ in 0..20 {
        let at = tl.now().plus(1_000);
        let t = Instant::now();
        tl.seek(at);
        fwd.push(ms(t));
    }
    let (med, worst) = stats(fwd);
    println!("scrub one second forward (20): median {med:.1} ms, worst {worst:.1} ms");
    let t = Instant::now();
    let link = tl.link();
    let enc = ms(t);
    let t = Instant::now();
    let opened = Timeline::from_link(&link).expect("own link");
    println!(
        "share link: {} characters, encoded in {enc:.1} ms, opened (at {}) in {:.0} ms",
        link.len(),
        opened.now(),
        ms(t)
    );
}
