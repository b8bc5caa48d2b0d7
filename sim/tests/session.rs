//! A session — replay and pacing — natively, with made-up wall times: recorded commands
//! replay exactly, imported ones wait for their moment, ticks turn wall time into
//! simulated time at the chosen speed and within a wall budget, breakpoints pause.

use crate::common::*;
use tablestore_sim::pacing::{pos_of_speed, speed_of, MAX_WALL_DT_MS, SPEED_MAX};
use tablestore_sim::scenario::{Scenario, ScheduledCommand};
use tablestore_sim::trace::reference_trace;
use tablestore_sim::{
    Breakpoint, CommandError, CoordState, DcId, EventKind, Session, SimConfig, SimTime, UserCommand,
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
    };
    s.import(sc).unwrap();
    let p = s.advance_to(t(2_000));
    assert_eq!(
        p.replayed,
        Some(Err(CommandError::AlreadyUp(DcId(1)))),
        "reviving a DC that is up is refused"
    );
    assert_eq!(s.sim().now(), t(2_000));
    assert!(s.recorded().is_empty());
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

    // A new run keeps the breakpoint and the speed, and starts clean.
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
