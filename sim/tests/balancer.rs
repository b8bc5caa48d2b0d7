//! Read routing policies and read consistency.

use crate::common::*;
use std::collections::BTreeMap;
use tablestore_sim::config::{ReadConsistency, ReadPolicy};
use tablestore_sim::{DcId, Sim, TableId};

fn served_by(detail: &str) -> DcId {
    let s = detail.rsplit("by DC").next().unwrap();
    DcId(s.trim().parse().unwrap())
}

fn reads(
    policy: ReadPolicy,
    consistency: ReadConsistency,
    home: DcId,
    k: &str,
    n: usize,
) -> (Sim, BTreeMap<DcId, usize>) {
    let mut c = quiet_config(5);
    c.read_policy = policy;
    c.read_consistency = consistency;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    assert!(run_op(&mut sim, DcId(0), put(k, 1), 2_000).unwrap().0);
    sim.advance_by(1_000);
    let mut by = BTreeMap::new();
    for _ in 0..n {
        let r = run_op(&mut sim, home, get(k), 2_000).unwrap();
        assert!(r.0, "{r:?}");
        *by.entry(served_by(&r.1)).or_insert(0) += 1;
    }
    (sim, by)
}

#[test]
fn nearest_reads_from_the_lowest_latency_replica() {
    let probe = Sim::new(quiet_config(5)).unwrap();
    let k = "k5";
    let reps = probe.placement().replicas(probe.shard_of(&pk(k)));
    let home = DcId(0);
    let cfg = quiet_config(5);
    let lat = |d: DcId| {
        if d == home {
            0
        } else {
            cfg.latency_ms[home.0 as usize][d.0 as usize]
        }
    };
    let nearest = *reps.iter().min_by_key(|&&d| (lat(d), d)).unwrap();
    let (_, by) = reads(ReadPolicy::Nearest, ReadConsistency::One, home, k, 10);
    assert_eq!(by.keys().copied().collect::<Vec<_>>(), vec![nearest]);
}

#[test]
fn round_robin_spreads_reads_over_every_replica() {
    let (sim, by) = reads(
        ReadPolicy::RoundRobin,
        ReadConsistency::One,
        DcId(0),
        "k5",
        9,
    );
    let reps = sim.placement().replicas(sim.shard_of(&pk("k5")));
    assert_eq!(by.len(), reps.len(), "{by:?}");
    assert!(by.values().all(|&c| c == 3), "{by:?}");
}

#[test]
fn hash_routing_is_stable_per_key() {
    let (_, by) = reads(ReadPolicy::Hash, ReadConsistency::One, DcId(0), "k5", 6);
    assert_eq!(by.len(), 1, "{by:?}");
}

#[test]
fn owner_reads_always_go_to_the_primary() {
    let (sim, by) = reads(
        ReadPolicy::Nearest,
        ReadConsistency::Owner,
        DcId(3),
        "k5",
        5,
    );
    let (primary, _) = sim.primary_for(TableId(0), &pk("k5"));
    assert_eq!(by.keys().copied().collect::<Vec<_>>(), vec![primary]);
}

#[test]
fn one_reads_can_be_stale_under_async_and_are_counted() {
    // Async, and the client reads from the nearest replica right after writing.
    let mut c = quiet_config(5);
    c.read_policy = ReadPolicy::Nearest;
    c.replication_interval_ms = 2_000;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let cfg = quiet_config(5);
    let lat = |a: DcId, b: DcId| {
        if a == b {
            0
        } else {
            cfg.latency_ms[a.0 as usize][b.0 as usize]
        }
    };
    // A key and a client DC whose nearest replica is not the key's owner.
    let (k, home, owner, nearest) = (0..500)
        .map(|i| format!("k{i}"))
        .flat_map(|k| (0..5).map(move |h| (k.clone(), DcId(h))))
        .find_map(|(k, home)| {
            let reps = sim.placement().replicas(sim.shard_of(&pk(&k)));
            let nearest = *reps.iter().min_by_key(|&&d| (lat(home, d), d)).unwrap();
            (nearest != reps[0]).then_some((k, home, reps[0], nearest))
        })
        .unwrap();
    assert!(run_op(&mut sim, owner, put(&k, 1), 500).unwrap().0);
    let before = sim.counters().stale_reads;
    let r = run_op(&mut sim, home, get(&k), 1_000).unwrap();
    assert_eq!(served_by(&r.1), nearest);
    assert_eq!(
        r.1.split(" by").next(),
        Some("no row"),
        "the replica has not been shipped the write yet"
    );
    assert_eq!(sim.counters().stale_reads, before + 1, "{r:?}");
    assert!(
        sim.findings().iter().all(|f| !f.kind.is_violation()),
        "stale reads at One are no violation"
    );
    // After shipping, One is fresh too.
    sim.advance_by(3_000);
    let again = run_op(&mut sim, home, get(&k), 1_000).unwrap();
    assert!(again.1.starts_with("row"), "{again:?}");
    assert_eq!(sim.counters().stale_reads, before + 1);
}

#[test]
fn quorum_reads_see_the_newest_version() {
    let mut c = with_mode(
        quiet_config(5),
        tablestore_sim::config::ReplicationMode::Quorum(2),
    );
    c.read_consistency = ReadConsistency::Quorum;
    c.replication_interval_ms = 5_000;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    for v in 0..5 {
        let home = DcId(v % 5);
        assert!(
            run_op(&mut sim, DcId(0), put("k9", i64::from(v)), 2_000)
                .unwrap()
                .0
        );
        let r = run_op(&mut sim, home, get("k9"), 2_000).unwrap();
        assert!(r.0);
    }
    assert_eq!(sim.counters().stale_reads, 0);
}
