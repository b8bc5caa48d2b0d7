//! A session — replay and pacing — natively, with made-up wall times: recorded commands
//! replay exactly, imported ones wait for their moment, ticks turn wall time into
//! simulated time at the chosen speed and within a wall budget, breakpoints pause.

use crate::common::*;
use tablestore_sim::pacing::{
    pos_of_speed, speed_of, FrameBudget, PanelPace, FRAME_MS, MAX_WALL_DT_MS, MIN_TICK_BUDGET_MS,
    PANEL_MAX_MS, PANEL_MIN_MS, SPEED_MAX, TICK_BUDGET_MS,
};
use tablestore_sim::scenario::{Scenario, ScheduledCommand};
use tablestore_sim::trace::reference_trace;
use tablestore_sim::{
    Breakpoint, CommandError, CoordState, DcId, EventKind, Hit, MsgKind, Progress, ReqId, Session,
    SimConfig, SimTime, UserCommand,
};

fn busy(seed: u64) -> SimConfig {
    let mut c = SimConfig {
        seed,
        ..SimConfig::default()
    };
    c.workload.ops_per_sec = 80;
    c
}

fn at(ms: u64, cmd: UserCommand) -> ScheduledCommand {
    ScheduledCommand {
        at: SimTime(ms),
        after_events: None,
        cmd,
    }
}

/// A tick that never runs out of wall budget.
fn free() -> f64 {
    0.0
}

#[test]
fn the_reference_trace_through_a_session() {
    // trace::reference_trace()'s scenario, driven through a session.
    let mut c = SimConfig {
        seed: 42,
        ..SimConfig::default()
    };
    c.workload.ops_per_sec = 100;
    let mut s = Session::new(c, false).unwrap();
    s.advance_to(t(10_000));
    s.apply(UserCommand::Kill(DcId(1))).unwrap();
    s.advance_to(t(20_000));
    s.apply(UserCommand::Revive(DcId(1))).unwrap();
    s.advance_to(t(30_000));
    assert_eq!(s.sim().trace_hash(), reference_trace());
    assert_eq!(
        format!("{:016x}", reference_trace()),
        include_str!("reference_trace.txt").trim()
    );
}

#[test]
fn recorded_commands_replay_exactly_even_mid_instant() {
    let mut a = Session::new(busy(3), false).unwrap();
    a.advance_to(t(2_000));
    // Single steps leave the clock between two events of one instant, maybe.
    for _ in 0..7 {
        a.step();
    }
    a.apply(UserCommand::Kill(DcId(1))).unwrap();
    a.advance_to(t(5_000));
    a.apply(UserCommand::Revive(DcId(1))).unwrap();
    assert!(a.apply(UserCommand::Revive(DcId(1))).is_err());
    a.advance_to(t(8_000));
    assert_eq!(a.recorded().len(), 2, "a refused command is not recorded");
    let kill = &a.recorded()[0];
    assert!(
        kill.after_events.is_some(),
        "the moment includes the event count"
    );

    let mut b = Session::new(SimConfig::default(), false).unwrap();
    assert_eq!(b.import(a.scenario()).unwrap(), 2);
    assert_eq!(b.pending(), 2);
    let p = b.advance_to(t(8_000));
    assert_eq!(p.replayed, Some(Ok(())));
    assert_eq!(b.pending(), 0);
    assert_eq!(b.sim().trace_hash(), a.sim().trace_hash());
    assert_eq!(
        b.recorded(),
        a.recorded(),
        "the replay records the same moments"
    );
}

#[test]
fn imported_commands_wait_for_their_instant() {
    let mut s = Session::new(busy(4), false).unwrap();
    let sc = Scenario {
        config: busy(4),
        commands: vec![at(3_000, UserCommand::Kill(DcId(2)))],
        until: None,
        bugs: None,
    };
    s.import(sc).unwrap();
    let p = s.advance_to(t(2_999));
    assert_eq!(p.replayed, None);
    assert!(s.sim().is_up(DcId(2)));
    assert_eq!(s.pending(), 1);
    // The export holds what is still scheduled.
    assert_eq!(s.scenario().commands.len(), 1);
    let p = s.advance_to(t(3_000));
    assert_eq!(p.replayed, Some(Ok(())));
    assert!(!s.sim().is_up(DcId(2)));
    assert_eq!(s.pending(), 0);
    assert_eq!(s.recorded()[0].at, t(3_000));
}

#[test]
fn a_refused_scheduled_command_is_reported_and_the_run_goes_on() {
    let mut s = Session::new(busy(5), false).unwrap();
    let sc = Scenario {
        config: busy(5),
        commands: vec![at(1_000, UserCommand::Revive(DcId(1)))],
        until: None,
        bugs: None,
    };
    s.import(sc).unwrap();
    let p = s.advance_to(t(2_000));
    assert_eq!(
        p.replayed,
        Some(Err(CommandError::AlreadyUp(DcId(1)))),
        "reviving a DC that is up is refused"
    );
    assert_eq!(s.sim().now(), t(2_000));
    // The log keeps it (it changes nothing on every replay), so an export is the import.
    assert_eq!(s.recorded().len(), 1);
    assert_eq!(s.pending(), 0);
}

#[test]
fn step_runs_one_event_or_the_next_scheduled_command_and_pauses() {
    let mut s = Session::new(busy(6), true).unwrap();
    s.advance_to(t(1_000));
    let before = s.sim().steps();
    s.step();
    assert_eq!(s.sim().steps(), before + 1, "exactly one event");
    assert!(!s.pacing().running(), "a step pauses");

    // A command scheduled before the next event runs instead of that event.
    let next = s.sim().next_event_at().unwrap();
    let mut cfg = busy(6);
    cfg.workload.ops_per_sec = 0;
    let mut r = Session::new(cfg.clone(), false).unwrap();
    r.import(Scenario {
        config: cfg,
        commands: vec![at(0, UserCommand::Kill(DcId(0)))],
        until: None,
        bugs: None,
    })
    .unwrap();
    let p = r.step();
    assert_eq!(p.replayed, Some(Ok(())));
    assert!(!r.sim().is_up(DcId(0)));
    assert_eq!(r.sim().steps(), 0, "no event ran");
    assert!(next > t(1_000) || next == t(1_000));
}

#[test]
fn ticks_turn_wall_time_into_simulated_time_at_the_chosen_speed() {
    let mut s = Session::new(busy(7), false).unwrap();
    assert_eq!(s.tick(100.0, free), None, "paused: nothing runs");
    assert_eq!(s.sim().now(), t(0));

    s.pacing_mut().play();
    s.pacing_mut().set_pos(pos_of_speed(1.0));
    let speed = s.pacing().speed();
    assert!((speed - 1.0).abs() < 0.01, "{speed}");
    let mut wall = 0.0;
    for _ in 0..30 {
        assert!(s.tick(33.0, free).is_some());
        wall += 33.0;
    }
    let expected = (wall * speed).floor() as u64;
    assert_eq!(s.sim().now(), t(expected), "the fraction carries over");
    assert_eq!(s.pacing().achieved(), None, "keeping up");

    // A long pause of the page (a background tab) resumes gently.
    let now = s.sim().now();
    s.tick(60_000.0, free);
    assert!(s.sim().now().since(now) <= (MAX_WALL_DT_MS * speed).ceil() as u64);

    // Less than a millisecond owed: nothing to do, nothing to draw.
    s.pacing_mut().set_pos(0);
    assert_eq!(s.tick(1.0, free), None);
}

#[test]
fn a_tick_out_of_wall_budget_falls_behind_and_says_how_fast_it_goes() {
    let mut s = Session::new(busy(8), true).unwrap();
    s.pacing_mut().set_pos(SPEED_MAX);
    let start = s.sim().now();
    // The first slice already took longer than the budget.
    s.tick(100.0, || 1_000.0).unwrap();
    let ran = s.sim().now().since(start);
    let owed = (100.0 * speed_of(SPEED_MAX)) as u64;
    assert!(ran > 0 && ran < owed, "ran {ran} of {owed} ms");
    let achieved = s.pacing().achieved().expect("behind");
    assert!(achieved < s.pacing().speed());
    // Caught up again: the note goes away.
    s.pacing_mut().set_pos(pos_of_speed(1.0));
    s.tick(33.0, free).unwrap();
    s.tick(33.0, free).unwrap();
    assert_eq!(s.pacing().achieved(), None);
}

#[test]
fn the_panels_redraw_less_often_while_their_frames_run_late_and_come_back_within_bounds() {
    let mut p = PanelPace::new();
    assert_eq!(p.ms(), PANEL_MIN_MS);
    p.note_frame(FRAME_MS);
    assert_eq!(p.ms(), PANEL_MIN_MS, "never more often than the floor");
    // Redraws that make their frame late: the interval stretches, up to its ceiling.
    p.note_frame(2.0 * FRAME_MS);
    assert!(p.ms() > PANEL_MIN_MS);
    for _ in 0..20 {
        p.note_frame(2.0 * FRAME_MS);
    }
    assert_eq!(p.ms(), PANEL_MAX_MS);
    // Nonsense says nothing.
    p.note_frame(f64::NAN);
    p.note_frame(-1.0);
    assert_eq!(p.ms(), PANEL_MAX_MS);
    // On time again: back to the floor.
    p.note_frame(FRAME_MS);
    assert!(p.ms() < PANEL_MAX_MS);
    for _ in 0..50 {
        p.note_frame(FRAME_MS);
    }
    assert_eq!(p.ms(), PANEL_MIN_MS);
}

#[test]
fn the_frame_budget_shrinks_with_late_frames_and_grows_back_within_its_bounds() {
    let mut b = FrameBudget::new();
    assert_eq!(b.ms(), TICK_BUDGET_MS);
    b.note_frame(FRAME_MS);
    assert_eq!(b.ms(), TICK_BUDGET_MS, "never above the whole budget");
    // Frames twice as long: the simulation yields, down to its floor.
    b.note_frame(2.0 * FRAME_MS);
    assert!(b.ms() < TICK_BUDGET_MS);
    for _ in 0..50 {
        b.note_frame(2.0 * FRAME_MS);
    }
    assert_eq!(b.ms(), MIN_TICK_BUDGET_MS);
    // Nonsense says nothing.
    b.note_frame(f64::NAN);
    b.note_frame(-5.0);
    assert_eq!(b.ms(), MIN_TICK_BUDGET_MS);
    // Frames on time again: it grows back, to the whole budget.
    b.note_frame(FRAME_MS);
    assert!(b.ms() > MIN_TICK_BUDGET_MS);
    for _ in 0..50 {
        b.note_frame(FRAME_MS);
    }
    assert_eq!(b.ms(), TICK_BUDGET_MS);
}

#[test]
fn a_tick_within_a_smaller_budget_runs_the_same_run_only_less_of_it_per_tick() {
    // The budget decides how far a tick gets, never what the run does.
    let mut a = Session::new(busy(9), true).unwrap();
    let mut b = Session::new(busy(9), true).unwrap();
    a.pacing_mut().set_pos(pos_of_speed(10.0));
    b.pacing_mut().set_pos(pos_of_speed(10.0));
    // A clock that says each check took a millisecond: 3 slices fit a 2.5 ms budget.
    let mut spent = 0.0;
    let p = b.tick_within(100.0, 2.5, || {
        spent += 1.0;
        spent
    });
    assert!(p.is_some());
    assert!(b.pacing().achieved().is_some(), "fell behind, and says so");
    let reached = b.sim().now();
    assert!(reached > t(0) && reached < t(990), "ran {reached:?}");
    a.advance_to(reached);
    assert_eq!(a.sim().trace_hash(), b.sim().trace_hash());
}

#[test]
fn a_breakpoint_stops_a_tick_on_its_event_and_pauses() {
    let mut s = Session::new(busy(5), true).unwrap();
    s.set_breakpoint(Some(Breakpoint::TxnDecision));
    let mut hit = None;
    for _ in 0..2_000 {
        if let Some(p) = s.tick(33.0, free) {
            if let Some(h) = p.hit {
                hit = Some(h);
                break;
            }
        }
    }
    let h = hit.expect("a transaction decided");
    assert!(matches!(
        h.event.kind,
        EventKind::Coord {
            state: CoordState::Committed | CoordState::Aborted,
            ..
        }
    ));
    assert_eq!(h.breakpoint, Breakpoint::TxnDecision);
    assert!(h.txn.is_some() && h.dc == h.event.dc);
    assert_eq!(s.sim().now(), h.event.at, "the clock stays on the event");
    assert!(!s.pacing().running());
    assert_eq!(s.tick(33.0, free), None, "paused at the hit");
    assert!(Breakpoint::TxnDecision.hit_by(&h.event.kind));
    assert!(!Breakpoint::Failover.hit_by(&h.event.kind));
    assert_eq!(s.breakpoint(), None, "the hit disarmed it");

    // A new run keeps the breakpoint and the speed, and starts clean.
    s.set_breakpoint(Some(Breakpoint::TxnDecision));
    s.pacing_mut().set_pos(700);
    s.new_run(busy(9)).unwrap();
    assert_eq!(s.breakpoint(), Some(Breakpoint::TxnDecision));
    assert_eq!(s.pacing().pos(), 700);
    assert_eq!(s.sim().now(), t(0));
    assert!(s.recorded().is_empty());
    // A refused config changes nothing.
    let mut bad = busy(10);
    bad.heartbeat_interval_ms = 1;
    assert!(s.new_run(bad).is_err());
    assert_eq!(s.sim().config().seed, 9);
}

#[test]
fn the_speed_slider_is_log_linear() {
    assert_eq!(pos_of_speed(1.0), 434);
    assert!((speed_of(0) - 0.05).abs() < 1e-12);
    assert!((speed_of(SPEED_MAX) - 50.0).abs() < 1e-9);
    assert!((speed_of(500) - 1.581).abs() < 0.001);
    let mut s = Session::new(SimConfig::default(), false).unwrap();
    s.pacing_mut().nudge(10_000);
    assert_eq!(s.pacing().pos(), SPEED_MAX);
    s.pacing_mut().nudge(-20_000);
    assert_eq!(s.pacing().pos(), 0);
}

/// Ticks a running session until a tick stops at a hit (at most `ticks` ticks).
fn tick_to_hit(s: &mut Session, ticks: usize) -> Option<Hit> {
    for _ in 0..ticks {
        if let Some(Progress { hit: Some(h), .. }) = s.tick(33.0, free) {
            return Some(h);
        }
    }
    None
}

#[test]
fn a_breakpoint_fires_once_and_disarms() {
    let mut s = Session::new(busy(5), true).unwrap();
    assert!(!s.keeps_breakpoint(), "fires once by default");
    s.set_breakpoint(Some(Breakpoint::TxnDecision));
    let h = tick_to_hit(&mut s, 2_000).expect("a transaction decided");
    assert_eq!(h.breakpoint, Breakpoint::TxnDecision);
    assert_eq!(s.breakpoint(), None, "the hit disarmed it");
    assert!(!s.pacing().running());
    // Played on, it runs past later decisions without stopping.
    let decided = s.sim().counters().txns_committed + s.sim().counters().txns_aborted;
    s.pacing_mut().play();
    assert_eq!(tick_to_hit(&mut s, 300), None, "no second stop");
    assert!(s.pacing().running());
    let later = s.sim().counters().txns_committed + s.sim().counters().txns_aborted;
    assert!(
        later > decided + 1,
        "decisions went by: {decided} → {later}"
    );

    // `advance_to` and single steps disarm it the same way.
    s.set_breakpoint(Some(Breakpoint::TxnDecision));
    let until = s.sim().now().plus(60_000);
    assert!(s.advance_to(until).hit.is_some());
    assert_eq!(s.breakpoint(), None);
    assert!(s.advance_to(s.sim().now().plus(5_000)).hit.is_none());
    s.set_breakpoint(Some(Breakpoint::TxnDecision));
    let mut stepped = None;
    for _ in 0..200_000 {
        if let Some(h) = s.step().hit {
            stepped = Some(h);
            break;
        }
    }
    assert!(stepped.is_some(), "a step reached a decision");
    assert_eq!(s.breakpoint(), None, "a step's hit disarms too");
}

#[test]
fn keep_armed_refires_at_each_next_event() {
    let mut s = Session::new(busy(5), true).unwrap();
    s.set_keep_breakpoint(true);
    s.set_breakpoint(Some(Breakpoint::TxnDecision));
    let mut hits = Vec::new();
    for _ in 0..3 {
        let h = tick_to_hit(&mut s, 2_000).expect("a decision");
        assert_eq!(s.breakpoint(), Some(Breakpoint::TxnDecision), "still armed");
        assert!(!s.pacing().running());
        hits.push(h);
        s.pacing_mut().play();
    }
    assert!(hits.windows(2).all(|w| w[0].event.seq < w[1].event.seq));
    assert!(hits.windows(2).all(|w| w[0].txn != w[1].txn), "{hits:?}");
    // Kept across a new run, and turned off again: the next hit disarms.
    s.new_run(busy(6)).unwrap();
    assert!(s.keeps_breakpoint());
    s.set_keep_breakpoint(false);
    assert!(tick_to_hit(&mut s, 2_000).is_some());
    assert_eq!(s.breakpoint(), None);
}

#[test]
fn write_acked_stops_right_after_a_single_write_is_acknowledged() {
    let mut s = Session::new(busy(5), false).unwrap();
    s.set_breakpoint(Some(Breakpoint::WriteAcked));
    let h = s
        .advance_to(t(30_000))
        .hit
        .expect("a write was acknowledged");
    let EventKind::Op { ok, label, .. } = &h.event.kind else {
        panic!("{h:?}");
    };
    assert!(*ok);
    assert!(
        matches!(&**label, "PutRow" | "UpdateRow" | "DeleteRow"),
        "{label}"
    );
    assert_eq!(s.sim().now(), h.event.at);
    assert_eq!(h.dc, h.event.dc);
    // It is the first one: no acknowledged single write before it.
    let earlier = s
        .sim()
        .events()
        .filter(|e| e.seq < h.event.seq && Breakpoint::WriteAcked.hit_by(&e.kind))
        .count();
    assert_eq!(earlier, 0);
    // Reads, failed writes and transactions do not hit it.
    let op = |label: &str, ok: bool| EventKind::Op {
        req: ReqId(1),
        label: label.to_string().into(),
        ok,
        detail: String::new(),
        latency_ms: 1,
    };
    assert!(Breakpoint::WriteAcked.hit_by(&op("UpdateRow", true)));
    assert!(Breakpoint::WriteAcked.hit_by(&op("DeleteRow", true)));
    assert!(!Breakpoint::WriteAcked.hit_by(&op("PutRow", false)));
    assert!(!Breakpoint::WriteAcked.hit_by(&op("GetRow", true)));
    assert!(!Breakpoint::WriteAcked.hit_by(&op("GetRange", true)));
    assert!(!Breakpoint::WriteAcked.hit_by(&op("Transaction", true)));
}

#[test]
fn prepare_sent_stops_when_a_coordinator_sends_prepare() {
    let mut s = Session::new(busy(5), false).unwrap();
    s.set_breakpoint(Some(Breakpoint::PrepareSent));
    let h = s.advance_to(t(30_000)).hit.expect("a transaction began");
    assert_eq!(
        h.event.kind,
        EventKind::Coord {
            txn: h.txn.expect("names its transaction"),
            state: CoordState::Working
        }
    );
    assert!(Breakpoint::PrepareSent.is_txn() && Breakpoint::TxnDecision.is_txn());
    assert!(!Breakpoint::WriteAcked.is_txn());
    let trace = s.sim().txn(h.txn.unwrap()).expect("traced");
    assert_eq!(h.dc, Some(trace.coordinator));
    // Its PREPAREs are out, and nothing came back yet.
    assert!(
        trace.msgs.iter().any(|m| m.kind == MsgKind::Prepare),
        "{trace:?}"
    );
    assert!(trace.msgs.iter().all(|m| m.kind == MsgKind::Prepare));
    assert!(trace.part_states.values().all(|v| v.is_empty()));
    assert!(!Breakpoint::PrepareSent.hit_by(&EventKind::Coord {
        txn: h.txn.unwrap(),
        state: CoordState::Committed
    }));
    assert!(!Breakpoint::TxnDecision.hit_by(&h.event.kind));
}

#[test]
fn breakpoints_never_change_the_run() {
    let plain = {
        let mut s = Session::new(busy(8), false).unwrap();
        s.advance_to(t(20_000));
        s.sim().trace_hash()
    };
    for bp in [
        Breakpoint::TxnDecision,
        Breakpoint::PrepareSent,
        Breakpoint::WriteAcked,
        Breakpoint::Finding,
        Breakpoint::Failover,
    ] {
        let mut s = Session::new(busy(8), false).unwrap();
        s.set_keep_breakpoint(true);
        s.set_breakpoint(Some(bp));
        let mut stops = 0;
        while s.advance_to(t(20_000)).hit.is_some() {
            stops += 1;
        }
        assert_eq!(s.sim().now(), t(20_000));
        assert_eq!(s.sim().trace_hash(), plain, "{bp:?} after {stops} stops");
    }
}

#[test]
fn a_pinned_transaction_stays_in_the_snapshot() {
    let mut s = Session::new(busy(5), false).unwrap();
    s.set_breakpoint(Some(Breakpoint::PrepareSent));
    let first = s.advance_to(t(30_000)).hit.and_then(|h| h.txn).unwrap();
    while s.sim().txns().filter(|x| x.id > first).count() <= 70 {
        s.advance_to(s.sim().now().plus(1_000));
    }
    assert!(s.sim().txn(first).is_some(), "still traced");
    assert!(!s.sim().snapshot().txns.iter().any(|x| x.id == first));
    let pinned = s.sim().snapshot_pinning(Some(first)).txns;
    let plain = s.sim().snapshot().txns;
    assert_eq!(pinned.len(), plain.len() + 1);
    assert_eq!(pinned[0].id, first, "in id order: the oldest first");
    assert!(pinned.windows(2).all(|w| w[0].id < w[1].id));
    // Pinning one already listed adds nothing.
    let newest = plain.last().unwrap().id;
    assert_eq!(s.sim().snapshot_pinning(Some(newest)).txns, plain);
}

#[test]
fn a_seek_then_play_is_the_straight_run() {
    let straight = |to: u64| {
        let mut s = Session::new(busy(11), false).unwrap();
        s.advance_to(t(3_000));
        s.apply(UserCommand::Kill(DcId(2))).unwrap();
        s.advance_to(t(to));
        (s.sim().trace_hash(), s.sim().steps())
    };
    let mut s = Session::new(busy(11), true).unwrap();
    s.advance_to(t(3_000));
    s.apply(UserCommand::Kill(DcId(2))).unwrap();
    s.advance_to(t(20_000));
    let end = (s.sim().trace_hash(), s.sim().steps());
    assert_eq!(end, straight(20_000));
    s.seek(t(1_500));
    assert!(!s.pacing().running(), "a seek pauses");
    assert!(s.sim().is_up(DcId(2)), "before the kill");
    assert_eq!(s.pending(), 1, "the kill is ahead again");
    s.seek(t(12_345));
    assert_eq!((s.sim().trace_hash(), s.sim().steps()), straight(12_345));
    s.seek(t(2_000));
    s.advance_to(t(20_000));
    assert_eq!((s.sim().trace_hash(), s.sim().steps()), end);
    assert_eq!(
        s.branch_name(),
        "main",
        "playing on replays the branch: no fork"
    );
    assert_eq!(s.timeline().branches().len(), 1);
}

#[test]
fn one_event_back_and_forth() {
    let mut s = Session::new(busy(12), false).unwrap();
    s.advance_to(t(4_000));
    let (h, n) = (s.sim().trace_hash(), s.sim().steps());
    s.step();
    assert_eq!(s.sim().steps(), n + 1);
    s.step_back();
    assert_eq!((s.sim().trace_hash(), s.sim().steps()), (h, n));
    s.seek(t(0));
    s.step_back();
    assert_eq!(s.sim().steps(), 0, "nothing before the start");
}

#[test]
fn acting_after_a_seek_forks_and_keeps_the_old_branch() {
    let mut s = Session::new(busy(13), false).unwrap();
    s.advance_to(t(10_000));
    let main_hash = s.sim().trace_hash();
    s.seek(t(4_000));
    let fork = s.apply(UserCommand::Kill(DcId(1))).unwrap();
    assert_eq!(fork.as_deref(), Some("fork 1"));
    assert_eq!(s.branch_name(), "fork 1");
    let names: Vec<String> = s
        .timeline()
        .branches()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["main", "fork 1"]);
    // At the fork's end, acting again does not fork.
    s.advance_to(t(6_000));
    assert_eq!(s.apply(UserCommand::Revive(DcId(1))).unwrap(), None);
    s.advance_to(t(10_000));
    assert_ne!(s.sim().trace_hash(), main_hash);
    assert!(s.switch_to("main"));
    assert_eq!(s.sim().now(), t(10_000));
    assert_eq!(s.sim().trace_hash(), main_hash, "the old future is whole");
    assert!(!s.switch_to("no such branch"));
}

#[test]
fn markers_show_commands_faults_and_decisions_bounded_per_kind() {
    use tablestore_sim::markers::MARKERS_PER_KIND;
    use tablestore_sim::MarkerKind;
    let mut s = Session::new(busy(14), false).unwrap();
    s.advance_to(t(2_000));
    s.apply(UserCommand::Kill(DcId(0))).unwrap();
    s.advance_to(t(8_000));
    s.apply(UserCommand::Revive(DcId(0))).unwrap();
    s.advance_to(t(40_000));
    let m = s.markers();
    let of = |k: MarkerKind| m.iter().filter(|x| x.kind == k).count();
    assert_eq!(of(MarkerKind::Fault), 1);
    assert_eq!(of(MarkerKind::Command), 1, "the revive");
    assert!(of(MarkerKind::Decision) > 0);
    assert!(MarkerKind::ALL.iter().all(|&k| of(k) <= MARKERS_PER_KIND));
    assert!(m.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
    let kill = m.iter().find(|x| x.kind == MarkerKind::Fault).unwrap();
    assert_eq!(kill.at, t(2_000));
    // Seeking back keeps the future's markers; a fork drops them.
    s.seek(t(5_000));
    assert_eq!(s.markers(), m);
    s.apply(UserCommand::Kill(DcId(3))).unwrap();
    let f = s.markers();
    assert!(f.iter().all(|x| x.at <= t(5_000)), "{f:?}");
    assert_eq!(
        f.iter().filter(|x| x.kind == MarkerKind::Fault).count(),
        2,
        "both kills"
    );
}

#[test]
fn a_share_link_opens_the_same_run_at_the_same_moment_paused() {
    let mut a = Session::new(busy(15), true).unwrap();
    a.advance_to(t(3_000));
    a.apply(UserCommand::Kill(DcId(2))).unwrap();
    a.advance_to(t(9_000));
    a.seek(t(6_500));
    let text = a.link();
    let mut b = Session::new(SimConfig::default(), true).unwrap();
    b.set_breakpoint(Some(Breakpoint::Failover));
    b.open_link(&text).unwrap();
    assert_eq!(b.sim().now(), t(6_500));
    assert_eq!(b.sim().trace_hash(), a.sim().trace_hash());
    assert_eq!(b.timeline().end(), t(9_000), "the whole run's length");
    assert!(!b.pacing().running(), "opens paused");
    assert_eq!(b.breakpoint(), Some(Breakpoint::Failover), "kept");
    b.set_breakpoint(None);
    b.advance_to(t(9_000));
    a.advance_to(t(9_000));
    assert_eq!(b.sim().trace_hash(), a.sim().trace_hash());
    assert_eq!(b.branch_name(), "main");

    // A link to a finding's instant is a link to that moment.
    let mut c = Session::new(SimConfig::default(), false).unwrap();
    c.open_link(&a.link_at(t(4_000))).unwrap();
    assert_eq!(c.sim().now(), t(4_000));

    // Broken links change nothing.
    let before = (b.sim().now(), b.sim().trace_hash());
    assert!(b.open_link("garbage!").is_err());
    assert!(b.open_link(&text[..text.len() / 2]).is_err());
    assert!(b.open_link("").is_err());
    assert_eq!((b.sim().now(), b.sim().trace_hash()), before);
}

#[test]
fn a_long_log_keeps_the_newest_commands_as_markers() {
    use tablestore_sim::markers::MARKERS_PER_KIND;
    use tablestore_sim::MarkerKind;
    let mut s = Session::new(busy(16), false).unwrap();
    for i in 0..(MARKERS_PER_KIND as u64 + 10) {
        s.advance_to(t(100 * (i + 1)));
        s.apply(UserCommand::SetLatency {
            from: DcId(0),
            to: DcId(1),
            ms: 10 + i as u32,
        })
        .unwrap();
    }
    let cmds: Vec<_> = s
        .markers()
        .into_iter()
        .filter(|m| m.kind == MarkerKind::Command)
        .collect();
    assert_eq!(cmds.len(), MARKERS_PER_KIND);
    assert_eq!(cmds.last().unwrap().at, s.sim().now(), "the newest kept");
    assert_eq!(cmds[0].at, t(100 * 11), "the oldest ten dropped");
}

/// A transaction issued live (Operate) stops at PrepareSent as a scripted one does: its
/// PREPAREs go out during the command itself, so the hit comes from `apply`.
#[test]
fn a_live_transaction_stops_at_prepare_sent() {
    let mut cfg = busy(1);
    cfg.workload.ops_per_sec = 0;
    let txn: UserCommand = serde_json::from_str(
        r#"{"Issue": {"home": 0, "op": {"Txn": [
            {"table": 0, "pk": [{"Str": "k8"}], "kind": {"Put": [["balance", {"Int": 5}]]}},
            {"table": 0, "pk": [{"Str": "k4"}], "kind": {"Put": [["balance", {"Int": 5}]]}}
        ]}}}"#,
    )
    .unwrap();
    let mut s = Session::new(cfg, true).unwrap();
    s.advance_to(t(2_000));
    s.set_breakpoint(Some(Breakpoint::PrepareSent));
    assert_eq!(s.take_command_hit(), None);
    s.apply(txn).unwrap();
    let h = s
        .take_command_hit()
        .expect("the live transaction hit PrepareSent");
    assert!(!s.pacing().running(), "the run pauses at the hit");
    assert_eq!(
        h.dc,
        Some(DcId(0)),
        "the coordinator is the client's home DC"
    );
    let trace = s.sim().txn(h.txn.expect("names its transaction")).unwrap();
    assert!(trace.msgs.iter().all(|m| m.kind == MsgKind::Prepare));
    assert_eq!(s.take_command_hit(), None, "taken once");
    // A command that records no such event does not stop the run.
    let mut s = Session::new(busy(1), true).unwrap();
    s.set_breakpoint(Some(Breakpoint::PrepareSent));
    s.apply(UserCommand::Kill(DcId(2))).unwrap();
    assert_eq!(s.take_command_hit(), None);
}
