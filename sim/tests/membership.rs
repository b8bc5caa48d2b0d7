//! Membership and placement changes (AddDc, RemoveDc, placement / R switches) keep every
//! acknowledged write, respect 2PC and the replication factor, and keep the checker's
//! tracking (issue 9, items 3 and 4). Each test reproduces a way main lost or hid data.

use crate::common::*;
use tablestore_sim::config::{region_dc, PlacementKind, ReplicationMode};
use tablestore_sim::table::Value;
use tablestore_sim::{
    Bugs, CommandError, DcId, EventKind, FindingKind, Sim, SimConfig, TableId, TxnId, UserCommand,
};

fn balance(sim: &Sim, d: DcId, k: &str) -> Option<Value> {
    sim.row_at(d, TableId(0), &pk(k))
        .filter(|r| !r.deleted)
        .and_then(|r| r.cells.get("balance").map(|(v, _)| v.clone()))
}

/// Heals, revives everyone and waits past the settle time.
fn settle(sim: &mut Sim) {
    sim.apply(UserCommand::HealAll).unwrap();
    for d in sim.dc_ids() {
        let _ = sim.apply(UserCommand::Revive(d));
    }
    let ms = sim.settle_ms() + 2_000;
    sim.advance_by(ms);
}

fn violations(sim: &Sim) -> Vec<String> {
    sim.findings()
        .iter()
        .filter(|f| f.kind.is_violation())
        .map(|f| format!("{:?}: {} — {}", f.kind, f.text, f.cause))
        .collect()
}

/// DC1 is cut off alone and still believes it leads its shard; the majority fails the
/// shard over and acknowledges a newer write. Returns (sim, key, new primary).
fn deposed_primary_still_up(bugs: Bugs) -> (Sim, String, DcId) {
    let mut sim = Sim::with_bugs(with_mode(quiet_config(5), ReplicationMode::Sync), bugs).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(1));
    assert!(run_op(&mut sim, DcId(0), put(&k, 1), 2_000).unwrap().0);
    sim.apply(UserCommand::Partition(vec![DcId(1)])).unwrap();
    sim.advance_by(3_000);
    let (p, e) = sim.primary_for(TableId(0), &pk(&k));
    assert!(p != DcId(1) && e.term >= 1, "failed over to {p} in {e}");
    let r = run_op(&mut sim, DcId(0), put(&k, 2), 3_000).unwrap();
    assert!(r.0, "{r:?}");
    let key = (TableId(0), sim.shard_of(&pk(&k)));
    assert_eq!(
        sim.shard_meta(DcId(1), key).unwrap().primary,
        DcId(1),
        "the deposed primary still believes it leads"
    );
    (sim, k, p)
}

#[test]
fn a_membership_change_takes_the_newest_copy_not_a_deposed_primarys() {
    let (mut sim, k, _) = deposed_primary_still_up(Bugs::default());
    sim.apply(UserCommand::AddDc(region_dc(5))).unwrap();
    let (p, _) = sim.primary_for(TableId(0), &pk(&k));
    assert_eq!(
        balance(&sim, p, &k),
        Some(Value::Int(2)),
        "the newest copy won"
    );
    settle(&mut sim);
    let (p, _) = sim.primary_for(TableId(0), &pk(&k));
    assert_eq!(balance(&sim, p, &k), Some(Value::Int(2)));
    for d in sim.placement().replicas(sim.shard_of(&pk(&k))) {
        assert_eq!(balance(&sim, d, &k), Some(Value::Int(2)), "at {d}");
    }
    assert!(violations(&sim).is_empty(), "{:?}", violations(&sim));
}

#[test]
fn the_checker_keeps_tracking_across_a_change_and_sees_a_copy_from_a_deposed_primary() {
    // Main reset the checker on every change: this loss was invisible.
    let bugs = Bugs {
        copy_from_any_believed_primary: true,
        ..Bugs::default()
    };
    let (mut sim, k, _) = deposed_primary_still_up(bugs);
    sim.apply(UserCommand::AddDc(region_dc(5))).unwrap();
    let lost: Vec<_> = sim
        .findings()
        .iter()
        .filter(|f| f.kind == FindingKind::Durability && f.keys.contains(&k))
        .collect();
    assert!(!lost.is_empty(), "{:?}", sim.findings());
    assert!(
        lost[0].cause.contains("membership change") && lost[0].cause.contains("add"),
        "the cause names the change: {}",
        lost[0].cause
    );
}

#[test]
fn every_admin_change_is_a_fault_note() {
    let mut sim = Sim::new(quiet_config(4)).unwrap();
    sim.advance_to(t(500));
    sim.apply(UserCommand::AddDc(region_dc(4))).unwrap();
    sim.apply(UserCommand::RemoveDc(DcId(0))).unwrap();
    let mut c = sim.config().clone();
    c.placement = PlacementKind::Ring;
    sim.apply(UserCommand::Configure(Box::new(c))).unwrap();
    let notes: Vec<&str> = sim
        .checker()
        .faults
        .iter()
        .map(|f| f.text.as_str())
        .collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(notes[0].contains("add") && notes[1].contains("remove"));
    assert!(notes[2].contains("Ring"), "{notes:?}");
}

#[test]
fn a_layout_epoch_is_above_every_failover_epoch() {
    // Two failovers of DC1's shard (terms 1 and 2), then a change: main gave the layout
    // term 1 (its change counter), below the shard's term 2.
    let mut sim = Sim::new(quiet_config(5)).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(1));
    sim.apply(UserCommand::Kill(DcId(1))).unwrap();
    sim.advance_by(3_000);
    let (p1, e1) = sim.primary_for(TableId(0), &pk(&k));
    sim.apply(UserCommand::Revive(DcId(1))).unwrap();
    sim.advance_by(2_000);
    sim.apply(UserCommand::Kill(p1)).unwrap();
    sim.advance_by(3_000);
    let (_, e2) = sim.primary_for(TableId(0), &pk(&k));
    assert!(e2 > e1 && e2.term >= 2, "{e1} then {e2}");
    sim.apply(UserCommand::Revive(p1)).unwrap();
    sim.advance_by(1_000);
    sim.apply(UserCommand::AddDc(region_dc(5))).unwrap();
    let key = (TableId(0), sim.shard_of(&pk(&k)));
    for d in sim.dc_ids() {
        let m = sim.shard_meta(d, key).unwrap();
        assert!(m.epoch.term > e2.term, "{d} leads in {}", m.epoch);
    }
}

#[test]
fn a_dc_down_during_a_change_keeps_its_state_and_rejoins_without_diverging() {
    // Main cleared the down DC's stores; revived, it could lead a new shard with an empty
    // log in the layout's epoch: same (epoch, index), different entries.
    let mut sim = Sim::new(with_mode(quiet_config(4), ReplicationMode::Sync)).unwrap();
    sim.advance_to(t(500));
    let keys: Vec<String> = (0..30).map(|i| format!("k{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        assert!(
            run_op(&mut sim, DcId(0), put(k, i as i64), 2_000)
                .unwrap()
                .0
        );
    }
    sim.apply(UserCommand::Kill(DcId(2))).unwrap();
    sim.advance_by(3_000);
    sim.apply(UserCommand::AddDc(region_dc(4))).unwrap();
    // The layout's primaries are up DCs.
    for k in &keys {
        let (p, _) = sim.primary_for(TableId(0), &pk(k));
        assert!(sim.is_up(p), "{k} led by {p}, which is down");
    }
    sim.apply(UserCommand::Revive(DcId(2))).unwrap();
    for (i, k) in keys.iter().enumerate().take(10) {
        let r = run_op(&mut sim, DcId(2), put(k, 100 + i as i64), 3_000).unwrap();
        assert!(r.0, "{k}: {r:?}");
    }
    settle(&mut sim);
    for (i, k) in keys.iter().enumerate() {
        let want = Value::Int(if i < 10 { 100 + i as i64 } else { i as i64 });
        for d in sim.placement().replicas(sim.shard_of(&pk(k))) {
            assert_eq!(balance(&sim, d, k), Some(want.clone()), "{k} at {d}");
        }
    }
    assert!(violations(&sim).is_empty(), "{:?}", violations(&sim));
}

#[test]
fn a_change_with_too_few_replicas_up_is_refused_and_changes_nothing() {
    let mut sim = Sim::new(with_mode(quiet_config(5), ReplicationMode::Quorum(2))).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(1));
    assert!(run_op(&mut sim, DcId(0), put(&k, 1), 2_000).unwrap().0);
    let reps = sim.placement().replicas(sim.shard_of(&pk(&k)));
    // Quorum(2) of 3: two replicas must be up to be sure to see every write.
    sim.apply(UserCommand::Kill(reps[0])).unwrap();
    sim.apply(UserCommand::Kill(reps[1])).unwrap();
    let before = sim.placement().clone();
    let err = sim
        .apply(UserCommand::AddDc(region_dc(5)))
        .expect_err("refused");
    let text = err.to_string();
    assert!(matches!(err, CommandError::Refused(_)), "{err:?}");
    assert!(
        text.contains("Revive") && text.contains("1 of its 3"),
        "{text}"
    );
    assert_eq!(sim.dc_ids().len(), 5);
    assert_eq!(sim.placement().members, before.members);
    sim.apply(UserCommand::Revive(reps[1])).unwrap();
    sim.apply(UserCommand::AddDc(region_dc(5))).unwrap();
    settle(&mut sim);
    let (p, _) = sim.primary_for(TableId(0), &pk(&k));
    assert_eq!(balance(&sim, p, &k), Some(Value::Int(1)));
    assert!(violations(&sim).is_empty(), "{:?}", violations(&sim));
}

#[test]
fn removing_a_dc_below_a_write_quorum_or_r_is_refused() {
    // Main let 3 → 2 DCs with a Quorum(3) table: every later write timed out.
    let mut sim = Sim::new(with_mode(quiet_config(3), ReplicationMode::Quorum(3))).unwrap();
    sim.advance_to(t(500));
    let err = sim
        .apply(UserCommand::RemoveDc(DcId(2)))
        .expect_err("refused");
    assert!(matches!(err, CommandError::Refused(_)), "{err:?}");
    assert!(err.to_string().contains("R = 3"), "{err}");
    assert_eq!(sim.dc_ids().len(), 3);
    // With R = 2 the quorum of 3 is out of reach anyway; a quorum of 2 fits two DCs.
    let mut c = SimConfig::with_dcs(4);
    c.workload.ops_per_sec = 0;
    c.replication_factor = 3;
    for t in &mut c.tables {
        t.mode = ReplicationMode::Quorum(3);
    }
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    sim.apply(UserCommand::RemoveDc(DcId(3))).unwrap();
    let err = sim
        .apply(UserCommand::RemoveDc(DcId(2)))
        .expect_err("refused");
    assert!(err.to_string().contains("R = 3"), "{err}");
}

#[test]
fn removing_a_dc_with_an_unresolved_transaction_drains_it_first() {
    // Main removed the coordinator: its participants stayed in doubt forever. Now the
    // change waits for the transaction (new ones are refused meanwhile), then runs.
    let mut sim = Sim::new(quiet_config(5)).unwrap();
    sim.advance_to(t(500));
    let keys = spread_keys(&sim, DcId(0));
    let req = sim.next_req();
    sim.apply(UserCommand::Issue {
        home: DcId(0),
        op: txn_over(&keys),
    })
    .unwrap();
    sim.advance_by(1);
    let txn = TxnId(req.0);
    assert_eq!(sim.unresolved_txns(), vec![txn]);
    // The worst instant: the coordinator dies with the transaction open.
    sim.apply(UserCommand::Kill(DcId(0))).unwrap();
    sim.apply(UserCommand::RemoveDc(DcId(0)))
        .expect("accepted as a drain");
    let (what, _) = sim.draining().expect("waiting");
    assert!(what.contains("remove"), "{what}");
    let shown = sim.snapshot().draining.unwrap_or_default();
    assert!(
        shown.contains(&txn.to_string()),
        "the page names it: {shown}"
    );
    assert_eq!(sim.dc_ids().len(), 5, "nothing changed yet");
    // A second layout change is refused, naming the transaction it waits for.
    let mut c = sim.config().clone();
    c.replication_factor = 2;
    let err = sim
        .apply(UserCommand::Configure(Box::new(c.clone())))
        .expect_err("one change at a time");
    assert!(
        matches!(err, CommandError::Refused(_)) && err.to_string().contains(&txn.to_string()),
        "{err}"
    );
    // New transactions are refused at admission; single-row writes go on.
    let more = spread_keys(&sim, DcId(1));
    let r = run_op(&mut sim, DcId(1), txn_over(&more), 2_000).unwrap();
    assert!(!r.0 && r.1.contains("waiting"), "{r:?}");
    let free = (0..)
        .map(|i| format!("k{i}"))
        .find(|k| !keys.contains(k))
        .unwrap();
    let r = run_op(&mut sim, DcId(1), put(&free, 9), 2_000).unwrap();
    assert!(r.0, "{r:?}");
    // It waits as long as the coordinator is down (its participants are in doubt).
    sim.advance_by(5_000);
    assert!(sim.draining().is_some());
    assert_eq!(sim.dc_ids().len(), 5);
    // Revived, the coordinator finishes the transaction, and the removal runs.
    sim.apply(UserCommand::Revive(DcId(0))).unwrap();
    sim.advance_by(5_000);
    assert!(sim.unresolved_txns().is_empty());
    assert!(sim.draining().is_none());
    assert!(!sim.dc_ids().contains(&DcId(0)), "DC0 removed");
    settle(&mut sim);
    let committed = sim.events().any(|e| {
        matches!(&e.kind, EventKind::Coord { txn: t, state } if *t == txn && format!("{state:?}") == "Committed")
    });
    for k in &keys {
        let (p, _) = sim.primary_for(TableId(0), &pk(k));
        let want = if committed { Some(Value::Int(1)) } else { None };
        assert_eq!(balance(&sim, p, k), want, "{k} (committed: {committed})");
    }
    assert!(violations(&sim).is_empty(), "{:?}", violations(&sim));
}

#[test]
fn a_write_waiting_for_copies_during_a_change_gets_a_definite_answer() {
    // Main dropped the waiting write's pending acknowledgement: the client only timed out.
    let mut sim = Sim::new(with_mode(quiet_config(4), ReplicationMode::Sync)).unwrap();
    sim.advance_to(t(500));
    let k = key_owned_by(&sim, DcId(1));
    let req = sim.next_req();
    sim.apply(UserCommand::Issue {
        home: DcId(1),
        op: put(&k, 7),
    })
    .unwrap();
    sim.advance_by(1);
    sim.apply(UserCommand::AddDc(region_dc(4))).unwrap();
    sim.advance_by(50);
    let r = op_outcome(&sim, req.0).expect("answered at once, not after the timeout");
    assert!(!r.0 && r.1.contains("deposed by a newer epoch"), "{r:?}");
    settle(&mut sim);
    assert!(violations(&sim).is_empty(), "{:?}", violations(&sim));
}
