//! The benchmark workload, shared by the native bench (`make bench`) and the one in the
//! browser (`make bench-wasm`), so the two measure exactly the same run.
//!
//! Invariants: pure and deterministic like the rest of the core — it only builds a config
//! and applies commands at fixed simulated instants; the callers time it.

use crate::config::{PlacementKind, ReplicationMode};
use crate::{DcId, Sim, SimConfig, SimTime, UserCommand};

/// Simulated seconds the benchmark runs.
pub const BENCH_SECS: u64 = 60;

/// What the benchmark simulates, in one line (printed next to its numbers).
pub const BENCH_LABEL: &str =
    "16 DCs, ring, 2000 ops/s, async+sync tables, kill/revive and link cuts every 5 s";

/// A busy 16-DC world: ring placement, 2 000 ops/s over 10 000 keys, 0.5 % loss, one Async
/// and one Sync table.
pub fn bench_config() -> SimConfig {
    let mut c = SimConfig::with_dcs(16);
    c.seed = 2026;
    c.placement = PlacementKind::Ring;
    c.workload.ops_per_sec = 2_000;
    c.workload.keys = 10_000;
    c.loss_permille = 5;
    c.tables[0].mode = ReplicationMode::Async;
    c.tables[1].mode = ReplicationMode::Sync;
    c
}

/// Runs `sim` to `secs` simulated seconds with a fault every 5 s: kill one DC, revive the
/// previous one, and alternately cut a link or heal everything.
pub fn run_bench(sim: &mut Sim, secs: u64) {
    for step in 0..(secs / 5) {
        sim.advance_to(SimTime((step + 1) * 5_000));
        let _ = sim.apply(UserCommand::Kill(DcId(((step * 5) % 16) as u16)));
        if step > 0 {
            let _ = sim.apply(UserCommand::Revive(DcId((((step - 1) * 5) % 16) as u16)));
        }
        let _ = sim.apply(if step % 2 == 0 {
            UserCommand::CutLink {
                from: DcId(1),
                to: DcId(2),
            }
        } else {
            UserCommand::HealAll
        });
    }
    sim.advance_to(SimTime(secs * 1000));
}

/// Keys of the placement benchmark: the workload's partition texts `k0`, `k1`, ….
pub fn placement_keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("k{i}")).collect()
}

/// SHA-1 of every key, `rounds` times: the raw hash rate placement is measured against.
/// Returns a checksum of the digests so the work cannot be optimised away.
pub fn hash_keys(keys: &[String], rounds: u32) -> u64 {
    let mut sum = 0u64;
    for _ in 0..rounds {
        for k in keys {
            sum = sum.wrapping_add(crate::placement::digest_token(&crate::placement::sha1(
                k.as_bytes(),
            )));
        }
    }
    sum
}

/// The placement of every key, `rounds` times, by the function the simulation routes
/// with (`Placement::shard_of`: SHA-1, then `int(digest) % N` or the ring search).
/// Returns a checksum of the shards.
pub fn place_keys(p: &crate::placement::Placement, keys: &[String], rounds: u32) -> u64 {
    let mut sum = 0u64;
    for _ in 0..rounds {
        for k in keys {
            sum = sum.wrapping_add(u64::from(p.shard_of(k).0));
        }
    }
    sum
}

/// The same through the placement's per-key cache (`Placement::shard_of_cached`), as the
/// simulation routes requests: after the first round every key is a cache hit.
pub fn place_keys_cached(p: &crate::placement::Placement, keys: &[String], rounds: u32) -> u64 {
    let mut sum = 0u64;
    for _ in 0..rounds {
        for k in keys {
            sum = sum.wrapping_add(u64::from(p.shard_of_cached(k).0));
        }
    }
    sum
}

/// The placements the placement benchmark measures: the seed's modulo over 5 DCs (the
/// default world) and the ring over 16 DCs with 64 virtual nodes each.
pub fn bench_placements() -> Vec<(&'static str, crate::placement::Placement)> {
    use crate::placement::{Member, Placement};
    let members = |n: u16| {
        (0..n)
            .map(|i| Member {
                id: DcId(i),
                name: format!("dc{i}"),
            })
            .collect::<Vec<_>>()
    };
    vec![
        (
            "modulo, 5 DCs",
            Placement::new(PlacementKind::Modulo, members(5), 3, 64),
        ),
        (
            "ring, 16 DCs × 64 vnodes",
            Placement::new(PlacementKind::Ring, members(16), 3, 64),
        ),
    ]
}

/// Simulated minutes of the seek benchmark's run (issue 11's "30-minute run at 16 DCs").
pub const SEEK_MINUTES: u64 = 30;

/// The seek benchmark's run, shared by `make bench-seek` and `make bench-wasm`: 16 DCs
/// with the page's default workload (or `rate` ops/s), a fault every 30 s (kill one DC,
/// revive the one killed before), run to `minutes` on a `Timeline` (without the client
/// history, like the page's) that keeps at most
/// `max_checkpoints` checkpoints (default `timeline::MAX_CHECKPOINTS`).
pub fn seek_run(
    minutes: u64,
    rate: Option<u32>,
    max_checkpoints: Option<usize>,
) -> crate::timeline::Timeline {
    let mut c = SimConfig::with_dcs(16);
    c.seed = 2026;
    if let Some(rate) = rate {
        c.workload.ops_per_sec = rate;
    }
    let mut tl = crate::timeline::Timeline::new(c).expect("the bench's config is valid");
    // As the page's run: no client history (only a run report reads it).
    tl.set_keep_history(false);
    if let Some(n) = max_checkpoints {
        tl.set_max_checkpoints(n);
    }
    for i in 0..(minutes * 2) {
        tl.advance_to(SimTime((i + 1) * 30_000));
        let _ = tl.apply(UserCommand::Kill(DcId(((i * 3) % 16) as u16)));
        if i > 0 {
            let _ = tl.apply(UserCommand::Revive(DcId((((i - 1) * 3) % 16) as u16)));
        }
    }
    tl.advance_to(SimTime(minutes * 60_000));
    tl
}

/// `n` seeded instants in `0..=end`, where the seek benchmark seeks to.
pub fn seek_instants(end: SimTime, n: usize) -> Vec<SimTime> {
    let mut r = crate::rng::Rng::new(7);
    (0..n).map(|_| SimTime(r.below(end.0 + 1))).collect()
}
