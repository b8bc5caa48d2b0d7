//! Prints the seek benchmark's run (`bench::seek_run`: 30 minutes, 16 DCs, a fault every
//! 30 s) as a share link positioned at its end, with the instants `make bench-seek` seeks
//! to, as one JSON object `{"link": …, "instants_ms": […]}` — what `make seek-page`
//! (e2e/seek.mjs) opens in the built page to time seeks there.

use tablestore_sim::bench::{seek_instants, seek_run, SEEK_MINUTES};
use tablestore_sim::SimTime;

fn main() {
    let tl = seek_run(SEEK_MINUTES, None, None);
    let instants: Vec<u64> = seek_instants(SimTime(SEEK_MINUTES * 60_000), 40)
        .into_iter()
        .map(|t| t.0)
        .collect();
    let out = serde_json::json!({ "link": tl.link(), "instants_ms": instants });
    println!("{out}");
}
