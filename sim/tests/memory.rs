//! Bounded memory: every collection that could grow with the run's length stays under its
//! cap or stops growing after warm-up (`Sim::memory_stats`), the totals the page shows
//! still count everything dropped, and a snapshot shares the long lists instead of copying
//! them. Behaviour, not timing: sizes and counts at simulated instants.

use std::sync::Arc;
use tablestore_sim::checker::{FINDINGS_CAP, HISTORY_CAP};
use tablestore_sim::config::ReplicationMode;
use tablestore_sim::{
    DcId, EventKind, Sim, SimConfig, SimTime, UserCommand, EVENT_LOG_CAP, METRIC_POINTS,
    TXN_TRACE_CAP,
};

fn stat(s: &[(&'static str, usize)], name: &str) -> usize {
    s.iter().find(|e| e.0 == name).map_or(0, |e| e.1)
}

/// A busy 5-DC run with a fault every minute (a DC killed for 20 s, a link cut for 20 s).
fn busy(minutes: u64, mut at: impl FnMut(u64, &Sim)) -> Sim {
    let mut c = SimConfig::with_dcs(5);
    c.workload.ops_per_sec = 300;
    c.workload.keys = 500;
    let mut sim = Sim::new(c).unwrap();
    for m in 1..=minutes {
        let base = (m - 1) * 60_000;
        let d = DcId((m % 5) as u16);
        sim.advance_to(SimTime(base + 10_000));
        sim.apply(UserCommand::Kill(d)).unwrap();
        sim.advance_to(SimTime(base + 30_000));
        sim.apply(UserCommand::Revive(d)).unwrap();
        let (a, b) = (DcId(((m + 1) % 5) as u16), DcId(((m + 2) % 5) as u16));
        sim.apply(UserCommand::CutLink { from: a, to: b }).unwrap();
        sim.advance_to(SimTime(base + 50_000));
        sim.apply(UserCommand::HealLink { from: a, to: b }).unwrap();
        sim.advance_to(SimTime(m * 60_000));
        at(m, &sim);
    }
    sim
}

#[test]
fn every_collection_stays_under_its_cap_or_stops_growing_after_warm_up() {
    let mut at2 = vec![];
    let mut last = vec![];
    let sim = busy(6, |m, sim| {
        let s = sim.memory_stats();
        if m == 2 {
            at2 = s.clone();
        }
        last = s;
    });
    // The capped ones.
    for (name, cap) in [
        ("rec.events", EVENT_LOG_CAP),
        ("rec.metrics", METRIC_POINTS),
        ("rec.txns", TXN_TRACE_CAP),
        ("checker.findings", FINDINGS_CAP),
        ("checker.history", HISTORY_CAP),
    ] {
        assert!(
            stat(&last, name) <= cap,
            "{name}: {} > {cap}",
            stat(&last, name)
        );
    }
    // Everything else: no more than 1.5× (plus a little) what it held at minute 2, except
    // the capped metrics (they fill up to their cap). Each shard copy's decisions are
    // bounded by the coordinators' low-water marks (`table::Decisions`), the coordinators'
    // committed ids by their copies (`Node::forget_replicated`), the checker's outcomes and
    // vote counts by the transactions still in play (`Checker::prune`): all are held to the
    // rule like the rest.
    let mut grew = vec![];
    for &(name, n) in &last {
        if name == "rec.metrics" {
            continue;
        }
        let before = stat(&at2, name);
        if n > before + before / 2 + 64 {
            grew.push(format!("{name}: {before} at minute 2, {n} at minute 6"));
        }
    }
    assert!(grew.is_empty(), "grew with the run: {grew:#?}");
    // The committed ids kept are those whose COMMIT some copy may still lack: a small part
    // of the commits.
    assert!(sim.counters().txns_committed > 100, "{:?}", sim.counters());
    assert!(
        stat(&last, "node.committed") as u64 <= sim.counters().txns_committed / 10,
        "committed ids kept: {} of {} commits",
        stat(&last, "node.committed"),
        sim.counters().txns_committed
    );
    assert!(
        stat(&last, "node.coord") < 200,
        "open coordinator records: {}",
        stat(&last, "node.coord")
    );
    // Totals count what the log no longer holds.
    let c = sim.counters();
    assert!(c.events > EVENT_LOG_CAP as u64);
    assert_eq!(c.events_by_category.iter().sum::<u64>(), c.events);
    assert_eq!(sim.events().count(), EVENT_LOG_CAP);
    assert_eq!(sim.events().last().map(|e| e.seq), Some(c.events));
}

#[test]
fn findings_are_counted_in_full_and_numbered_in_the_run() {
    // Async tables lose acknowledged writes at every kill: findings pile up.
    let mut c = SimConfig::with_dcs(5);
    c.workload.ops_per_sec = 300;
    for t in &mut c.tables {
        t.mode = ReplicationMode::Async;
    }
    let mut sim = Sim::new(c).unwrap();
    for m in 0..4u64 {
        let d = DcId((m % 5) as u16);
        sim.advance_to(SimTime(m * 20_000 + 5_000));
        sim.apply(UserCommand::Kill(d)).unwrap();
        sim.advance_to(SimTime(m * 20_000 + 15_000));
        sim.apply(UserCommand::Revive(d)).unwrap();
    }
    sim.advance_to(SimTime(90_000));
    let counts = sim.finding_counts().clone();
    assert!(counts.total() > 0, "async writes lost");
    assert_eq!(
        counts.total(),
        sim.checker().dropped + sim.findings().len() as u64
    );
    assert_eq!(sim.checker().violations() as u64, counts.violations());
    // Every finding logged names its number in the run; the ones kept are found by it.
    for e in sim.events() {
        if let EventKind::Finding { index, kind } = e.kind {
            if let Some(f) = sim.finding(index) {
                assert_eq!(f.kind, kind, "finding #{index}");
            } else {
                assert!((index as u64) < sim.checker().dropped, "#{index} dropped");
            }
        }
    }
    // The snapshot carries the newest of them and the full counts.
    let snap = sim.snapshot();
    assert_eq!(snap.finding_counts, counts);
    assert!(snap.findings.len() <= 200);
    let kept = sim.findings();
    assert!(Arc::ptr_eq(
        snap.findings.last().unwrap(),
        kept.last().unwrap()
    ));
}

/// The same elements (pointers), not merely equal ones.
fn same<T>(x: &[Arc<T>], y: &[Arc<T>]) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(p, q)| Arc::ptr_eq(p, q))
}

#[test]
fn a_snapshot_shares_the_long_lists_instead_of_copying_them() {
    let mut c = SimConfig::with_dcs(5);
    c.workload.ops_per_sec = 300;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(SimTime(30_000));
    let a = sim.snapshot();
    let b = sim.snapshot();
    // Bounded windows of what the page shows.
    assert!(a.events.len() <= 400 && a.txns.len() <= 61 && a.metrics.len() <= METRIC_POINTS);
    // Two snapshots of one instant hold the same elements, not copies.
    assert!(same(&a.events, &b.events));
    assert!(same(&a.metrics, &b.metrics));
    assert!(same(&a.txns, &b.txns));
    // Later, an element that did not change is still shared: the events and metric
    // points both hold, and the transactions that ended before.
    sim.advance_to(SimTime(30_020));
    let c2 = sim.snapshot();
    let seq = c2.events[0].seq;
    let old = a
        .events
        .iter()
        .find(|e| e.seq == seq)
        .expect("the windows overlap");
    assert!(Arc::ptr_eq(&c2.events[0], old));
    assert!(c2
        .metrics
        .iter()
        .any(|m| Arc::ptr_eq(m, a.metrics.last().unwrap())));
    let ended = a
        .txns
        .iter()
        .filter(|t| t.coord_state() == tablestore_sim::CoordState::Ended)
        .find(|t| c2.txns.iter().any(|u| u.id == t.id))
        .expect("an ended transaction in both");
    let later = c2.txns.iter().find(|u| u.id == ended.id).unwrap();
    assert!(Arc::ptr_eq(ended, later), "{} copied", ended.id);
}
