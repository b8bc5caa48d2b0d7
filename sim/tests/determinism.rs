//! Same seed + same commands ⇒ same trace, here and in the browser (the app's tests/web.rs compares
//! against the same golden value in sim/tests/reference_trace.txt).

use crate::common::*;
use tablestore_sim::trace::reference_trace;
use tablestore_sim::{DcId, Sim, SimConfig, UserCommand};

fn run(seed: u64) -> (u64, usize) {
    let mut c = SimConfig {
        seed,
        loss_permille: 20,
        ..SimConfig::default()
    };
    c.workload.ops_per_sec = 150;
    let mut s = Sim::new(c).unwrap();
    s.advance_to(t(5_000));
    s.apply(UserCommand::Partition(vec![DcId(0), DcId(1)]))
        .unwrap();
    s.advance_to(t(12_000));
    s.apply(UserCommand::HealAll).unwrap();
    s.apply(UserCommand::Kill(DcId(3))).unwrap();
    s.advance_to(t(20_000));
    s.apply(UserCommand::Revive(DcId(3))).unwrap();
    s.advance_to(t(30_000));
    (s.trace_hash(), s.events().count())
}

#[test]
fn the_same_seed_and_commands_give_the_same_trace() {
    let a = run(7);
    let b = run(7);
    assert_eq!(a, b);
    assert!(a.1 > 1000, "a busy run");
    assert_ne!(run(8).0, a.0, "another seed gives another run");
}

#[test]
fn the_reference_trace_matches_the_golden_value_shared_with_the_browser_test() {
    let golden = include_str!("reference_trace.txt").trim();
    let got = format!("{:016x}", reference_trace());
    assert_eq!(
        got, golden,
        "if the core changed on purpose, write {got} to sim/tests/reference_trace.txt"
    );
}

#[test]
fn the_history_records_every_client_operation() {
    use tablestore_sim::checker::Outcome;
    let mut c = SimConfig::default();
    c.workload.ops_per_sec = 50;
    let mut s = Sim::new(c).unwrap();
    s.advance_to(t(10_000));
    s.apply(UserCommand::Kill(DcId(0))).unwrap();
    s.advance_to(t(20_000));
    let h: Vec<_> = s.checker().history().collect();
    let done = (s.counters().ops_ok + s.counters().ops_failed) as usize;
    assert_eq!(h.len(), done);
    assert_eq!(
        h.iter().filter(|e| e.outcome == Outcome::Ok).count() as u64,
        s.counters().ops_ok
    );
    assert!(
        h.iter()
            .any(|e| e.outcome == Outcome::Unknown || e.outcome == Outcome::Fail),
        "a dead DC makes some operations fail"
    );
    assert!(h
        .iter()
        .all(|e| e.completed >= e.invoked && !e.keys.is_empty()));
    assert!(h
        .iter()
        .any(|e| e.op == "GetRow" && e.value.is_some() && e.served_by.is_some()));
}

#[test]
fn a_command_applied_mid_instant_replays_at_the_same_event() {
    use tablestore_sim::scenario::ScheduledCommand;
    // Original run: step event by event and kill DC2 between two events of one instant.
    let mut c = SimConfig::default();
    c.workload.ops_per_sec = 200;
    let mut a = Sim::new(c.clone()).unwrap();
    a.advance_to(t(3_000));
    let mut log = Vec::new();
    loop {
        let before = a.now();
        a.step();
        // Stop right after an event when a message to the DC about to be killed is due at
        // the same instant: killed now, it drops that message; killed after the instant,
        // it would have handled it.
        let due_to_dc2 = a
            .in_flight()
            .any(|e| e.dst == DcId(2) && e.deliver_at == a.now());
        if a.now() == before && due_to_dc2 && a.now() > t(3_000) {
            break;
        }
    }
    log.push(ScheduledCommand {
        at: a.now(),
        after_events: Some(a.steps()),
        cmd: UserCommand::Kill(DcId(2)),
    });
    a.apply(UserCommand::Kill(DcId(2))).unwrap();
    a.advance_to(t(8_000));
    // Replay from the log.
    let mut b = Sim::new(c.clone()).unwrap();
    for e in &log {
        b.run_until(e.at, e.after_events);
        b.apply(e.cmd.clone()).unwrap();
    }
    b.advance_to(t(8_000));
    assert_eq!(a.trace_hash(), b.trace_hash());
    // Time alone would apply it after the whole instant: a different run.
    let mut late = Sim::new(c).unwrap();
    late.advance_to(log[0].at);
    late.apply(UserCommand::Kill(DcId(2))).unwrap();
    late.advance_to(t(8_000));
    assert_ne!(
        a.trace_hash(),
        late.trace_hash(),
        "the test must catch a mid-instant command"
    );
}

#[test]
fn the_history_orders_by_event_count_and_every_written_value_is_unique() {
    use std::collections::BTreeSet;
    use tablestore_sim::checker::Outcome;
    let mut c = SimConfig::default();
    c.workload.ops_per_sec = 200;
    let mut s = Sim::new(c).unwrap();
    s.advance_to(t(4_000));
    s.apply(UserCommand::Kill(DcId(1))).unwrap();
    s.advance_to(t(8_000));
    let h: Vec<_> = s.checker().history().collect();
    let mut seen = BTreeSet::new();
    for e in &h {
        assert!(e.invoked_seq <= e.completed_seq, "{e:?}");
        assert!(e.home.is_some());
        for w in &e.writes {
            for (_, v) in &w.set {
                assert!(seen.insert(v.clone()), "value {v:?} written twice");
            }
        }
        if e.outcome == Outcome::Ok && e.kind == tablestore_sim::history::OpKind::Get {
            assert_eq!(e.reads.len(), 1);
        }
    }
    // Completions are strictly ordered by event count (each records its own event).
    let mut done: Vec<u64> = h.iter().map(|e| e.completed_seq).collect();
    let n = done.len();
    done.dedup();
    assert_eq!(done.len(), n);
    assert!(!seen.is_empty());
    // Requests whose front end died with DC1 never complete: still owed by the history.
    let names: Vec<String> = s.config().tables.iter().map(|t| t.name.clone()).collect();
    let open = s.checker().open_requests(s.now(), &names);
    assert!(open
        .iter()
        .all(|e| e.outcome == Outcome::Unknown && e.completed_seq == u64::MAX));
}
