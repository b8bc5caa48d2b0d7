//! Two-phase commit across DCs: commit, abort on NO, blocking in doubt, recovery.

use crate::common::*;
use tablestore_sim::{Breakpoint, DcId, EventKind, Sim, TableId, TxnId, UserCommand};
use tablestore_sim::{CoordState, PartState};

fn part_states(sim: &Sim, txn: TxnId) -> Vec<(DcId, PartState)> {
    let t = sim.txn(txn).expect("traced");
    t.part_states
        .iter()
        .map(|(d, v)| (*d, v.last().unwrap().1))
        .collect()
}

#[test]
fn a_transaction_across_three_owners_commits_everywhere() {
    let mut sim = Sim::new(quiet_config(5)).unwrap();
    sim.advance_to(t(500));
    let keys = spread_keys(&sim, DcId(0));
    let req = sim.next_req();
    let r = run_op(&mut sim, DcId(0), txn_over(&keys), 5_000).unwrap();
    assert!(r.0, "{r:?}");
    let txn = TxnId(req.0);
    let states = part_states(&sim, txn);
    assert_eq!(states.len(), 3);
    assert!(
        states.iter().all(|(_, s)| *s == PartState::Committed),
        "{states:?}"
    );
    for k in &keys {
        let (owner, _) = sim.primary_for(TableId(0), &pk(k));
        assert!(
            sim.row_at(owner, TableId(0), &pk(k)).is_some(),
            "{k} applied at {owner}"
        );
    }
    sim.advance_by(2_000);
    let coord = &sim.txn(txn).unwrap().coord_states;
    assert_eq!(
        coord.last().unwrap().1,
        CoordState::Ended,
        "END logged after every ack"
    );
}

#[test]
fn a_participants_no_vote_aborts_the_transaction_everywhere() {
    let mut sim = Sim::new(quiet_config(5)).unwrap();
    sim.advance_to(t(500));
    let keys = spread_keys(&sim, DcId(0));
    // T1 prepares at all participants, then its coordinator dies before deciding: the
    // participants hold T1's locks in doubt.
    sim.set_breakpoint(None);
    let r1 = sim.next_req();
    sim.apply(UserCommand::Issue {
        home: DcId(0),
        op: txn_over(&keys),
    })
    .unwrap();
    // Cut the votes' way home so the coordinator never decides, then kill it.
    for d in sim.dc_ids() {
        if d != DcId(0) {
            sim.apply(UserCommand::CutLink {
                from: d,
                to: DcId(0),
            })
            .unwrap();
        }
    }
    sim.advance_by(400);
    sim.apply(UserCommand::Kill(DcId(0))).unwrap();
    sim.apply(UserCommand::HealAll).unwrap();
    // T2 from another DC touches one of T1's rows: that participant votes NO.
    let other = key_owned_by(&sim, DcId(4));
    let conflict = vec![keys[0].clone(), other];
    let r2 = sim.next_req();
    let res = run_op(&mut sim, DcId(1), txn_over(&conflict), 5_000).unwrap();
    assert!(!res.0, "T2 must abort: {res:?}");
    let t2 = TxnId(r2.0);
    let states = part_states(&sim, t2);
    assert!(
        states.iter().all(|(_, s)| *s == PartState::Aborted),
        "T2 aborted at every participant: {states:?}"
    );
    assert!(sim
        .txn(t2)
        .unwrap()
        .coord_states
        .iter()
        .any(|(_, s)| *s == CoordState::Aborted));
    // No participant of T2 committed.
    assert_eq!(
        sim.checker().count(tablestore_sim::FindingKind::Atomicity),
        0
    );
    let _ = r1;
}

#[test]
fn killing_the_coordinator_after_all_yes_votes_blocks_participants_in_doubt_until_it_returns() {
    let mut c = quiet_config(5);
    c.txn_timeout_ms = 400;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let coord = DcId(0);
    let keys = spread_keys(&sim, coord);
    let req = sim.next_req();
    let txn = TxnId(req.0);
    sim.set_breakpoint(Some(Breakpoint::TxnDecision));
    sim.apply(UserCommand::Issue {
        home: coord,
        op: txn_over(&keys),
    })
    .unwrap();
    // Run until the coordinator has durably decided — all YES votes are in.
    assert!(
        run_to_breakpoint(&mut sim, 5_000),
        "the coordinator decided"
    );
    assert_eq!(
        sim.txn(txn).unwrap().coord_states.last().unwrap().1,
        CoordState::Committed
    );
    sim.set_breakpoint(None);
    // Between the two phases: the decision has not left yet.
    sim.apply(UserCommand::Kill(coord)).unwrap();
    sim.advance_by(5_000);
    let states = part_states(&sim, txn);
    assert_eq!(states.len(), 3);
    for (d, s) in &states {
        assert_eq!(
            *s,
            PartState::InDoubt,
            "{d} is in doubt (may not decide alone)"
        );
        let snap = sim.snapshot();
        let dc = snap.dcs.iter().find(|x| x.id == *d).unwrap();
        assert!(dc.locks >= 1, "{d} still holds its locks");
    }
    // A plain write to a locked row is refused while in doubt.
    let blocked = run_op(&mut sim, DcId(1), put(&keys[0], 5), 3_000).unwrap();
    assert!(
        !blocked.0 && blocked.1.contains("locked by transaction"),
        "{blocked:?}"
    );
    // The coordinator returns, replays its log, and resends COMMIT.
    sim.apply(UserCommand::Revive(coord)).unwrap();
    sim.advance_by(3_000);
    let states = part_states(&sim, txn);
    assert!(
        states.iter().all(|(_, s)| *s == PartState::Committed),
        "{states:?}"
    );
    let snap = sim.snapshot();
    assert!(snap.dcs.iter().all(|d| d.locks == 0 && d.in_doubt == 0));
    assert!(sim
        .events()
        .any(|e| matches!(e.kind, EventKind::Recovered { redo, .. } if redo >= 1)));
}

#[test]
fn a_coordinator_that_dies_before_deciding_presumes_abort_on_recovery() {
    let mut sim = Sim::new(quiet_config(5)).unwrap();
    sim.advance_to(t(500));
    let coord = DcId(0);
    let keys = spread_keys(&sim, coord);
    let req = sim.next_req();
    sim.apply(UserCommand::Issue {
        home: coord,
        op: txn_over(&keys),
    })
    .unwrap();
    for d in sim.dc_ids() {
        if d != coord {
            sim.apply(UserCommand::CutLink { from: d, to: coord })
                .unwrap();
        }
    }
    sim.advance_by(300);
    sim.apply(UserCommand::Kill(coord)).unwrap();
    sim.apply(UserCommand::HealAll).unwrap();
    sim.advance_by(2_000);
    assert!(part_states(&sim, TxnId(req.0))
        .iter()
        .all(|(_, s)| *s == PartState::InDoubt));
    sim.apply(UserCommand::Revive(coord)).unwrap();
    sim.advance_by(3_000);
    let states = part_states(&sim, TxnId(req.0));
    assert!(
        states.iter().all(|(_, s)| *s == PartState::Aborted),
        "{states:?}"
    );
    for k in &keys {
        let (owner, _) = sim.primary_for(TableId(0), &pk(k));
        assert!(
            sim.row_at(owner, TableId(0), &pk(k)).is_none(),
            "aborted writes are not applied"
        );
    }
}

#[test]
fn the_trace_shows_every_prepare_including_ones_dropped_at_send() {
    let mut sim = Sim::new(quiet_config(5)).unwrap();
    sim.advance_to(t(500));
    let keys = spread_keys(&sim, DcId(0));
    let cut_to = sim.primary_for(TableId(0), &pk(&keys[0])).0;
    sim.apply(UserCommand::CutLink {
        from: DcId(0),
        to: cut_to,
    })
    .unwrap();
    let req = sim.next_req();
    sim.apply(UserCommand::Issue {
        home: DcId(0),
        op: txn_over(&keys),
    })
    .unwrap();
    let trace = sim.txn(TxnId(req.0)).unwrap();
    let prepares: Vec<_> = trace
        .msgs
        .iter()
        .filter(|m| m.kind == tablestore_sim::MsgKind::Prepare)
        .collect();
    assert_eq!(prepares.len(), 3, "{:?}", trace.msgs);
    let dropped = prepares.iter().find(|m| m.dst == cut_to).unwrap();
    assert_eq!(
        dropped.delivered,
        Some(false),
        "dropped at send over the cut link"
    );
    assert!(
        prepares
            .iter()
            .filter(|m| m.dst != cut_to)
            .all(|m| m.delivered.is_none()),
        "the others are in flight"
    );
}

/// Issue 9, reproduction 1: a transaction over a row of DC1 and a row of DC2, coordinated
/// by DC3, every table Sync, paused at the decision; DC1 dies. Returns the sim (DC1 down,
/// the decision durable at DC3 and not yet sent), the two keys and the transaction.
fn decided_then_participant_dies() -> (Sim, String, String, TxnId) {
    let mut c = with_mode(
        quiet_config(5),
        tablestore_sim::config::ReplicationMode::Sync,
    );
    // Votes wait for the PREPARE to reach every replica: give them the default time.
    c.txn_timeout_ms = 2_000;
    // The client waits through the failover for the END.
    c.request_timeout_ms = 20_000;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(500));
    let (ka, kb) = (key_owned_by(&sim, DcId(1)), key_owned_by(&sim, DcId(2)));
    let txn = TxnId(sim.next_req().0);
    sim.set_breakpoint(Some(Breakpoint::TxnDecision));
    sim.apply(UserCommand::Issue {
        home: DcId(3),
        op: txn_over(&[ka.clone(), kb.clone()]),
    })
    .unwrap();
    assert!(
        run_to_breakpoint(&mut sim, 5_000),
        "the coordinator decided"
    );
    let decided = sim.txn(txn).unwrap().coord_states.last().unwrap().1;
    assert_eq!(decided, CoordState::Committed);
    sim.set_breakpoint(None);
    sim.apply(UserCommand::Kill(DcId(1))).unwrap();
    (sim, ka, kb, txn)
}

/// The write id of a transaction's `i`-th row (0-based), as the core numbers them.
fn txn_row(txn: TxnId, i: u64) -> u64 {
    (txn.0 << 8) | (i + 1)
}

#[test]
fn a_primary_promoted_after_a_failover_inherits_the_prepared_rows_locks_and_commits_them() {
    let (mut sim, ka, kb, txn) = decided_then_participant_dies();
    // Hold the decision back: the coordinator cannot reach anyone.
    for d in sim.dc_ids() {
        if d != DcId(3) {
            sim.apply(UserCommand::CutLink {
                from: DcId(3),
                to: d,
            })
            .unwrap();
        }
    }
    sim.advance_by(3_000);
    let (p, _) = sim.primary_for(TableId(0), &pk(&ka));
    assert_ne!(p, DcId(1), "{ka}'s shard failed over");
    // The new primary holds the transaction's lock: a plain write must wait for it.
    let r = run_op(&mut sim, DcId(4), put(&ka, 99), 1_500).expect("answered");
    assert!(
        !r.0 && r.1.contains("locked by transaction"),
        "the lock survived the failover: {r:?}"
    );
    sim.apply(UserCommand::HealAll).unwrap();
    sim.advance_by(3_000);
    let done = op_outcome(&sim, txn.0).expect("the transaction completed");
    assert!(done.0, "committed: {done:?}");
    let (p, _) = sim.primary_for(TableId(0), &pk(&ka));
    let (q, _) = sim.primary_for(TableId(0), &pk(&kb));
    assert_eq!(
        sim.row_at(p, TableId(0), &pk(&ka)).map(|r| r.write_id),
        Some(txn_row(txn, 0))
    );
    assert_eq!(
        sim.row_at(q, TableId(0), &pk(&kb)).map(|r| r.write_id),
        Some(txn_row(txn, 1))
    );
    // DC1 comes back with its stale copy and converges on the new primary's.
    sim.apply(UserCommand::Revive(DcId(1))).unwrap();
    sim.advance_by(5_000);
    assert_eq!(
        sim.row_at(DcId(1), TableId(0), &pk(&ka))
            .map(|r| r.write_id),
        Some(txn_row(txn, 0))
    );
    assert_eq!(sim.checker().violations(), 0, "{:?}", sim.findings());
}

#[test]
fn a_participant_revived_mid_failover_cannot_acknowledge_the_commit_for_its_shard() {
    let (mut sim, ka, _kb, txn) = decided_then_participant_dies();
    // DC1 returns just after its shard failed over: it may apply the COMMIT in its stale
    // epoch, but only the new primary's durable COMMIT may be acknowledged.
    sim.advance_by(2_250);
    sim.apply(UserCommand::Revive(DcId(1))).unwrap();
    sim.advance_by(6_000);
    let done = op_outcome(&sim, txn.0).expect("the transaction completed");
    assert!(done.0, "committed: {done:?}");
    let key = (TableId(0), sim.shard_of(&pk(&ka)));
    for d in sim.placement().replicas(key.1) {
        assert_eq!(
            sim.row_at(d, TableId(0), &pk(&ka)).map(|r| r.write_id),
            Some(txn_row(txn, 0)),
            "{d} holds the committed row"
        );
    }
    assert_eq!(sim.checker().violations(), 0, "{:?}", sim.findings());
}

/// DC0 begins a transaction on a row of `k`'s shard other than `k`; returns that row.
fn begin_txn_on_another_row(sim: &mut Sim, k: &str) -> String {
    let shard = sim.shard_of(&pk(k));
    let k2 = (0..10_000)
        .map(|i| format!("k{i}"))
        .find(|k2| k2 != k && sim.shard_of(&pk(k2)) == shard)
        .expect("another row of the shard");
    sim.apply(UserCommand::Issue {
        home: DcId(0),
        op: txn_over(std::slice::from_ref(&k2)),
    })
    .unwrap();
    k2
}

/// Runs 1 ms at a time (at most 2 s) until DC `p` holds `txn`'s PREPARE.
fn run_until_prepared(sim: &mut Sim, txn: TxnId, p: DcId) {
    let prepared = |sim: &Sim| {
        sim.txn(txn)
            .and_then(|tr| tr.part_states.get(&p))
            .is_some_and(|v| v.iter().any(|s| s.1 == PartState::Prepared))
    };
    for _ in 0..2_000 {
        if prepared(sim) {
            break;
        }
        sim.advance_by(1);
    }
    assert!(prepared(sim), "{p} prepared {txn}");
}

/// Review of "the coordinator forgets a transaction at END": an async participant's
/// replicas get T's PREPARE but not its COMMIT (cut off from their primary), the primary
/// applies the COMMIT alone and acknowledges it, T ENDs and its record goes. The
/// coordinator then crashes and revives (is `committed` durable?), and the participant
/// primary dies: a replica holding only the PREPARE is promoted, finds T in doubt and asks
/// the coordinator, which must answer COMMIT from what is left of the record.
fn forgotten_commit_asked_after_coordinator_restart(bugs: tablestore_sim::Bugs) -> Sim {
    forgotten_commit_asked_after(bugs, |sim| {
        sim.apply(UserCommand::Kill(DcId(0))).unwrap();
        sim.advance_by(50);
        sim.apply(UserCommand::Revive(DcId(0))).unwrap();
    })
}

/// The schedule above, with `after_end` run once T has ENDed (before the participant's
/// primary dies).
fn forgotten_commit_asked_after(
    bugs: tablestore_sim::Bugs,
    after_end: impl FnOnce(&mut Sim),
) -> Sim {
    forgotten_commit_schedule(bugs, after_end, |sim, _, _, _| {
        sim.advance_by(10_000);
    })
}

/// The same, with `after_kill` run once the participant's primary is dead and every link
/// healed (given the keys, the dead primary and T); it must run the failover.
fn forgotten_commit_schedule(
    bugs: tablestore_sim::Bugs,
    after_end: impl FnOnce(&mut Sim),
    after_kill: impl FnOnce(&mut Sim, &[String], DcId, TxnId),
) -> Sim {
    use tablestore_sim::config::ReplicationMode;
    let mut sim = Sim::with_bugs(with_mode(quiet_config(5), ReplicationMode::Async), bugs).unwrap();
    sim.advance_to(t(500));
    let keys = spread_keys(&sim, DcId(0));
    let (p, _) = sim.primary_for(TableId(0), &pk(&keys[0]));
    let txn = TxnId(sim.next_req().0);
    sim.apply(UserCommand::Issue {
        home: DcId(0),
        op: txn_over(&keys),
    })
    .unwrap();
    // Until p holds T's PREPARE, then hold the decision back from it.
    run_until_prepared(&mut sim, txn, p);
    sim.apply(UserCommand::CutLink {
        from: DcId(0),
        to: p,
    })
    .unwrap();
    // The PREPARE replicates; then p is cut off from everyone but the coordinator.
    sim.advance_by(600);
    for d in sim.dc_ids() {
        if d != p && d != DcId(0) {
            sim.apply(UserCommand::CutLink { from: p, to: d }).unwrap();
        }
    }
    sim.apply(UserCommand::HealLink {
        from: DcId(0),
        to: p,
    })
    .unwrap();
    let ended = |sim: &Sim| {
        sim.txn(txn)
            .is_some_and(|tr| tr.coord_states.iter().any(|s| s.1 == CoordState::Ended))
    };
    for _ in 0..500 {
        if ended(&sim) {
            break;
        }
        sim.advance_by(1);
    }
    assert!(ended(&sim), "{txn} ENDed with {p}'s COMMIT on p alone");
    after_end(&mut sim);
    sim.apply(UserCommand::Kill(p)).unwrap();
    sim.apply(UserCommand::HealAll).unwrap();
    after_kill(&mut sim, &keys, p, txn);
    let (np, _) = sim.primary_for(TableId(0), &pk(&keys[0]));
    assert_ne!(np, p, "failed over");
    sim
}

/// No violation at all (so no Atomicity finding), with the findings' texts if any.
fn assert_clean(sim: &Sim) {
    assert_eq!(
        sim.finding_counts().violations(),
        0,
        "{:?}",
        sim.findings().iter().map(|f| &f.text).collect::<Vec<_>>()
    );
}

#[test]
fn a_forgotten_commit_is_still_answered_commit_after_the_coordinator_restarts() {
    assert_clean(&forgotten_commit_asked_after_coordinator_restart(
        Default::default(),
    ));
}

#[test]
fn the_same_schedule_with_forget_commits_is_caught_as_atomicity() {
    use tablestore_sim::checker::FindingKind;
    let sim = forgotten_commit_asked_after_coordinator_restart(tablestore_sim::Bugs {
        forget_commits: true,
        ..Default::default()
    });
    assert!(sim.finding_counts().of(FindingKind::Atomicity) > 0);
}

/// After END the coordinator keeps T's committed id while the participant's replicas hold
/// only T's PREPARE, though the primary that acknowledged the COMMIT (cut off from them,
/// not from the coordinator) is seen holding it for a while: every copy must hold it
/// before the id goes (`Node::forget_replicated`). Its primary then dies, a replica that
/// kept only the PREPARE takes over, asks, and must hear COMMIT.
fn forgotten_commit_once_its_primary_is_seen_holding_it(bugs: tablestore_sim::Bugs) -> Sim {
    forgotten_commit_asked_after(bugs, |sim| {
        // Heartbeats from p (its COMMIT at the end of its log) reach the coordinator.
        sim.advance_by(1_000);
    })
}

#[test]
fn a_commit_only_its_primary_holds_is_still_answered_commit_after_that_primary_dies() {
    assert_clean(&forgotten_commit_once_its_primary_is_seen_holding_it(
        Default::default(),
    ));
}

#[test]
fn the_same_schedule_forgetting_once_the_primary_holds_the_commit_is_caught_as_atomicity() {
    use tablestore_sim::checker::FindingKind;
    let sim = forgotten_commit_once_its_primary_is_seen_holding_it(tablestore_sim::Bugs {
        forget_commit_when_primary_holds_it: true,
        ..Default::default()
    });
    assert!(sim.finding_counts().of(FindingKind::Atomicity) > 0);
}

/// In a quiet busy run the coordinators' committed ids stay few: each goes once every copy
/// of its participant shards is seen holding its COMMIT (no failover: one epoch).
#[test]
fn committed_ids_are_forgotten_once_every_copy_holds_the_commit() {
    let mut c = quiet_config(5);
    c.workload.ops_per_sec = 300;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(60_000));
    let kept = sim
        .memory_stats()
        .iter()
        .find(|s| s.0 == "node.committed")
        .map_or(0, |s| s.1);
    let committed = sim.counters().txns_committed;
    assert!(committed > 100, "{:?}", sim.counters());
    assert!(
        kept < 100,
        "{kept} committed ids kept of {committed} commits"
    );
}

/// Removing the coordinator right after END, while the participant's replicas hold only
/// T's PREPARE: the change must wait (drain) until they learn COMMIT from it, not run and
/// take the coordinator's committed ids away while a copy can still ask.
#[test]
fn removing_the_coordinator_after_end_waits_for_the_copies_that_can_still_ask() {
    use tablestore_sim::checker::FindingKind;
    let mut removed_at_once = None;
    let sim = forgotten_commit_asked_after(Default::default(), |sim| {
        let _ = sim.apply(UserCommand::RemoveDc(DcId(0)));
        removed_at_once = Some(!sim.dc_ids().contains(&DcId(0)));
    });
    assert_eq!(removed_at_once, Some(false), "drained, not run at once");
    assert!(!sim.dc_ids().contains(&DcId(0)), "removed once resolved");
    assert_eq!(
        sim.finding_counts().violations(),
        0,
        "{:?}",
        sim.findings().iter().map(|f| &f.text).collect::<Vec<_>>()
    );
    assert_eq!(sim.finding_counts().of(FindingKind::Atomicity), 0);
}

/// The copies that kept only T's PREPARE take over after T ended; before the new primary
/// can ask about T (its link to the coordinator is cut), the coordinator starts T2 on
/// another row of that shard, whose PREPARE carries a low-water mark past T. The mark
/// forgets decisions only: the new primary keeps T's intent, asks once the link heals,
/// and applies T's COMMIT.
fn new_mark_reaches_a_copy_holding_only_the_prepare(
    bugs: tablestore_sim::Bugs,
) -> (Sim, String, TxnId) {
    let mut seen = None;
    let mut sim = forgotten_commit_schedule(
        bugs,
        |_| {},
        |sim, keys, p, txn| {
            seen = Some((keys[0].clone(), txn));
            let mut np = p;
            for _ in 0..20_000 {
                np = sim.primary_for(TableId(0), &pk(&keys[0])).0;
                if np != p {
                    break;
                }
                sim.advance_by(1);
            }
            assert_ne!(np, p, "failed over");
            sim.apply(UserCommand::CutLink {
                from: np,
                to: DcId(0),
            })
            .unwrap();
            sim.advance_by(500);
            begin_txn_on_another_row(sim, &keys[0]);
            sim.advance_by(2_000);
            sim.apply(UserCommand::HealAll).unwrap();
            sim.advance_by(10_000);
        },
    );
    tablestore_sim::schedule::settle(&mut sim);
    let (k, txn) = seen.expect("the schedule ran");
    (sim, k, txn)
}

#[test]
fn a_low_water_mark_past_a_kept_prepare_leaves_its_intent_to_commit() {
    let (sim, k, txn) = new_mark_reaches_a_copy_holding_only_the_prepare(Default::default());
    assert_eq!(
        sim.finding_counts().violations(),
        0,
        "{:?}",
        sim.findings().iter().map(|f| &f.text).collect::<Vec<_>>()
    );
    // T's row is everywhere its shard lives.
    for d in sim.placement().replicas(sim.shard_of(&pk(&k))) {
        assert_eq!(
            sim.row_at(d, TableId(0), &pk(&k)).map(|r| r.write_id),
            Some(txn_row(txn, 0)),
            "{d} holds the committed row"
        );
    }
}

#[test]
fn a_mark_that_forgets_intents_loses_the_committed_row_and_is_caught() {
    let (sim, _, _) = new_mark_reaches_a_copy_holding_only_the_prepare(tablestore_sim::Bugs {
        mark_forgets_intents: true,
        ..Default::default()
    });
    // Judged at rest: the primary that kept the PREPARE through the failover led the
    // shard without the row once every DC was up and healed.
    assert!(
        sim.finding_counts()
            .of(tablestore_sim::checker::FindingKind::Durability)
            > 0,
        "{:?}",
        sim.findings().iter().map(|f| &f.text).collect::<Vec<_>>()
    );
}

/// Review of the low-water mark's checker change (a transaction row's COMMIT counts by the
/// newest position seen appended once its decision is forgotten). Async shard of one
/// row: T commits at its primary p alone with replica r2 also getting the COMMIT and r1
/// only the PREPARE; T2 on the same shard carries a mark past T, so r2 forgets T's
/// decision (it keeps T's COMMIT entry and row). p and r2 die: r1 takes over (e2), asks,
/// and re-applies T's COMMIT at a new position — the newest the checker sees. r1 dies
/// and r2 (revived) takes over (e3) holding T's COMMIT at its *first* position: T's row
/// is there on every copy, so no finding may call it lost.
#[test]
fn a_commit_held_at_an_older_position_after_two_failovers_is_not_called_lost() {
    use tablestore_sim::config::ReplicationMode;
    let mut sim = Sim::new(with_mode(quiet_config(5), ReplicationMode::Async)).unwrap();
    sim.advance_to(t(500));
    let coord = DcId(0);
    // A row whose shard is stored off the coordinator, and a second row of that shard.
    let shard_reps = |sim: &Sim, k: &str| sim.placement().replicas(sim.shard_of(&pk(k)));
    let k = (0..10_000)
        .map(|i| format!("k{i}"))
        .find(|k| !shard_reps(&sim, k).contains(&coord))
        .expect("a shard off the coordinator");
    let shard = sim.shard_of(&pk(&k));
    let k2 = (0..10_000)
        .map(|i| format!("k{i}"))
        .find(|x| *x != k && sim.shard_of(&pk(x)) == shard)
        .expect("another row of the shard");
    let (p, _) = sim.primary_for(TableId(0), &pk(&k));
    let others: Vec<DcId> = shard_reps(&sim, &k)
        .into_iter()
        .filter(|&d| d != p)
        .collect();
    let (r1, r2) = (others[0], others[1]);
    let key = (TableId(0), shard);

    let txn = TxnId(sim.next_req().0);
    sim.apply(UserCommand::Issue {
        home: coord,
        op: txn_over(std::slice::from_ref(&k)),
    })
    .unwrap();
    run_until_prepared(&mut sim, txn, p);
    // Hold the decision back until the PREPARE replicated; then r1 gets nothing more.
    sim.apply(UserCommand::CutLink { from: coord, to: p })
        .unwrap();
    sim.advance_by(600);
    sim.apply(UserCommand::CutLink { from: p, to: r1 }).unwrap();
    sim.apply(UserCommand::HealLink { from: coord, to: p })
        .unwrap();
    let done = run_until(&mut sim, 3_000, |s| op_outcome(s, txn.0).is_some());
    assert!(
        done && op_outcome(&sim, txn.0).unwrap().0,
        "{txn} committed"
    );
    sim.advance_by(600);
    // T2 on the same shard: its PREPARE's mark is past T.
    let r = run_op(&mut sim, coord, txn_over(&[k2]), 3_000).unwrap();
    assert!(r.0, "T2 committed: {r:?}");
    sim.advance_by(600);
    let s2 = sim.store_at(r2, key).unwrap();
    assert_eq!(
        s2.rows.get(&pk(&k)).map(|r| r.write_id),
        Some(txn_row(txn, 0))
    );
    assert!(
        s2.resolved.ended(coord, txn) && !s2.resolved.contains_key(&txn),
        "{r2} forgot {txn}'s decision"
    );
    let s1 = sim.store_at(r1, key).unwrap();
    assert!(s1.intents.contains_key(&txn), "{r1} kept only the PREPARE");

    // p and r2 die: r1 takes over, asks, re-applies T's COMMIT at a new position.
    sim.apply(UserCommand::Kill(p)).unwrap();
    sim.apply(UserCommand::Kill(r2)).unwrap();
    sim.apply(UserCommand::HealAll).unwrap();
    let led = run_until(&mut sim, 10_000, |s| {
        s.primary_for(TableId(0), &pk(&k)).0 == r1
            && s.store_at(r1, key)
                .is_some_and(|st| st.rows.get(&pk(&k)).is_some())
    });
    assert!(led, "{r1} took over and applied {txn}");
    // r1 dies; r2 comes back and takes over with T's COMMIT at its first position.
    sim.apply(UserCommand::Kill(r1)).unwrap();
    sim.apply(UserCommand::Revive(r2)).unwrap();
    let led = run_until(&mut sim, 10_000, |s| {
        s.primary_for(TableId(0), &pk(&k)).0 == r2
    });
    assert!(led, "{r2} took over");
    sim.apply(UserCommand::Revive(p)).unwrap();
    sim.apply(UserCommand::Revive(r1)).unwrap();
    tablestore_sim::schedule::settle(&mut sim);
    for d in sim.placement().replicas(shard) {
        assert_eq!(
            sim.row_at(d, TableId(0), &pk(&k)).map(|r| r.write_id),
            Some(txn_row(txn, 0)),
            "{d} holds T's committed row"
        );
    }
    let label = tablestore_sim::checker::write_label(txn_row(txn, 0));
    let wrong: Vec<&String> = sim
        .findings()
        .iter()
        .map(|f| &f.text)
        .filter(|t| t.starts_with(&label))
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}

/// Runs `sim` in 10 ms steps until `done` holds, for at most `budget_ms`.
fn run_until(sim: &mut Sim, budget_ms: u64, done: impl Fn(&Sim) -> bool) -> bool {
    let end = sim.now().plus(budget_ms);
    while sim.now() < end {
        if done(sim) {
            return true;
        }
        sim.advance_by(10);
    }
    done(sim)
}

/// Review of the intent check's exemption for copies that forgot a decision under a newer
/// low-water mark. The copy that kept only T's PREPARE leads after T ended, cut off from
/// the coordinator, and applies T2's PREPARE whose mark is past T (it keeps T's intent).
/// Another replica, down meanwhile, catches up by snapshot install — with
/// `Bugs::snapshot_without_intents` the snapshot drops T's intent but carries the mark.
/// That copy's log is a prefix of the primary's, in which T is undecided: it cannot have
/// decided T and forgotten it, so it is the divergence the check exists for.
#[test]
fn a_snapshot_that_drops_an_intent_below_a_mark_is_still_caught() {
    let mut found = None;
    let sim = forgotten_commit_schedule(
        tablestore_sim::Bugs {
            snapshot_without_intents: true,
            ..Default::default()
        },
        |_| {},
        |sim, keys, p, txn| {
            let shard = sim.shard_of(&pk(&keys[0]));
            let key = (TableId(0), shard);
            let led = run_until(sim, 20_000, |s| {
                s.primary_for(TableId(0), &pk(&keys[0])).0 != p
            });
            assert!(led, "failed over");
            let np = sim.primary_for(TableId(0), &pk(&keys[0])).0;
            let lagger = sim
                .placement()
                .replicas(shard)
                .into_iter()
                .find(|&d| d != p && d != np)
                .expect("a third replica");
            // np cannot hear the coordinator: T stays in doubt there.
            sim.apply(UserCommand::CutLink {
                from: np,
                to: DcId(0),
            })
            .unwrap();
            sim.advance_by(500);
            let k2 = begin_txn_on_another_row(sim, &keys[0]);
            sim.advance_by(1_000);
            assert!(
                sim.store_at(np, key).unwrap().resolved.ended(DcId(0), txn),
                "{np} applied a mark past {txn}"
            );
            sim.apply(UserCommand::Kill(lagger)).unwrap();
            sim.advance_by(1_500);
            for v in 0..80 {
                let r = run_op(sim, np, put(&k2, v), 2_000).expect("answered");
                assert!(r.0, "write {v}: {r:?}");
            }
            sim.advance_by(1_000);
            sim.apply(UserCommand::Revive(lagger)).unwrap();
            sim.advance_by(3_000);
            let s = sim.store_at(lagger, key).unwrap();
            let n = sim.store_at(np, key).unwrap();
            assert!(
                n.intents.contains_key(&txn),
                "{np} still holds {txn}'s intent"
            );
            assert!(
                !s.intents.contains_key(&txn) && s.resolved.ended(DcId(0), txn),
                "{lagger} installed a snapshot without the intent"
            );
            found = Some(
                sim.finding_counts()
                    .of(tablestore_sim::checker::FindingKind::Divergence),
            );
            sim.apply(UserCommand::HealAll).unwrap();
            sim.advance_by(5_000);
        },
    );
    drop(sim);
    assert!(found.expect("ran") > 0, "the dropped intent went unseen");
}

/// A participant primary in doubt asks the coordinator (QueryDecision) over a slow link,
/// then learns COMMIT from the coordinator's resend, applies it and every copy of its shard
/// replicates it: the coordinator forgets T's committed id. Then `after_end` makes the
/// shard forget T's decision too (a later PREPARE's low-water mark, or a new layout). The
/// first query, still on the wire, then reaches the coordinator, which answers ABORT
/// (presumed abort, no record left); a primary that applied it, with neither intent nor
/// decision for T, would report T aborted at its shard — which committed T. An answer to
/// a query (`asked`) is for a copy holding the intent; one that holds it no more ignores
/// it. (Found by review.)
fn delayed_query_after_forget(
    bugs: tablestore_sim::Bugs,
    after_end: impl FnOnce(&mut Sim, &[String], DcId),
) -> (Vec<PartState>, u64) {
    use tablestore_sim::checker::FindingKind;
    use tablestore_sim::config::ReplicationMode;
    let c = DcId(0);
    let mut sim = Sim::with_bugs(with_mode(quiet_config(5), ReplicationMode::Async), bugs).unwrap();
    sim.advance_to(t(500));
    let keys = spread_keys(&sim, c);
    let (a, _) = sim.primary_for(TableId(0), &pk(&keys[0]));
    let txn = TxnId(sim.next_req().0);
    sim.apply(UserCommand::Issue {
        home: c,
        op: txn_over(&keys),
    })
    .unwrap();
    let state_at = |sim: &Sim, s: PartState| {
        sim.txn(txn)
            .and_then(|tr| tr.part_states.get(&a))
            .is_some_and(|v| v.iter().any(|x| x.1 == s))
    };
    for _ in 0..2_000 {
        if state_at(&sim, PartState::Prepared) {
            break;
        }
        sim.advance_by(1);
    }
    assert!(state_at(&sim, PartState::Prepared), "{a} prepared {txn}");
    // The vote is on its way; the decision will not reach a, and what a sends c is slow.
    sim.apply(UserCommand::CutLink { from: c, to: a }).unwrap();
    sim.apply(UserCommand::SetLatency {
        from: a,
        to: c,
        ms: 10_000,
    })
    .unwrap();
    for _ in 0..3_000 {
        if state_at(&sim, PartState::InDoubt) {
            break;
        }
        sim.advance_by(1);
    }
    assert!(state_at(&sim, PartState::InDoubt), "{a} asks about {txn}");
    // The query is on the wire (10 s); the link back to normal and healed.
    sim.apply(UserCommand::SetLatency {
        from: a,
        to: c,
        ms: 60,
    })
    .unwrap();
    sim.apply(UserCommand::HealAll).unwrap();
    sim.advance_by(3_000);
    let ended = sim
        .txn(txn)
        .is_some_and(|tr| tr.coord_states.iter().any(|s| s.1 == CoordState::Ended));
    assert!(ended, "{txn} ENDed");
    after_end(&mut sim, &keys, c);
    sim.advance_by(10_000);
    let states: Vec<PartState> = sim.txn(txn).unwrap().part_states[&a]
        .iter()
        .map(|s| s.1)
        .collect();
    (states, sim.finding_counts().of(FindingKind::Atomicity))
}

/// A second transaction from the coordinator through the shard: its PREPARE's low-water
/// mark, past T, makes the shard forget T's decision.
fn second_txn(sim: &mut Sim, keys: &[String], c: DcId) {
    let r2 = run_op(sim, c, txn_over(keys), 5_000);
    assert!(r2.is_some_and(|r| r.0), "T2 committed");
}

/// A membership change (AddDc): the new layout's copies keep no decisions and no marks.
fn add_dc(sim: &mut Sim, _: &[String], _: DcId) {
    sim.advance_by(1_000);
    sim.apply(UserCommand::AddDc(tablestore_sim::config::region_dc(5)))
        .unwrap();
    assert_eq!(
        sim.dc_ids().len(),
        6,
        "the layout changed at once (nothing open)"
    );
}

#[test]
fn a_query_answer_delayed_past_the_coordinators_forget_is_ignored() {
    for after_end in [second_txn, add_dc] {
        let (states, atomicity) = delayed_query_after_forget(Default::default(), after_end);
        assert!(
            !states.contains(&PartState::Aborted),
            "reported aborted after committing: {states:?}"
        );
        assert!(states.contains(&PartState::Committed), "{states:?}");
        assert_eq!(atomicity, 0);
    }
}

#[test]
fn applying_a_query_answer_delayed_past_the_forget_is_caught_as_atomicity() {
    for after_end in [second_txn, add_dc] {
        let (states, atomicity) = delayed_query_after_forget(
            tablestore_sim::Bugs {
                stale_decision_applied: true,
                ..Default::default()
            },
            after_end,
        );
        assert!(states.contains(&PartState::Aborted), "{states:?}");
        assert!(atomicity > 0);
    }
}
