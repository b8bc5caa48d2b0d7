//! Failover: majority-driven, to the most up-to-date replica, fenced by epochs.

use crate::common::*;
use tablestore_sim::config::ReplicationMode;
use tablestore_sim::table::Value;
use tablestore_sim::{Bugs, DcId, EventKind, Sim, TableId, UserCommand};

#[test]
fn a_partitioned_minority_cannot_fail_over_the_majoritys_owners() {
    let mut sim = Sim::new(quiet_config(5)).unwrap();
    sim.advance_to(t(500));
    let majority_key = key_owned_by(&sim, DcId(0));
    let minority_key = key_owned_by(&sim, DcId(4));
    sim.apply(UserCommand::Partition(vec![DcId(3), DcId(4)]))
        .unwrap();
    sim.advance_by(5_000);
    // The minority sees DC0 dead but cannot gather a majority of votes.
    assert_eq!(
        sim.view(DcId(4), DcId(0)),
        Some(tablestore_sim::PeerState::Dead)
    );
    let issued_by_minority = sim.events().any(|e| {
        matches!(e.kind, EventKind::FailoverIssued { .. })
            && matches!(e.dc, Some(DcId(3)) | Some(DcId(4)))
    });
    assert!(!issued_by_minority, "the minority issued a failover");
    let minority_view = sim
        .shard_meta(DcId(4), (TableId(0), sim.shard_of(&pk(&majority_key))))
        .unwrap()
        .clone();
    assert_eq!(minority_view.primary, DcId(0), "DC0 still leads its shard");
    // The majority, however, fails over the minority's shards.
    let (p, e) = sim.primary_for(TableId(0), &pk(&minority_key));
    assert!(
        p != DcId(4) && p != DcId(3) && e.term >= 1,
        "moved to {p} in {e}"
    );
    assert!(sim
        .events()
        .any(|e| matches!(e.kind, EventKind::FailoverIssued { old: DcId(4), .. })));
}

#[test]
fn failover_picks_the_most_up_to_date_live_replica_and_the_old_owner_steps_down() {
    let mut sim = Sim::new(with_mode(
        quiet_config(5),
        tablestore_sim::config::ReplicationMode::Sync,
    ))
    .unwrap();
    sim.advance_to(t(500));
    let owner = DcId(1);
    let k = key_owned_by(&sim, owner);
    let reps = sim.placement().replicas(sim.shard_of(&pk(&k)));
    let (behind, ahead) = (reps[1], reps[2]);
    // `behind` misses the later writes.
    sim.apply(UserCommand::Kill(behind)).unwrap();
    sim.advance_by(1_500);
    for v in 0..3 {
        assert!(run_op(&mut sim, owner, put(&k, v), 2_000).unwrap().0);
    }
    sim.apply(UserCommand::Revive(behind)).unwrap();
    // Kill the owner before `behind` has caught up.
    sim.advance_by(50);
    sim.apply(UserCommand::Kill(owner)).unwrap();
    sim.advance_by(4_000);
    let (p, e) = sim.primary_for(TableId(0), &pk(&k));
    assert_eq!(p, ahead, "the replica holding every write leads");
    assert!(e.term >= 1);
    assert!(sim.row_at(ahead, TableId(0), &pk(&k)).is_some());
    // The old owner returns, learns the newer epoch and follows.
    sim.apply(UserCommand::Revive(owner)).unwrap();
    sim.advance_by(3_000);
    let key = (TableId(0), sim.shard_of(&pk(&k)));
    let meta = sim.shard_meta(owner, key).unwrap().clone();
    assert_eq!(meta.primary, ahead);
    assert_eq!(meta.epoch, e);
    assert!(sim
        .events()
        .any(|ev| matches!(ev.kind, EventKind::SteppedDown { .. }) && ev.dc == Some(owner)));
    assert!(
        sim.findings().iter().all(|f| !f.kind.is_violation()),
        "{:?}",
        sim.findings()
    );
}

#[test]
fn with_failover_off_nothing_moves() {
    let mut c = quiet_config(3);
    c.failover = false;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(2));
    sim.apply(UserCommand::Kill(DcId(2))).unwrap();
    sim.advance_by(5_000);
    assert_eq!(sim.primary_for(TableId(0), &pk(&k)).0, DcId(2));
    let r = run_op(&mut sim, DcId(0), put(&k, 1), 4_000).unwrap();
    assert!(!r.0, "writes to a dead owner fail without failover: {r:?}");
}

/// Issue 9, item 5: Quorum(2) of R = 3 (and SemiSync, which acknowledges with 2 copies).
/// The primary and one replica are cut off together right after a write reaches both;
/// the majority sees only the third replica. Main promoted it and lost the write, graded
/// "degraded". Returns the run, the key and the write's acknowledgement.
fn two_copies_cut_off(mode: ReplicationMode, bugs: Bugs) -> (Sim, String, (bool, String)) {
    let mut sim = Sim::with_bugs(with_mode(quiet_config(5), mode), bugs).unwrap();
    sim.advance_to(t(500));
    let owner = DcId(1);
    let k = key_owned_by(&sim, owner);
    let reps = sim.placement().replicas(sim.shard_of(&pk(&k)));
    assert!(run_op(&mut sim, DcId(0), put(&k, 1), 2_000).unwrap().0);
    // Only the primary and reps[1] hear the next write.
    sim.apply(UserCommand::Partition(vec![reps[0], reps[1]]))
        .unwrap();
    let r = run_op(&mut sim, reps[0], put(&k, 2), 2_000).unwrap();
    sim.advance_by(5_000);
    (sim, k, r)
}

fn balance_at(sim: &Sim, d: DcId, k: &str) -> Option<Value> {
    sim.row_at(d, TableId(0), &pk(k))
        .and_then(|r| r.cells.get("balance").map(|(v, _)| v.clone()))
}

#[test]
fn quorum_and_semisync_failover_never_loses_a_write_acknowledged_with_its_quorum() {
    for mode in [ReplicationMode::Quorum(2), ReplicationMode::SemiSync] {
        let (mut sim, k, r) = two_copies_cut_off(mode, Bugs::default());
        assert!(r.0 && r.1.contains("2 copies"), "{mode}: {r:?}");
        // The majority reaches one replica of three: too few to intersect every write
        // quorum, so the shard stays with its (unreachable) primary.
        let (p, e) = sim.primary_for(TableId(0), &pk(&k));
        assert_eq!((p, e.term), (DcId(1), 0), "{mode}: no failover");
        sim.apply(UserCommand::HealAll).unwrap();
        sim.advance_by(sim.settle_ms() + 2_000);
        let (p, _) = sim.primary_for(TableId(0), &pk(&k));
        for d in sim.placement().replicas(sim.shard_of(&pk(&k))) {
            assert_eq!(
                balance_at(&sim, d, &k),
                Some(Value::Int(2)),
                "{mode} at {d}"
            );
        }
        let _ = p;
        let bad: Vec<_> = sim
            .findings()
            .iter()
            .filter(|f| {
                f.kind.is_violation() || f.kind == tablestore_sim::FindingKind::DegradedWriteLost
            })
            .collect();
        assert!(bad.is_empty(), "{mode}: {bad:?}");
    }
}

#[test]
fn promoting_without_quorum_intersection_loses_the_write_and_the_checker_says_durability() {
    let bugs = Bugs {
        promote_without_quorum_intersection: true,
        ..Bugs::default()
    };
    for mode in [ReplicationMode::Quorum(2), ReplicationMode::SemiSync] {
        let (sim, k, r) = two_copies_cut_off(mode, bugs);
        assert!(r.0, "{r:?}");
        let lost: Vec<_> = sim
            .findings()
            .iter()
            .filter(|f| f.kind == tablestore_sim::FindingKind::Durability && f.keys.contains(&k))
            .collect();
        assert!(!lost.is_empty(), "{mode}: {:?}", sim.findings());
    }
}

#[test]
fn a_majority_still_fails_over_a_quorum_shard_when_enough_replicas_answer() {
    // Quorum(2) of 3 with only the primary dead: two replicas answer the fencing round.
    let mut sim = Sim::new(with_mode(quiet_config(5), ReplicationMode::Quorum(2))).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(1));
    assert!(run_op(&mut sim, DcId(0), put(&k, 5), 2_000).unwrap().0);
    sim.apply(UserCommand::Kill(DcId(1))).unwrap();
    sim.advance_by(4_000);
    let (p, e) = sim.primary_for(TableId(0), &pk(&k));
    assert!(p != DcId(1) && e.term >= 1, "{p} in {e}");
    assert_eq!(balance_at(&sim, p, &k), Some(Value::Int(5)));
    let r = run_op(&mut sim, DcId(0), put(&k, 6), 3_000).unwrap();
    assert!(r.0, "{r:?}");
}

/// Five DCs in `mode`, `Owner` reads; `k` (owned by DC1) written 1, DC1 partitioned from
/// the rest until the majority failed over its shard, then k written 2 through DC0.
/// Returns the sim and the outcome of an `Owner` read of k by a client at DC1.
fn owner_read_at_a_deposed_primary(
    mode: ReplicationMode,
    bugs: Bugs,
) -> (Sim, String, (bool, String)) {
    let mut c = with_mode(quiet_config(5), mode);
    c.read_consistency = tablestore_sim::config::ReadConsistency::Owner;
    let mut sim = Sim::with_bugs(c, bugs).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(1));
    assert!(run_op(&mut sim, DcId(0), put(&k, 1), 2_000).unwrap().0);
    sim.apply(UserCommand::Partition(vec![DcId(1)])).unwrap();
    sim.advance_by(4_000);
    let (p, e) = sim.primary_for(TableId(0), &pk(&k));
    assert!(
        p != DcId(1) && e.term >= 1,
        "{mode}: failed over to {p} in {e}"
    );
    let w = run_op(&mut sim, DcId(0), put(&k, 2), 2_000).unwrap();
    assert!(w.0, "{mode}: {w:?}");
    let r = run_op(&mut sim, DcId(1), get(&k), 2_000).unwrap();
    (sim, k, r)
}

#[test]
fn a_deposed_primary_without_a_read_lease_refuses_owner_reads() {
    for mode in [
        ReplicationMode::Sync,
        ReplicationMode::SemiSync,
        ReplicationMode::Quorum(2),
    ] {
        let (sim, _, r) = owner_read_at_a_deposed_primary(mode, Bugs::default());
        assert!(!r.0 && r.1.contains("lease"), "{mode}: {r:?}");
        let bad: Vec<_> = sim
            .findings()
            .iter()
            .filter(|f| f.kind.is_violation())
            .collect();
        assert!(bad.is_empty(), "{mode}: {bad:?}");
    }
}

#[test]
fn owner_reads_without_a_lease_are_stale_and_the_checker_says_stale_read() {
    let bugs = Bugs {
        owner_reads_without_lease: true,
        ..Bugs::default()
    };
    for mode in [ReplicationMode::Sync, ReplicationMode::Quorum(2)] {
        let (sim, k, r) = owner_read_at_a_deposed_primary(mode, bugs);
        assert!(r.0, "{mode}: the deposed primary served it: {r:?}");
        let stale: Vec<_> = sim
            .findings()
            .iter()
            .filter(|f| f.kind == tablestore_sim::FindingKind::StaleRead && f.keys.contains(&k))
            .collect();
        assert!(!stale.is_empty(), "{mode}: {:?}", sim.findings());
    }
}

#[test]
fn a_healthy_primary_holds_its_read_lease_in_every_mode() {
    for mode in [
        ReplicationMode::Sync,
        ReplicationMode::SemiSync,
        ReplicationMode::Quorum(2),
        ReplicationMode::Async,
    ] {
        let mut c = with_mode(quiet_config(5), mode);
        c.read_consistency = tablestore_sim::config::ReadConsistency::Owner;
        let mut sim = Sim::new(c).unwrap();
        sim.advance_to(t(1_000));
        for owner in sim.dc_ids() {
            let k = key_owned_by(&sim, owner);
            for home in sim.dc_ids() {
                let r = run_op(&mut sim, home, get(&k), 2_000).unwrap();
                assert!(
                    r.0,
                    "{mode}: read of {k} (owner {owner}) from {home}: {r:?}"
                );
            }
        }
    }
}
