//! Replication modes, catch-up, and what failover does to acknowledged writes.

use crate::common::*;
use tablestore_sim::config::ReplicationMode;
use tablestore_sim::{DcId, FindingKind, Sim, TableId, UserCommand};

fn replicas_of(sim: &Sim, k: &str) -> Vec<DcId> {
    sim.placement().replicas(sim.shard_of(&pk(k)))
}

#[test]
fn async_replicas_catch_up_only_after_the_shipping_interval() {
    let c = with_mode(quiet_config(3), ReplicationMode::Async);
    let interval = c.replication_interval_ms;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let owner = DcId(0);
    let k = key_owned_by(&sim, owner);
    let r = run_op(&mut sim, owner, put(&k, 7), 1_000).unwrap();
    assert!(r.0, "{r:?}");
    let reps = replicas_of(&sim, &k);
    let others: Vec<DcId> = reps.iter().copied().filter(|&d| d != owner).collect();
    // Acknowledged at once, before any replica has it.
    assert!(sim.row_at(owner, TableId(0), &pk(&k)).is_some());
    for &d in &others {
        assert!(
            sim.row_at(d, TableId(0), &pk(&k)).is_none(),
            "{d} has it too early"
        );
    }
    sim.advance_by(interval + 400);
    for &d in &others {
        assert!(
            sim.row_at(d, TableId(0), &pk(&k)).is_some(),
            "{d} caught up"
        );
    }
}

#[test]
fn a_sync_write_is_on_every_replica_when_acknowledged() {
    let mut sim = Sim::new(with_mode(quiet_config(3), ReplicationMode::Sync)).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(1));
    // Stop at the acknowledgement instant.
    let r = run_op(&mut sim, DcId(1), put(&k, 1), 2_000).unwrap();
    assert!(r.0 && r.1.contains("3 copies"), "{r:?}");
    for d in replicas_of(&sim, &k) {
        assert!(sim.row_at(d, TableId(0), &pk(&k)).is_some(), "{d}");
    }
}

#[test]
fn a_revived_replica_catches_up_on_what_it_missed() {
    let mut sim = Sim::new(with_mode(quiet_config(3), ReplicationMode::Async)).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(0));
    let lagger = replicas_of(&sim, &k)[1];
    sim.apply(UserCommand::Kill(lagger)).unwrap();
    for v in 0..5 {
        assert!(run_op(&mut sim, DcId(0), put(&k, v), 1_000).unwrap().0);
    }
    sim.advance_by(1_000);
    assert!(sim.row_at(lagger, TableId(0), &pk(&k)).is_none());
    sim.apply(UserCommand::Revive(lagger)).unwrap();
    sim.advance_by(1_500);
    let row = sim.row_at(lagger, TableId(0), &pk(&k)).expect("caught up");
    let primary_row = sim.row_at(DcId(0), TableId(0), &pk(&k)).unwrap();
    assert_eq!(row.version.pos, primary_row.version.pos);
}

#[test]
fn a_sync_write_survives_its_owners_death() {
    let mut sim = Sim::new(with_mode(quiet_config(5), ReplicationMode::Sync)).unwrap();
    sim.advance_to(t(500));
    let owner = DcId(2);
    let k = key_owned_by(&sim, owner);
    assert!(run_op(&mut sim, DcId(0), put(&k, 42), 2_000).unwrap().0);
    sim.apply(UserCommand::Kill(owner)).unwrap();
    sim.advance_by(3_000);
    let (new_owner, epoch) = sim.primary_for(TableId(0), &pk(&k));
    assert_ne!(new_owner, owner, "failed over");
    assert!(epoch.term >= 1);
    let got = run_op(&mut sim, DcId(0), get(&k), 2_000).unwrap();
    assert!(got.0 && got.1.starts_with("row"), "{got:?}");
    assert!(
        sim.findings().iter().all(|f| !f.kind.is_violation()),
        "{:?}",
        sim.findings()
    );
    assert_eq!(sim.checker().count(FindingKind::Durability), 0);
}

#[test]
fn an_async_write_acknowledged_just_before_the_owner_dies_is_reported_lost() {
    let mut sim = Sim::new(with_mode(quiet_config(5), ReplicationMode::Async)).unwrap();
    sim.advance_to(t(500));
    let owner = DcId(3);
    let k = key_owned_by(&sim, owner);
    // Write from the owner's own DC so the ack is immediate, then kill before shipping.
    let r = run_op(&mut sim, owner, put(&k, 9), 100).unwrap();
    assert!(r.0);
    sim.apply(UserCommand::Kill(owner)).unwrap();
    sim.advance_by(3_000);
    let lost: Vec<_> = sim
        .findings()
        .iter()
        .filter(|f| f.kind == FindingKind::AsyncWriteLost)
        .collect();
    assert_eq!(lost.len(), 1, "{:?}", sim.findings());
    assert!(lost[0].keys.contains(&k));
    assert!(lost[0].cause.contains("killed"), "{}", lost[0].cause);
    // And indeed the new owner does not have it.
    let (new_owner, _) = sim.primary_for(TableId(0), &pk(&k));
    assert!(sim.row_at(new_owner, TableId(0), &pk(&k)).is_none());
    // When the old owner returns it steps down and drops the lost write too.
    sim.apply(UserCommand::Revive(owner)).unwrap();
    sim.advance_by(3_000);
    assert_eq!(sim.primary_for(TableId(0), &pk(&k)).0, new_owner);
    assert!(
        sim.row_at(owner, TableId(0), &pk(&k)).is_none(),
        "revived DC converged to the new primary"
    );
}

#[test]
fn semisync_acknowledges_after_one_replica() {
    let mut sim = Sim::new(with_mode(quiet_config(3), ReplicationMode::SemiSync)).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(0));
    let r = run_op(&mut sim, DcId(0), put(&k, 1), 2_000).unwrap();
    assert!(r.0 && r.1.contains("2 copies"), "{r:?}");
}

#[test]
fn quorum_writes_wait_for_w_copies() {
    let mut sim = Sim::new(with_mode(quiet_config(5), ReplicationMode::Quorum(3))).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(0));
    let r = run_op(&mut sim, DcId(0), put(&k, 1), 2_000).unwrap();
    assert!(r.0 && r.1.contains("3 copies"), "{r:?}");
}

/// Issue 9, reproduction 6: a read invoked before a write in the same millisecond is
/// concurrent with it, not after it — the checker orders them by event, not by the clock.
#[test]
fn a_read_invoked_before_a_write_in_the_same_millisecond_is_not_stale() {
    let mut c = with_mode(quiet_config(3), ReplicationMode::Async);
    c.read_consistency = tablestore_sim::config::ReadConsistency::Quorum;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(0));
    assert!(run_op(&mut sim, DcId(0), put(&k, 1), 2_000).unwrap().0);
    sim.advance_by(1_000);
    // A quorum read from a replica, then, in the same millisecond, a write at the primary:
    // the write is acknowledged at once (Async) while the read still waits for a remote
    // answer, and both answers it gets predate the write.
    sim.apply(UserCommand::Issue {
        home: DcId(1),
        op: get(&k),
    })
    .unwrap();
    sim.apply(UserCommand::Issue {
        home: DcId(0),
        op: put(&k, 2),
    })
    .unwrap();
    sim.advance_by(1_000);
    assert_eq!(sim.checker().reads, 1, "the read was checked");
    assert_eq!(sim.checker().stale_reads, 0, "{:?}", sim.findings());
}

/// `Bugs::replication_skips_dc0`, the seed's `_replicate_data`: DC0 is never sent the
/// log yet counted as holding it. A Sync write whose replicas are DC4 and DC0 is
/// acknowledged with 3 copies while DC0 has none; once its primary and DC4 die, the
/// failover promotes DC0 and the checker reports `Durability`. The correct protocol
/// keeps the write through the same faults.
#[test]
fn replication_that_skips_dc0_is_caught_as_durability() {
    let run = |bugs: tablestore_sim::Bugs| {
        let c = with_mode(quiet_config(5), ReplicationMode::Sync);
        let mut sim = Sim::with_bugs(c, bugs).unwrap();
        sim.advance_to(t(1_000));
        let owner = DcId(3);
        let k = key_owned_by(&sim, owner);
        assert_eq!(replicas_of(&sim, &k), vec![DcId(3), DcId(4), DcId(0)]);
        let r = run_op(&mut sim, owner, put(&k, 7), 2_000).unwrap();
        assert!(r.0 && r.1.contains("3 copies"), "{r:?}");
        let dc0_has_it = sim.row_at(DcId(0), TableId(0), &pk(&k)).is_some();
        sim.apply(UserCommand::Kill(DcId(3))).unwrap();
        sim.apply(UserCommand::Kill(DcId(4))).unwrap();
        sim.advance_to(sim.now().plus(10_000));
        let promoted = sim.primary_for(TableId(0), &pk(&k)).0;
        (
            dc0_has_it,
            promoted,
            sim.checker().count(FindingKind::Durability),
        )
    };
    let (has, promoted, lost) = run(tablestore_sim::Bugs::default());
    assert!(has);
    assert_eq!(promoted, DcId(0));
    assert_eq!(lost, 0);
    let (has, promoted, lost) = run(tablestore_sim::Bugs {
        replication_skips_dc0: true,
        ..Default::default()
    });
    assert!(!has, "DC0 was sent nothing");
    assert_eq!(promoted, DcId(0));
    assert!(lost > 0, "the checker reports Durability");
}
