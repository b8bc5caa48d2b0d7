//! Guided lessons (`sim/src/lesson.rs`, files in `sim/lessons/`): every compiled-in lesson
//! parses; malformed ones are refused with the file and the field named; and each lesson
//! can be completed — a learner, played here through `UserCommand`s, finds every task
//! undone when its step begins and done after acting (or waiting).

use tablestore_sim::checker::Outcome;
use tablestore_sim::lesson::{parse_lesson, task_done, Lesson, Task, Who, LESSONS};
use tablestore_sim::scenario::ScheduledCommand;
use tablestore_sim::table::{Value, WriteKind, WriteOp};
use tablestore_sim::{
    region_dc, ClientOp, CoordState, DcId, EventKind, FindingKind, PartState, PeerState,
    PlacementKind, ReplicationMode, Sim, SimConfig, TableId, TxnStatus, UserCommand,
};

/// `scenario_json` is byte for byte what `serde_json::to_string_pretty` wrote before it
/// laid out the compact text itself: exported files and the CLI's output must not change.
#[test]
fn scenario_json_is_serde_json_pretty() {
    let mut scenarios: Vec<_> = tablestore_sim::lesson::all_lessons()
        .into_iter()
        .map(|l| l.expect("every lesson parses").scenario)
        .collect();
    // Text that looks like JSON structure inside strings, escapes, non-ASCII, and empty
    // lists (`commands`, `client_dcs`).
    let mut odd = scenarios[0].clone();
    odd.config.dcs[0].name = r#"a "b" \c: {d}, [e] ,: é ✂ \u0001"#.into();
    odd.commands.clear();
    odd.config.workload.client_dcs.clear();
    scenarios.push(odd);
    for sc in &scenarios {
        let want = serde_json::to_string_pretty(sc).expect("serializes");
        assert_eq!(tablestore_sim::scenario_json(sc), want);
    }
}

// ---- the format ----

#[test]
fn every_compiled_in_lesson_parses_and_ids_are_unique() {
    let mut ids = Vec::new();
    for (file, text) in LESSONS {
        let l = parse_lesson(file, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            format!("{}.json", l.id),
            *file,
            "a lesson's file is named by its id"
        );
        assert!(!ids.contains(&l.id), "duplicate id {}", l.id);
        ids.push(l.id);
    }
    assert!(ids.len() >= 4);
}

const GOOD: &str = r#"{
  "id": "tiny",
  "title": "Tiny",
  "summary": "A lesson for the parser tests.",
  "scenario": {"settings": "dcs=3&rate=0"},
  "steps": [
    {"text": "Look at DC1.", "look_at": {"dc": 1}},
    {"text": "Kill DC2.", "task": {"kill_dc": {"dc": 2}}, "hint": "Press Kill.", "hint_after_ms": 5000}
  ]
}"#;

fn refused(text: &str) -> (String, String, String) {
    let e = parse_lesson("tiny.json", text).expect_err("refused");
    let shown = e.to_string();
    assert!(shown.starts_with("tiny.json: "), "{shown}");
    (e.field, e.message, shown)
}

#[test]
fn the_small_example_parses() {
    let l = parse_lesson("tiny.json", GOOD).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.steps.len(), 2);
    assert_eq!(l.scenario.config.dcs.len(), 3);
    assert_eq!(l.steps[1].task, Some(Task::KillDc(Who::Dc(DcId(2)))));
}

#[test]
fn a_missing_field_is_named() {
    let (f, m, _) = refused(&GOOD.replace(r#""title": "Tiny","#, ""));
    assert_eq!(f, "title");
    assert!(m.contains("missing"), "{m}");
    let (f, m, _) = refused(&GOOD.replace(r#""text": "Kill DC2.", "#, ""));
    assert_eq!(f, "steps[1].text");
    assert!(m.contains("missing"), "{m}");
}

#[test]
fn a_wrong_type_is_named() {
    let (f, m, shown) = refused(&GOOD.replace("5000", r#""five""#));
    assert_eq!(f, "steps[1].hint_after_ms");
    assert!(m.contains("invalid type"), "{shown}");
    let (f, _, _) = refused(&GOOD.replace(r#"{"dc": 1}"#, r#"{"dc": "one"}"#));
    assert_eq!(f, "steps[0].look_at");
}

#[test]
fn an_unknown_task_or_field_is_named() {
    let (f, m, _) = refused(&GOOD.replace("kill_dc", "kil_dc"));
    assert_eq!(f, "steps[1].task");
    assert!(
        m.contains("unknown variant") && m.contains("kill_dc"),
        "{m}"
    );
    let (f, m, _) = refused(&GOOD.replace(r#""hint": "Press Kill.""#, r#""hnt": "Press Kill.""#));
    assert_eq!(f, "steps[1].hnt");
    assert!(m.contains("unknown field"), "{m}");
}

#[test]
fn a_dc_out_of_range_is_named() {
    let (f, m, _) = refused(&GOOD.replace(r#"{"dc": 2}"#, r#"{"dc": 9}"#));
    assert_eq!(f, "steps[1].task");
    assert!(m.contains("no datacenter") && m.contains("0 to 2"), "{m}");
    let (f, _, _) = refused(&GOOD.replace(r#"{"dc": 1}"#, r#"{"dc": 3}"#));
    assert_eq!(f, "steps[0].look_at");
}

#[test]
fn semantic_rules_are_checked() {
    let (f, m, _) = refused(&GOOD.replace("5000", "10"));
    assert_eq!(f, "steps[1].hint_after_ms");
    assert!(m.contains("1000 to 120000"), "{m}");
    let start = GOOD.find(r#""steps""#).unwrap();
    let (f, _, _) = refused(&format!("{}\"steps\": []}}", &GOOD[..start]));
    assert_eq!(f, "steps");
    let (f, m, _) = refused(&GOOD.replace("dcs=3&rate=0", "dcs=3&rate=0&bogus=1"));
    assert_eq!(f, "scenario");
    assert!(m.contains("bogus"), "{m}");
    // A scenario command is checked by the scenario parser.
    let (f, m, _) = refused(&GOOD.replace(
        r#""dcs=3&rate=0"}"#,
        r#""dcs=3&rate=0", "commands": [{"at": 5, "cmd": {"Kill": 7}}]}"#,
    ));
    assert_eq!(f, "scenario");
    assert!(
        m.contains("Command 1") && m.contains("no datacenter"),
        "{m}"
    );
    let (f, _, _) = refused(&GOOD.replace(r#""id": "tiny""#, r#""id": "Tiny Lesson""#));
    assert_eq!(f, "id");
    let (_, m, _) = refused("[1, 2]");
    assert!(m.contains("object"), "{m}");
    let (_, m, _) = refused("{ not json");
    assert!(m.contains("not JSON"), "{m}");
}

// ---- playing a lesson as a learner would ----

/// The lesson's run with its scripted commands applied at their instants.
struct Player {
    sim: Sim,
    cmds: Vec<ScheduledCommand>,
    next: usize,
    /// A breakpoint stopped the run and the learner has not pressed play since.
    paused: bool,
}

impl Player {
    fn new(l: &Lesson) -> Player {
        Player {
            sim: Sim::with_bugs(
                l.scenario.config.clone(),
                l.scenario.bugs.unwrap_or_default(),
            )
            .expect("a lesson's config is valid"),
            cmds: l.scenario.commands.clone(),
            next: 0,
            paused: false,
        }
    }

    /// Plays `ms` of simulated time; true if the breakpoint stopped it.
    fn play(&mut self, ms: u64) -> bool {
        self.paused = self.play_inner(ms);
        self.paused
    }

    fn play_inner(&mut self, ms: u64) -> bool {
        let target = self.sim.now().plus(ms);
        while let Some(c) = self.cmds.get(self.next).filter(|c| c.at <= target) {
            let c = c.clone();
            if self.sim.run_until(c.at, c.after_events) {
                return true;
            }
            self.sim.apply(c.cmd).expect("a scripted command applies");
            self.next += 1;
        }
        self.sim.advance_to(target)
    }

    fn resolve(&self, w: &Who) -> DcId {
        match w {
            Who::Dc(d) => *d,
            Who::Any => DcId(0),
            Who::CoordinatorOfTxn => self.sim.txns().next_back().expect("a txn").coordinator,
        }
    }

    /// What a learner does for `task` through the page (one command, or nothing).
    fn act(&mut self, task: &Task) {
        let table = |t: &Option<String>, sim: &Sim| {
            t.as_ref()
                .and_then(|n| sim.config().tables.iter().position(|x| &x.name == n))
                .map_or(TableId(0), |i| TableId(i as u16))
        };
        let cmd = match task {
            Task::KillDc(w) => UserCommand::Kill(self.resolve(w)),
            Task::ReviveDc(w) => UserCommand::Revive(self.resolve(w)),
            Task::CutLink { from, to } => UserCommand::CutLink {
                from: *from,
                to: *to,
            },
            Task::HealLink { from, to } => UserCommand::HealLink {
                from: *from,
                to: *to,
            },
            Task::Read {
                table: t,
                key,
                consistency,
                from,
            } => {
                if let Some(c) = consistency {
                    let mut cfg: SimConfig = self.sim.config().clone();
                    cfg.read_consistency = *c;
                    self.sim
                        .apply(UserCommand::Configure(Box::new(cfg)))
                        .unwrap();
                }
                UserCommand::Issue {
                    home: from.unwrap_or(DcId(0)),
                    op: ClientOp::Get {
                        table: table(t, &self.sim),
                        pk: vec![Value::Str(key.as_str().into())],
                    },
                }
            }
            Task::Write {
                table: t,
                key,
                from,
            } => UserCommand::Issue {
                home: from.unwrap_or(DcId(0)),
                op: ClientOp::Write(WriteOp {
                    table: table(t, &self.sim),
                    pk: vec![Value::Str(key.as_str().into())],
                    kind: WriteKind::Put(vec![("balance".into(), Value::Int(1))]),
                }),
            },
            Task::WaitFor(_) => return,
            Task::SetPlacement(p) => {
                let mut cfg: SimConfig = self.sim.config().clone();
                cfg.placement = *p;
                UserCommand::Configure(Box::new(cfg))
            }
            Task::SetFailover(on) => {
                let mut cfg: SimConfig = self.sim.config().clone();
                cfg.failover = *on;
                UserCommand::Configure(Box::new(cfg))
            }
            Task::SetMode { table: t, mode } => {
                let mut cfg: SimConfig = self.sim.config().clone();
                let i = table(t, &self.sim).0 as usize;
                cfg.tables[i].mode = *mode;
                UserCommand::Configure(Box::new(cfg))
            }
            Task::AddDc => UserCommand::AddDc(region_dc(self.sim.dc_ids().len())),
        };
        self.sim.apply(cmd).expect("the learner's command applies");
    }
}

/// Plays every step of lesson `id`: a step with a task starts undone, the learner acts,
/// and the run plays (at most 30 s of simulated time) until the task is done. `after`
/// runs once each step is done, for the lesson's own checks of its narration.
fn play_lesson(id: &str, mut after: impl FnMut(usize, &Sim)) -> Sim {
    let (file, text) = LESSONS
        .iter()
        .find(|(f, _)| *f == format!("{id}.json"))
        .expect("compiled in");
    let l = parse_lesson(file, text).unwrap_or_else(|e| panic!("{e}"));
    let mut p = Player::new(&l);
    for (i, step) in l.steps.iter().enumerate() {
        p.sim.set_breakpoint(step.pause_on);
        if let Some(task) = &step.task {
            let since = p.sim.counters().events;
            assert!(
                !task_done(task, &p.sim, since),
                "{id} step {i}: done before the learner acted"
            );
            p.act(task);
            let end = p.sim.now().plus(30_000);
            while !task_done(task, &p.sim, since) {
                assert!(p.sim.now() < end, "{id} step {i} ({task:?}) never done");
                p.play(20);
            }
        } else if !p.paused {
            // A "next" step: the reader takes a few seconds; the run plays meanwhile
            // (a paused step would stop it at its breakpoint). A run a breakpoint has
            // stopped stays stopped while the learner reads.
            p.play(2_000);
        }
        after(i, &p.sim);
    }
    p.sim.set_breakpoint(None);
    p.sim
}

fn no_violation(sim: &Sim) {
    let bad: Vec<FindingKind> = FindingKind::ALL
        .into_iter()
        .filter(|k| k.is_violation() && sim.checker().count(*k) > 0)
        .collect();
    assert!(bad.is_empty(), "violations: {bad:?}");
}

fn last_entry(sim: &Sim, key: &str) -> tablestore_sim::checker::HistoryEntry {
    sim.checker()
        .history()
        .rev()
        .find(|h| h.keys.iter().any(|k| k == key))
        .expect("in the history")
}

#[test]
fn lesson_hash_placement_can_be_completed() {
    let mut moves = Vec::new();
    let sim = play_lesson("hash-placement", |i, sim| {
        match i {
            0 => {
                // The narration: sha1("k7") mod 4 = 1, so DC1 is k7's primary.
                let pk = vec![Value::Str("k7".into())];
                assert_eq!(sim.primary_for(TableId(0), &pk).0, DcId(1));
            }
            2 | 4 => moves.push(sim.last_moves().cloned().expect("a move report")),
            3 => assert_eq!(sim.config().placement, PlacementKind::Ring),
            _ => {}
        }
    });
    assert_eq!(sim.dc_ids().len(), 6);
    let (m, r) = (&moves[0], &moves[1]);
    assert!(m.keys > 10 && r.keys > 10, "rows were stored: {m:?} {r:?}");
    // "Most keys change owner" under modulo (4 → 5); "about one in N + 1" on the ring.
    assert!(m.moved * 2 > m.keys, "modulo moved most: {m:?}");
    assert!(r.moved * 3 < r.keys, "the ring moved few: {r:?}");
}

#[test]
fn lesson_2pc_happy_path_can_be_completed() {
    let sim = play_lesson("2pc-happy-path", |i, sim| {
        if i == 1 {
            let t = sim.txns().next_back().expect("traced");
            assert_eq!(t.coordinator, DcId(0));
            assert_eq!(t.participants, vec![DcId(1), DcId(2), DcId(3)]);
            assert_eq!(t.coord_state(), CoordState::Committed, "decided, paused");
        }
    });
    let t = sim.txns().next_back().unwrap();
    assert_eq!(t.status(), TxnStatus::Committed);
    let read = last_entry(&sim, "k8");
    assert_eq!(read.home, Some(DcId(4)));
    assert!(
        read.reads.first().is_some_and(|r| r.row.is_some()),
        "{read:?}"
    );
    no_violation(&sim);
}

#[test]
fn lesson_2pc_blocking_can_be_completed() {
    let sim = play_lesson("2pc-blocking", |i, sim| match i {
        1 => assert!(!sim.is_up(DcId(0)), "the coordinator is down"),
        2 => {
            let t = sim.txns().next_back().unwrap();
            assert_eq!(t.status(), TxnStatus::InDoubt);
            let snap = sim.snapshot();
            for d in [1, 2, 3] {
                let dc = snap.dcs.iter().find(|x| x.id == DcId(d)).unwrap();
                assert!(dc.locks >= 1, "DC{d} holds its lock in doubt");
            }
        }
        3 => {
            let w = last_entry(sim, "k8");
            assert_eq!(w.outcome, Outcome::Fail, "the locked row refuses: {w:?}");
        }
        _ => {}
    });
    let t = sim.txns().next_back().unwrap();
    assert_eq!(t.status(), TxnStatus::Committed);
    for d in [1, 2, 3] {
        assert_eq!(t.part_state(DcId(d)), Some(PartState::Committed));
    }
    no_violation(&sim);
}

#[test]
fn lesson_failover_epochs_can_be_completed() {
    let pk = vec![Value::Str("k7".into())];
    let mut first = None;
    let sim = play_lesson("failover-epochs", |i, sim| match i {
        0 => {
            let (p, e) = sim.primary_for(TableId(0), &pk);
            assert_eq!(p, DcId(3));
            assert_eq!(sim.config().tables[0].mode, ReplicationMode::Sync);
            let s = sim.shard_of(&pk);
            assert_eq!(
                sim.placement().replicas_of(s),
                &[DcId(3), DcId(4), DcId(0)],
                "the next two DCs hold replicas"
            );
            first = Some(e);
        }
        3 => {
            let (p, e) = sim.primary_for(TableId(0), &pk);
            assert_ne!(p, DcId(3), "a survivor leads");
            assert!(Some(e) > first, "a newer epoch");
        }
        4 => {
            let w = last_entry(sim, "k7");
            assert_eq!(w.outcome, Outcome::Ok, "{w:?}");
        }
        6 => assert!(sim
            .events()
            .any(|e| e.dc == Some(DcId(3)) && matches!(e.kind, EventKind::SteppedDown { .. }))),
        _ => {}
    });
    no_violation(&sim);
}

#[test]
fn a_lesson_played_twice_is_the_same_run() {
    let a = play_lesson("2pc-blocking", |_, _| {});
    let b = play_lesson("2pc-blocking", |_, _| {});
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(a.counters().events, b.counters().events);
}

#[test]
fn the_example_in_docs_lessons_md_parses() {
    let doc = include_str!("../../docs/LESSONS.md");
    let start = doc.find("```json\n").expect("an example") + "```json\n".len();
    let end = start + doc[start..].find("```").expect("closed");
    let l = parse_lesson("kill-one.json", &doc[start..end]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.steps.len(), 3);
}

#[test]
fn predicates_are_specific_and_count_only_events_since_the_step_began() {
    let l = parse_lesson("tiny.json", GOOD).unwrap();
    let mut p = Player::new(&l);
    p.play(1_000);
    let kill2 = Task::KillDc(Who::Dc(DcId(2)));
    let since = p.sim.counters().events;
    p.sim.apply(UserCommand::Kill(DcId(1))).unwrap();
    assert!(!task_done(&kill2, &p.sim, since), "another DC's kill");
    assert!(task_done(&Task::KillDc(Who::Any), &p.sim, since));
    p.sim.apply(UserCommand::Kill(DcId(2))).unwrap();
    assert!(task_done(&kill2, &p.sim, since));
    let later = p.sim.counters().events;
    assert!(!task_done(&kill2, &p.sim, later), "a kill before the step");
    // A write from DC0 does not complete a write asked from DC1, nor a read.
    let write = |from| Task::Write {
        table: None,
        key: "k1".into(),
        from: Some(DcId(from)),
    };
    p.act(&write(0));
    p.play(3_000);
    assert!(task_done(&write(0), &p.sim, later));
    assert!(!task_done(&write(1), &p.sim, later));
    let read = Task::Read {
        table: None,
        key: "k1".into(),
        consistency: None,
        from: None,
    };
    assert!(!task_done(&read, &p.sim, later));
}

#[test]
fn lesson_async_lost_write_can_be_completed() {
    let pk = vec![Value::Str("k7".into())];
    let sim = play_lesson("async-lost-write", |i, sim| match i {
        0 => {
            assert_eq!(sim.primary_for(TableId(0), &pk).0, DcId(3));
            let s = sim.shard_of(&pk);
            assert_eq!(sim.placement().replicas_of(s), &[DcId(3), DcId(4), DcId(0)]);
            assert_eq!(sim.config().tables[0].mode, ReplicationMode::Async);
            for r in [DcId(4), DcId(0)] {
                assert!(sim.row_at(r, TableId(0), &pk).is_none(), "{r} is behind");
            }
        }
        1 => {
            // The lag the step points at, as the Data tab shows it.
            let snap = sim.snapshot();
            let s3 = users_s3(&snap);
            for r in [DcId(4), DcId(0)] {
                assert!(
                    s3.lag.iter().any(|&(d, n, _)| d == r && n == 1),
                    "{r} one entry behind: {:?}",
                    s3.lag
                );
                assert!(sim.row_at(r, TableId(0), &pk).is_none(), "{r} missing");
            }
        }
        4 => {
            let (p, _) = sim.primary_for(TableId(0), &pk);
            assert_ne!(p, DcId(3));
            assert!(
                sim.row_at(p, TableId(0), &pk).is_none(),
                "the new primary lacks it"
            );
        }
        5 => {
            let r = last_entry(sim, "k7");
            assert_eq!(r.home, Some(DcId(0)));
            assert!(r.reads.first().is_some_and(|x| x.row.is_none()), "{r:?}");
        }
        _ => {}
    });
    let lost: Vec<_> = sim
        .findings()
        .iter()
        .filter(|f| f.kind == FindingKind::AsyncWriteLost)
        .collect();
    assert_eq!(lost.len(), 1);
    assert!(lost[0].keys.iter().any(|k| k == "k7"));
}

#[test]
fn a_session_opened_on_a_lesson_keeps_history_and_replays_exactly() {
    use tablestore_sim::lesson::lesson_by_id;
    use tablestore_sim::{Session, SimTime};
    let l = lesson_by_id("2pc-happy-path").expect("compiled in");
    let open = || {
        let mut s = Session::new(SimConfig::default(), false).unwrap();
        assert_eq!(s.open_lesson(l.scenario.clone()).unwrap(), 1);
        s
    };
    let (mut a, mut b) = (open(), open());
    assert_eq!(a.timeline().trace_hash(), b.timeline().trace_hash());
    // A learner's read completes in the client history the page's task check reads.
    let since = a.sim().counters().events;
    let read = Task::Read {
        table: None,
        key: "k8".into(),
        consistency: None,
        from: Some(DcId(4)),
    };
    a.advance_to(SimTime(5_000));
    b.advance_to(SimTime(5_000));
    assert_eq!(a.timeline().trace_hash(), b.timeline().trace_hash());
    let op = tablestore_sim::parse_form(
        a.sim().config(),
        tablestore_sim::FormOp::Get,
        TableId(0),
        "k8",
        "",
    )
    .unwrap();
    a.apply(UserCommand::Issue { home: DcId(4), op }).unwrap();
    assert!(!task_done(&read, a.sim(), since));
    a.advance_to(SimTime(7_000));
    assert!(
        task_done(&read, a.sim(), since),
        "the read is in the history"
    );
}

/// A scripted transaction sends its PREPAREs in the command itself (no event runs it):
/// the PrepareSent breakpoint of 2pc-happy-path's first step still stops the run there,
/// and a reopened lesson stops at the same event.
#[test]
fn a_scripted_command_that_records_the_breakpoints_event_stops_the_run() {
    use tablestore_sim::lesson::lesson_by_id;
    use tablestore_sim::{Breakpoint, Session, SimTime};
    let l = lesson_by_id("2pc-happy-path").expect("compiled in");
    let stop = || {
        let mut s = Session::new(SimConfig::default(), false).unwrap();
        s.open_lesson(l.scenario.clone()).unwrap();
        s.set_breakpoint(Some(Breakpoint::PrepareSent));
        let p = s.advance_to(SimTime(10_000));
        let hit = p.hit.expect("stopped at PREPARE sent");
        assert_eq!(hit.event.at, SimTime(2_000), "at the scripted transaction");
        assert_eq!(s.sim().now(), SimTime(2_000));
        (hit.event.seq, s.timeline().trace_hash())
    };
    assert_eq!(stop(), stop());
}

/// The OK write acknowledgements of the run, in order: (latency ms, detail).
fn acked_writes(sim: &Sim) -> Vec<(u64, String)> {
    sim.events()
        .filter_map(|e| match &e.kind {
            EventKind::Op {
                ok: true,
                label,
                detail,
                latency_ms,
                ..
            } if ClientOp::is_write_label(label) => Some((*latency_ms, detail.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn lesson_replication_modes_can_be_completed() {
    let pk = vec![Value::Str("k7".into())];
    let mut modes = Vec::new();
    let sim = play_lesson("replication-modes", |i, sim| match i {
        0 => {
            assert_eq!(sim.primary_for(TableId(0), &pk).0, DcId(3));
            let s = sim.shard_of(&pk);
            assert_eq!(sim.placement().replicas_of(s), &[DcId(3), DcId(4), DcId(0)]);
        }
        1 | 3 | 5 | 7 => modes.push(sim.config().tables[0].mode),
        9 => {
            let (p, _) = sim.primary_for(TableId(0), &pk);
            assert_ne!(p, DcId(3), "a survivor leads");
            let row = sim
                .row_at(p, TableId(0), &pk)
                .expect("the new primary has k7");
            assert_eq!(row.version.pos.index, 4, "all four writes kept");
        }
        10 => {
            let r = last_entry(sim, "k7");
            assert_eq!(r.home, Some(DcId(0)));
            assert!(
                r.reads
                    .first()
                    .and_then(|x| x.row.as_ref())
                    .is_some_and(|v| v.version.index == 4),
                "{r:?}"
            );
        }
        _ => {}
    });
    assert_eq!(
        modes,
        [
            ReplicationMode::Async,
            ReplicationMode::SemiSync,
            ReplicationMode::Sync,
            ReplicationMode::Quorum(2)
        ]
    );
    let acks = acked_writes(&sim);
    assert_eq!(acks.len(), 4, "{acks:?}");
    // The narration's copies and latencies: 1 copy at 0 ms; 2 copies at about 60 ms;
    // 3 copies at about 240 ms; 2 copies at about 60 ms.
    for ((ms, detail), (copies, lo, hi)) in acks.iter().zip([
        ("1 copy", 0, 0),
        ("2 copies", 50, 80),
        ("3 copies", 200, 280),
        ("2 copies", 50, 80),
    ]) {
        assert!(detail.contains(copies), "{detail} has {copies}");
        assert!((lo..=hi).contains(ms), "{ms} ms in {lo}..={hi} ({detail})");
    }
    assert!(acks[0].0 < acks[1].0 && acks[1].0 < acks[2].0 && acks[3].0 < acks[2].0);
    assert_eq!(sim.checker().count(FindingKind::AsyncWriteLost), 0);
    no_violation(&sim);
}

#[test]
fn lesson_heartbeat_views_can_be_completed() {
    let view = |sim: &Sim, of: u16, target: u16| {
        let snap = sim.snapshot();
        let d = snap.dcs.iter().find(|d| d.id == DcId(of)).unwrap();
        d.views
            .iter()
            .find(|v| v.0 == DcId(target))
            .and_then(|v| v.1)
    };
    let sim = play_lesson("heartbeat-views", |i, sim| match i {
        2 => {
            assert_eq!(view(sim, 0, 1), Some(PeerState::Suspect));
            assert_eq!(
                view(sim, 1, 0),
                Some(PeerState::Alive),
                "DC1 still hears DC0"
            );
        }
        3 => {
            assert_eq!(view(sim, 0, 1), Some(PeerState::Dead));
            for d in 1..5u16 {
                for t in 0..5u16 {
                    if d != t {
                        assert_eq!(view(sim, d, t), Some(PeerState::Alive), "DC{d} of DC{t}");
                    }
                }
            }
        }
        5 => assert_eq!(view(sim, 0, 1), Some(PeerState::Alive)),
        _ => {}
    });
    assert!(
        !sim.events()
            .any(|e| matches!(e.kind, EventKind::FailoverIssued { .. })),
        "one view moves no primary"
    );
    no_violation(&sim);
}

#[test]
fn lesson_read_consistency_can_be_completed() {
    let sim = play_lesson("read-consistency", |i, sim| {
        let r = || last_entry(sim, "k7");
        let found = |h: &tablestore_sim::checker::HistoryEntry| {
            h.reads
                .first()
                .and_then(|x| x.row.as_ref())
                .map(|v| v.version.index)
        };
        match i {
            1 => {
                assert_eq!(r().served_by, Some(DcId(0)), "the nearest replica");
                assert_eq!(found(&r()), None, "no row yet");
                assert_eq!(sim.counters().stale_reads, 1, "counted");
            }
            2 => {
                assert_eq!(r().served_by, Some(DcId(3)), "DC3 in the majority");
                assert_eq!(found(&r()), Some(1), "the write");
                assert_eq!(sim.counters().stale_reads, 1, "no new stale read");
            }
            3 => {
                assert_eq!(r().served_by, Some(DcId(3)), "the primary");
                assert_eq!(found(&r()), Some(1), "the write");
            }
            _ => {}
        }
    });
    no_violation(&sim);
}

#[test]
fn set_mode_and_new_moments_are_checked_and_specific() {
    let (f, m, _) = refused(&GOOD.replace(
        r#"{"kill_dc": {"dc": 2}}"#,
        r#"{"set_mode": {"table": "nope", "mode": "Sync"}}"#,
    ));
    assert_eq!(f, "steps[1].task");
    assert!(m.contains("no table nope"), "{m}");
    let (f, m, _) = refused(&GOOD.replace(
        r#"{"kill_dc": {"dc": 2}}"#,
        r#"{"wait_for": {"view": {"dc": 1, "target": 1, "state": "Dead"}}}"#,
    ));
    assert_eq!(f, "steps[1].task");
    assert!(m.contains("another DC"), "{m}");
    let (f, _, _) = refused(&GOOD.replace(
        r#"{"kill_dc": {"dc": 2}}"#,
        r#"{"wait_for": {"view": {"dc": 0, "target": 7, "state": "Dead"}}}"#,
    ));
    assert_eq!(f, "steps[1].task");

    let l = parse_lesson("tiny.json", GOOD).unwrap();
    let mut p = Player::new(&l);
    p.play(1_000);
    let since = p.sim.counters().events;
    let semi = Task::SetMode {
        table: Some("users".into()),
        mode: ReplicationMode::SemiSync,
    };
    let sync = Task::SetMode {
        table: None,
        mode: ReplicationMode::Sync,
    };
    assert!(!task_done(&semi, &p.sim, since));
    p.act(&semi);
    assert!(task_done(&semi, &p.sim, since));
    assert!(!task_done(&sync, &p.sim, since), "another mode");
    let later = p.sim.counters().events;
    assert!(!task_done(&semi, &p.sim, later), "changed before the step");
}

#[test]
fn lesson_seed_sketch_can_be_completed() {
    let pk = vec![Value::Str("k7".into())];
    let sim = play_lesson("seed-sketch", |i, sim| match i {
        1 => {
            let s = sim.shard_of(&pk);
            assert_eq!(sim.placement().replicas_of(s), &[DcId(3), DcId(4), DcId(0)]);
            assert_eq!(sim.config().tables[0].mode, ReplicationMode::Sync);
            let w = last_entry(sim, "k7");
            assert_eq!(w.outcome, Outcome::Ok);
            let (_, detail) = acked_writes(sim).pop().expect("acked");
            assert!(detail.contains("3 copies"), "{detail}");
        }
        2 => {
            let snap = sim.snapshot();
            let s3 = users_s3(&snap);
            assert!(
                s3.lag.iter().any(|&(d, n, _)| d == DcId(0) && n == 0),
                "DC0 counted as holding it: {:?}",
                s3.lag
            );
            assert!(sim.row_at(DcId(0), TableId(0), &pk).is_none(), "missing");
            assert!(sim.row_at(DcId(4), TableId(0), &pk).is_some());
        }
        4 => {
            let w = last_entry(sim, "k7");
            assert_eq!(w.home, Some(DcId(1)));
            assert_eq!(w.outcome, Outcome::Unknown, "a timeout: {w:?}");
            assert_eq!(w.completed.0 - w.invoked.0, 3_000, "after 3 s");
            assert_eq!(sim.counters().ops_failed, 1, "counted as failed");
            assert_eq!(sim.counters().failovers, 0);
        }
        7 => {
            let (p, _) = sim.primary_for(TableId(0), &pk);
            assert_eq!(p, DcId(0));
            assert!(sim.row_at(DcId(0), TableId(0), &pk).is_none());
        }
        8 => {
            let r = last_entry(sim, "k7");
            assert_eq!(r.home, Some(DcId(1)));
            assert!(r.reads.first().is_some_and(|x| x.row.is_none()), "{r:?}");
        }
        _ => {}
    });
    // The kinds the text names: Durability, and nothing for the refused write.
    let kinds: Vec<FindingKind> = sim.findings().iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&FindingKind::Durability), "{kinds:?}");
    assert!(sim
        .findings()
        .iter()
        .any(|f| f.kind == FindingKind::Durability && f.keys.iter().any(|k| k == "k7")));
}

/// The users shard DC3 leads, with its rows (the one the lag steps point at).
fn users_s3(snap: &tablestore_sim::Snapshot) -> &tablestore_sim::ShardSnap {
    snap.shards
        .iter()
        .find(|s| s.table == TableId(0) && s.primary == DcId(3) && s.rows > 0)
        .expect("users s3")
}
