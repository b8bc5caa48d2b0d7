//! Log compaction and snapshot install: logs are truncated below what every live replica
//! holds, a replica behind the compaction point catches up by `InstallSnapshot`, the
//! snapshot carries the 2PC state, and memory (log entries) stays bounded.

use crate::common::*;
use tablestore_sim::config::{region_dc, ReplicationMode};
use tablestore_sim::table::{COMPACT_EVERY, COMPACT_KEEP};
use tablestore_sim::{
    CoordState, DcId, EventKind, MsgKind, ShardId, Sim, SimTime, TableId, TxnId, UserCommand,
};

type Key = (TableId, ShardId);

fn key_of(sim: &Sim, k: &str) -> Key {
    (TableId(0), sim.shard_of(&pk(k)))
}

/// Plain writes to `k` (home: its owner), each run to its answer.
fn write_many(sim: &mut Sim, home: DcId, k: &str, n: i64) {
    for v in 0..n {
        let r = run_op(sim, home, put(k, v), 2_000).expect("answered");
        assert!(r.0, "write {v} of {k}: {r:?}");
    }
}

fn installs_at(sim: &Sim, d: DcId) -> usize {
    sim.events()
        .filter(|e| e.dc == Some(d) && matches!(e.kind, EventKind::SnapshotInstalled { .. }))
        .count()
}

/// `d`'s copy of `key` is the primary's: same last position, same rows.
fn assert_converged(sim: &Sim, key: Key, d: DcId) {
    let primary = sim.live_primary(key).expect("a live primary").1;
    let p = sim.store_at(primary, key).unwrap();
    let s = sim.store_at(d, key).unwrap();
    assert_eq!(s.last(), p.last(), "{d} ends where primary {primary} does");
    assert_eq!(s.rows, p.rows, "{d} holds the primary's rows");
    assert_eq!(s.intents, p.intents, "{d} holds the primary's intents");
}

fn assert_no_violation(sim: &Sim) {
    let v: Vec<_> = sim
        .findings()
        .iter()
        .filter(|f| f.kind.is_violation())
        .collect();
    assert!(v.is_empty(), "violations: {v:#?}");
}

#[test]
fn a_primary_compacts_below_what_every_replica_holds_and_serves_the_same_rows() {
    let mut sim = Sim::new(with_mode(quiet_config(3), ReplicationMode::Sync)).unwrap();
    sim.advance_to(t(500));
    let owner = DcId(0);
    let k = key_owned_by(&sim, owner);
    let key = key_of(&sim, &k);
    let n = (3 * (COMPACT_KEEP + COMPACT_EVERY)) as i64;
    write_many(&mut sim, owner, &k, n);
    sim.advance_by(1_000);
    for d in sim.placement().replicas(key.1) {
        let s = sim.store_at(d, key).unwrap();
        assert_eq!(s.last_index(), n as u64, "{d} holds every write");
        assert!(s.snapshot_index() > 0, "{d} compacted its log");
        assert!(
            (s.log.len() as u64) <= COMPACT_KEEP + COMPACT_EVERY,
            "{d} retains {} entries",
            s.log.len()
        );
        let row = s.rows.get(&pk(&k)).unwrap();
        assert_eq!(
            row.version.pos.index, n as u64,
            "{d} serves the newest write"
        );
    }
    assert_eq!(installs_at(&sim, DcId(1)) + installs_at(&sim, DcId(2)), 0);
    assert_no_violation(&sim);
}

#[test]
fn a_replica_revived_after_the_log_was_compacted_past_it_catches_up_by_snapshot_install() {
    let mut sim = Sim::new(with_mode(quiet_config(3), ReplicationMode::Quorum(2))).unwrap();
    sim.advance_to(t(500));
    let owner = DcId(0);
    let k = key_owned_by(&sim, owner);
    let key = key_of(&sim, &k);
    let lagger = sim.placement().replicas(key.1)[1];
    sim.apply(UserCommand::Kill(lagger)).unwrap();
    sim.advance_by(1_500);
    write_many(&mut sim, owner, &k, 80);
    sim.advance_by(1_000);
    let behind = sim.store_at(lagger, key).unwrap().last_index();
    let snap = sim.store_at(owner, key).unwrap().snapshot_index();
    assert!(
        snap > behind,
        "the primary compacted past the dead replica ({snap} > {behind})"
    );
    sim.apply(UserCommand::Revive(lagger)).unwrap();
    let mut saw_snapshot_msg = false;
    for _ in 0..60 {
        sim.advance_by(50);
        saw_snapshot_msg |= sim
            .in_flight()
            .any(|m| m.kind() == MsgKind::InstallSnapshot && m.dst == lagger);
    }
    assert!(
        saw_snapshot_msg,
        "an InstallSnapshot message was on its way"
    );
    assert!(
        installs_at(&sim, lagger) >= 1,
        "{lagger} installed a snapshot"
    );
    let s = sim.store_at(lagger, key).unwrap();
    assert!(
        s.snapshot_index() >= snap,
        "it holds the primary's snapshot"
    );
    assert_converged(&sim, key, lagger);
    // And it goes on by log shipping.
    write_many(&mut sim, owner, &k, 5);
    sim.advance_by(1_000);
    assert_converged(&sim, key, lagger);
    assert_no_violation(&sim);
}

#[test]
fn a_snapshot_installed_replica_compares_by_its_last_position_and_can_be_promoted() {
    // Sync with R = 3: the failover asks every replica it sees alive and promotes the
    // newest by (epoch, index); the revived replica's copy came from a snapshot.
    let mut sim = Sim::new(with_mode(quiet_config(3), ReplicationMode::Sync)).unwrap();
    sim.advance_to(t(500));
    let owner = DcId(0);
    let k = key_owned_by(&sim, owner);
    let key = key_of(&sim, &k);
    let lagger = sim.placement().replicas(key.1)[1];
    sim.apply(UserCommand::Kill(lagger)).unwrap();
    sim.advance_by(1_500);
    write_many(&mut sim, owner, &k, 80);
    sim.apply(UserCommand::Revive(lagger)).unwrap();
    sim.advance_by(3_000);
    assert!(installs_at(&sim, lagger) >= 1);
    let before = sim.store_at(owner, key).unwrap().last();
    sim.apply(UserCommand::Kill(owner)).unwrap();
    sim.advance_by(5_000);
    let (_, primary) = sim.live_primary(key).expect("failed over");
    assert_ne!(primary, owner);
    let p = sim.store_at(primary, key).unwrap();
    assert!(
        p.last_index() >= before.index,
        "the new primary has every entry"
    );
    assert_eq!(p.rows.get(&pk(&k)).unwrap().version.pos, before);
    sim.apply(UserCommand::Revive(owner)).unwrap();
    sim.advance_by(4_000);
    for d in sim.placement().replicas(key.1) {
        assert_converged(&sim, key, d);
    }
    assert_no_violation(&sim);
}

#[test]
fn a_dc_down_during_a_membership_change_catches_up_by_snapshot_after_compaction() {
    let mut c = with_mode(quiet_config(4), ReplicationMode::Quorum(2));
    c.replication_factor = 3;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(0));
    write_many(&mut sim, DcId(0), &k, 40);
    sim.advance_by(1_000);
    // A DC that is down during the change rejoins the new layout empty.
    let down = DcId(3);
    sim.apply(UserCommand::Kill(down)).unwrap();
    sim.advance_by(1_500);
    sim.apply(UserCommand::AddDc(region_dc(4))).unwrap();
    sim.advance_by(1_000);
    assert!(sim.dc_ids().contains(&DcId(4)));
    // Write to a shard the down DC replicates in the new layout, past compaction.
    let key = (0..sim.placement().shard_count())
        .map(|s| (TableId(0), ShardId(s)))
        .find(|k| sim.placement().replicas(k.1).contains(&down))
        .expect("the down DC replicates a shard");
    let primary = sim.live_primary(key).unwrap().1;
    let k = (0..10_000)
        .map(|i| format!("m{i}"))
        .find(|k| key_of(&sim, k) == key)
        .unwrap();
    write_many(&mut sim, primary, &k, 60);
    sim.advance_by(1_000);
    assert!(
        sim.store_at(primary, key).unwrap().snapshot_index()
            > sim.store_at(down, key).unwrap().last_index()
    );
    sim.apply(UserCommand::Revive(down)).unwrap();
    sim.advance_by(3_000);
    assert!(installs_at(&sim, down) >= 1, "{down} installed a snapshot");
    assert_converged(&sim, key, down);
    // The added DC holds its shards as their primaries do.
    for s in 0..sim.placement().shard_count() {
        let key = (TableId(0), ShardId(s));
        if sim.placement().replicas(key.1).contains(&DcId(4)) {
            assert_converged(&sim, key, DcId(4));
        }
    }
    assert_no_violation(&sim);
}

#[test]
fn a_dc_added_after_compaction_holds_the_shards_it_joins() {
    let mut sim = Sim::new(with_mode(quiet_config(3), ReplicationMode::Sync)).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(0));
    let key = key_of(&sim, &k);
    write_many(&mut sim, DcId(0), &k, 60);
    sim.advance_by(1_000);
    assert!(sim.store_at(DcId(0), key).unwrap().snapshot_index() > 0);
    sim.apply(UserCommand::AddDc(region_dc(3))).unwrap();
    sim.advance_by(1_000);
    let new = DcId(3);
    let joined: Vec<Key> = (0..sim.placement().shard_count())
        .map(|s| (TableId(0), ShardId(s)))
        .filter(|k| sim.placement().replicas(k.1).contains(&new))
        .collect();
    assert!(!joined.is_empty());
    for key in &joined {
        let primary = sim.live_primary(*key).unwrap().1;
        let k = (0..10_000)
            .map(|i| format!("n{i}"))
            .find(|k| key_of(&sim, k) == *key)
            .unwrap();
        write_many(&mut sim, primary, &k, 40);
    }
    sim.advance_by(1_500);
    for key in joined {
        assert_converged(&sim, key, new);
    }
    assert_no_violation(&sim);
}

#[test]
fn compaction_never_drops_an_in_doubt_transactions_prepare_and_it_still_commits() {
    let mut c = with_mode(quiet_config(5), ReplicationMode::Sync);
    c.txn_timeout_ms = 1_500;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let coord = DcId(0);
    // The transaction's keys (as `txn_to_its_decision` picks them).
    let keys = spread_keys(&sim, coord);
    let txn: TxnId = txn_to_its_decision(&mut sim, coord);
    let decided = sim.txn(txn).unwrap().coord_states.last().unwrap().1;
    assert_eq!(decided, CoordState::Committed);
    // Between the phases: the participants are in doubt and hold their locks.
    sim.apply(UserCommand::Kill(coord)).unwrap();
    sim.advance_by(2_500);
    // A participant shard the coordinator does not replicate, if there is one.
    let tk = keys
        .iter()
        .find(|k| {
            !sim.placement()
                .replicas(sim.shard_of(&pk(k)))
                .contains(&coord)
        })
        .unwrap_or(&keys[0])
        .clone();
    let key = key_of(&sim, &tk);
    let primary = sim.live_primary(key).unwrap().1;
    let lagger = sim
        .placement()
        .replicas(key.1)
        .into_iter()
        .find(|&d| d != primary && d != coord)
        .expect("a replica that is not the coordinator");
    sim.apply(UserCommand::Kill(lagger)).unwrap();
    sim.advance_by(1_500);
    // Many writes to other rows of the participant shard: the log is compacted past
    // the PREPARE while the transaction is undecided.
    let other = (0..10_000)
        .map(|i| format!("x{i}"))
        .find(|k| key_of(&sim, k) == key)
        .unwrap();
    write_many(&mut sim, primary, &other, 80);
    sim.advance_by(1_000);
    let p = sim.store_at(primary, key).unwrap();
    let intent = p.intents.get(&txn).expect("the intent survives compaction");
    assert!(
        p.snapshot_index() >= intent.pos.index,
        "the PREPARE is compacted ({} < {})",
        intent.pos.index,
        p.snapshot_index()
    );
    assert!(
        p.compacted.intents.contains_key(&txn),
        "carried by the snapshot"
    );
    assert_eq!(p.locks.get(&pk(&tk)), Some(&txn), "its row stays locked");
    // A plain write to the locked row is still refused.
    let r = run_op(&mut sim, primary, put(&tk, 9), 2_000).unwrap();
    assert!(!r.0, "locked row written: {r:?}");
    // The lagging replica installs the snapshot, intents and locks included.
    sim.apply(UserCommand::Revive(lagger)).unwrap();
    sim.advance_by(3_000);
    assert!(installs_at(&sim, lagger) >= 1);
    let l = sim.store_at(lagger, key).unwrap();
    assert!(
        l.intents.contains_key(&txn),
        "the installed copy holds the intent"
    );
    assert_eq!(l.locks.get(&pk(&tk)), Some(&txn));
    // Now the old primary dies: the snapshot-installed replica may lead the shard.
    sim.apply(UserCommand::Kill(primary)).unwrap();
    sim.advance_by(4_000);
    // The coordinator returns and commits everywhere.
    sim.apply(UserCommand::Revive(coord)).unwrap();
    sim.apply(UserCommand::Revive(primary)).unwrap();
    sim.advance_by(6_000);
    for l in sim.dc_loads() {
        assert_eq!((l.prepared, l.in_doubt, l.locks), (0, 0, 0), "{:?}", l.dc);
    }
    for k in &keys {
        let key = key_of(&sim, k);
        let (_, leader) = sim.live_primary(key).unwrap();
        let s = sim.store_at(leader, key).unwrap();
        assert!(
            matches!(s.resolved.get(&txn), Some((true, _))),
            "{leader} committed {txn} on {k}"
        );
        assert_eq!(
            s.rows.get(&pk(k)).map(|r| r.write_id >> 8),
            Some(txn.0),
            "{k} holds the transaction's write"
        );
        assert!(s.locks.is_empty() && s.intents.is_empty());
    }
    assert_no_violation(&sim);
}

#[test]
fn the_logs_stay_bounded_over_a_long_busy_run() {
    let mut c = tablestore_sim::SimConfig::with_dcs(5);
    c.seed = 3;
    c.workload.ops_per_sec = 200;
    let mut sim = Sim::new(c).unwrap();
    let mut peak = 0;
    for minute in 1..=3u64 {
        sim.advance_to(SimTime(minute * 60_000));
        let (kept, all) = sim.log_entries();
        peak = peak.max(kept);
        println!("t={minute} min: {kept} entries retained of {all} appended");
    }
    let (kept, all) = sim.log_entries();
    assert!(all > 20 * kept, "compaction keeps {kept} of {all}");
    // Per shard copy: the tail, one compaction's worth, and what is in flight.
    let copies = sim
        .dc_ids()
        .iter()
        .map(|&d| {
            (0..sim.placement().shard_count())
                .filter(|&s| sim.store_at(d, (TableId(0), ShardId(s))).is_some())
                .count() as u64
        })
        .sum::<u64>()
        * sim.config().tables.len() as u64;
    assert!(
        peak <= copies * (COMPACT_KEEP + COMPACT_EVERY + 64),
        "peak {peak} entries over {copies} copies"
    );
}
