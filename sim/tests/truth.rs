//! One truth for every figure (issue 15): the per-DC primary counts, the copy states and
//! the 2PC states the page shows come from one core query each and never contradict.

use crate::common::{quiet_config, t, txn_to_its_decision};
use tablestore_sim::{CopyState, DcId, PartState, Sim, SimConfig, TxnStatus, UserCommand};

/// Checks the primary figures of one snapshot: a down DC leads nothing, and the per-DC
/// counts plus the shards without a live primary are the shard count.
fn check_primaries(sim: &Sim) -> usize {
    let snap = sim.snapshot();
    let sum: usize = snap.dcs.iter().map(|d| d.primaries).sum();
    let leaderless = snap
        .shards
        .iter()
        .filter(|s| s.live_primary.is_none())
        .count();
    assert_eq!(sum + leaderless, snap.shards.len(), "at {}", snap.now);
    for d in &snap.dcs {
        let led = snap
            .shards
            .iter()
            .filter(|s| s.live_primary == Some(d.id))
            .count();
        assert_eq!(d.primaries, led, "{} at {}", d.id, snap.now);
        if !d.up {
            assert_eq!(
                d.primaries, 0,
                "down {} leads nothing at {}",
                d.id, snap.now
            );
            assert_eq!(d.in_doubt + d.prepared + d.locks, 0, "{}", d.id);
        }
    }
    for s in &snap.shards {
        if let Some(p) = s.live_primary {
            assert_eq!(p, s.primary);
            assert!(sim.is_up(p));
        }
    }
    leaderless
}

#[test]
fn a_killed_dc_is_primary_of_nothing_and_the_counts_sum_to_the_shard_count() {
    let mut sim = Sim::new(SimConfig::with_dcs(5)).unwrap();
    sim.advance_to(t(3_000));
    check_primaries(&sim);
    let victim = DcId(1);
    let before = sim.snapshot();
    assert!(
        before
            .dcs
            .iter()
            .find(|d| d.id == victim)
            .unwrap()
            .primaries
            > 0,
        "the victim leads shards before the kill"
    );
    sim.apply(UserCommand::Kill(victim)).unwrap();
    let mut ms = 3_000;
    while ms < 10_000 {
        ms += 250;
        sim.advance_to(t(ms));
        check_primaries(&sim);
    }
    // By 10 s the failovers are done: every shard has a live primary again.
    assert_eq!(check_primaries(&sim), 0, "every shard has a live primary");
    let snap = sim.snapshot();
    let sum: usize = snap.dcs.iter().map(|d| d.primaries).sum();
    assert_eq!(sum, snap.shards.len());
    // The down DC's copies are "down", never "up to date".
    let mut down_copies = 0;
    for table in sim.data_view(usize::MAX) {
        for k in &table.keys {
            assert_ne!(k.live_primary, Some(victim), "{}", k.pk);
            for (d, c) in &k.copies {
                if let Some(c) = c {
                    if *d == victim {
                        down_copies += 1;
                        assert_eq!(c.state(), CopyState::Down, "{} at {d}", k.pk);
                    } else {
                        assert_ne!(c.state(), CopyState::Down, "{} at {d}", k.pk);
                    }
                }
            }
        }
    }
    assert!(down_copies > 0, "the victim holds copies");
}

#[test]
fn a_prepared_participant_waiting_for_a_decision_on_its_way_is_not_in_doubt() {
    let mut c = quiet_config(5);
    c.txn_timeout_ms = 5_000;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let coord = DcId(0);
    let txn = txn_to_its_decision(&mut sim, coord);
    // Every participant voted YES and waits; the coordinator is up and the timeout far.
    let snap = sim.snapshot();
    let prepared: usize = snap.dcs.iter().map(|d| d.prepared).sum();
    let in_doubt: usize = snap.dcs.iter().map(|d| d.in_doubt).sum();
    assert!(prepared > 0, "participants are prepared");
    assert_eq!(in_doubt, 0, "prepared and waiting is not in doubt");
    let tr = sim.txn(txn).unwrap();
    assert!(tr
        .participants
        .iter()
        .all(|&d| tr.part_state(d) != Some(PartState::InDoubt)));
    assert_eq!(tr.status(), TxnStatus::Committed);
    // The decision arrives: committed, ended, nothing prepared or in doubt.
    sim.advance_by(2_000);
    let snap = sim.snapshot();
    assert!(snap.dcs.iter().all(|d| d.prepared + d.in_doubt == 0));
    assert_eq!(sim.txn(txn).unwrap().status(), TxnStatus::Committed);
}

#[test]
fn a_blocked_transaction_shows_one_state_in_doubt_then_committed() {
    let mut c = quiet_config(5);
    c.txn_timeout_ms = 400;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let coord = DcId(0);
    let txn = txn_to_its_decision(&mut sim, coord);
    sim.apply(UserCommand::Kill(coord)).unwrap();
    sim.advance_by(3_000);
    // The coordinator decided COMMIT, but the participants never learned it: in doubt.
    let tr = sim.txn(txn).unwrap();
    assert_eq!(tr.decision(), Some(true));
    assert_eq!(tr.status(), TxnStatus::InDoubt);
    let snap = sim.snapshot();
    let in_doubt: usize = snap.dcs.iter().map(|d| d.in_doubt).sum();
    assert!(in_doubt > 0);
    // The DC table counts exactly the participants the trace shows in doubt, at their
    // live primaries.
    for d in snap.dcs.iter().filter(|d| d.up && d.id != coord) {
        let traced = usize::from(tr.part_state(d.id) == Some(PartState::InDoubt));
        assert_eq!(d.in_doubt, traced, "{}", d.id);
    }
    sim.apply(UserCommand::Revive(coord)).unwrap();
    sim.advance_by(3_000);
    assert_eq!(sim.txn(txn).unwrap().status(), TxnStatus::Committed);
    let snap = sim.snapshot();
    assert!(snap.dcs.iter().all(|d| d.in_doubt == 0 && d.prepared == 0));
}
