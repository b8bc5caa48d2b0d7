//! Rewind, fork and share (issue 11), natively: seeking from checkpoints reaches exactly
//! the state a straight run reaches, scrubbing back and forth changes nothing, a fork
//! changes the future and its link reproduces it, and links refuse damage by name.
//!
//! `TIMELINE_SCHEDULES=N` changes how many fault schedules are sought through (default 200).

use crate::common::put;
use tablestore_sim::link::{self, base64url, unbase64url};
use tablestore_sim::rng::Rng;
use tablestore_sim::scenario::{Scenario, ScheduledCommand};
use tablestore_sim::schedule::{play, schedule, Modes, ScheduleOptions, FAULT_SPAN_MS};
use tablestore_sim::{
    Counters, DcId, Finding, LinkError, Moment, RunLink, Session, Sim, SimConfig, SimTime,
    Snapshot, Timeline, UserCommand, LINK_VERSION, LINK_VERSION_PLAIN,
};

/// Everything a front end can see of a run at one moment.
#[derive(Debug, PartialEq)]
struct Seen {
    now: SimTime,
    steps: u64,
    hash: u64,
    counters: Counters,
    findings: Vec<Finding>,
    snapshot: Snapshot,
    events: usize,
    metrics: usize,
}

fn seen(sim: &Sim) -> Seen {
    Seen {
        now: sim.now(),
        steps: sim.steps(),
        hash: sim.trace_hash(),
        counters: sim.counters().clone(),
        findings: sim.findings().iter().map(|f| (**f).clone()).collect(),
        snapshot: sim.snapshot(),
        events: sim.events().count(),
        metrics: sim.metrics().count(),
    }
}

/// A straight run of `sc` to `t`: a fresh `Sim`, the commands up to `t`, no checkpoint.
fn straight(sc: &Scenario, t: SimTime) -> Sim {
    let cut = Scenario {
        config: sc.config.clone(),
        commands: sc
            .commands
            .iter()
            .filter(|c| Moment::at(t).at >= c.at)
            .cloned()
            .collect(),
        until: Some(t),
        bugs: None,
    };
    let mut sim = Sim::new(sc.config.clone()).expect("valid config");
    play(&mut sim, &cut);
    sim
}

fn count() -> u64 {
    std::env::var("TIMELINE_SCHEDULES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// For one schedule: the run to its end (checkpoints on the way), then seeks to random
/// instants and event counts, each compared with a straight run; then back and forth.
fn check_schedule(seed: u64) -> Result<(), String> {
    let sc = schedule(seed, ScheduleOptions::new(Modes::Mixed));
    let end = SimTime(FAULT_SPAN_MS);
    let mut tl = Timeline::from_scenario(sc.clone()).map_err(|e| e.to_string())?;
    tl.advance_to(end);
    let at_end = seen(tl.sim());
    if at_end != seen(&straight(&sc, end)) {
        return Err(format!(
            "seed {seed}: the timeline's run to the end differs"
        ));
    }
    if tl.checkpoints().len() < 2 {
        return Err(format!("seed {seed}: no checkpoint taken"));
    }
    let mut r = Rng::new(seed ^ 0x71e);
    for _ in 0..3 {
        let t = SimTime(r.below(FAULT_SPAN_MS + 1));
        tl.seek(t);
        let want = seen(&straight(&sc, t));
        if seen(tl.sim()) != want {
            return Err(format!(
                "seed {seed}: seek to {t} differs from a straight run"
            ));
        }
    }
    // At a command's own instant, its link reproduces the state (the schedule's
    // commands carry no event count until applied).
    if let Some(c) = sc.commands.get(r.below(sc.commands.len() as u64) as usize) {
        tl.seek(c.at);
        let opened = Timeline::from_link(&tl.link()).map_err(|e| e.to_string())?;
        if seen(opened.sim()) != seen(tl.sim()) {
            return Err(format!("seed {seed}: the link at {} differs", c.at));
        }
    }
    // By event count, against a session stepping through the same scenario.
    let n = r.below(at_end.steps.max(1));
    tl.seek_events(n);
    let mut session = Session::new(sc.config.clone(), false).map_err(|e| e.to_string())?;
    session.import(sc.clone()).map_err(|e| e.to_string())?;
    while session.sim().steps() < n {
        session.step();
    }
    if seen(tl.sim()) != seen(session.sim()) {
        return Err(format!(
            "seed {seed}: seek to event {n} differs from stepping"
        ));
    }
    // Scrub back, then forward again: the same run at the same instant.
    let t = SimTime(r.range(1, FAULT_SPAN_MS));
    tl.seek(t);
    let hash = tl.trace_hash();
    tl.seek(SimTime(r.below(t.0)));
    tl.seek(end);
    if seen(tl.sim()) != at_end {
        return Err(format!(
            "seed {seed}: back and forward again differs at the end"
        ));
    }
    tl.seek(t);
    if tl.trace_hash() != hash {
        return Err(format!(
            "seed {seed}: back and forward again differs at {t}"
        ));
    }
    Ok(())
}

#[test]
fn seeking_from_checkpoints_equals_a_straight_run_over_fault_schedules() {
    let n = count();
    let threads = 2u64;
    let failures: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|k| {
                s.spawn(move || {
                    (1..=n)
                        .filter(|seed| seed % threads == k)
                        .filter_map(|seed| check_schedule(seed).err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect()
    });
    println!(
        "timeline: {n} schedules sought through, {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn busy(seed: u64) -> SimConfig {
    let mut c = SimConfig::with_dcs(5);
    c.seed = seed;
    c.workload.ops_per_sec = 60;
    c
}

#[test]
fn checkpoints_stay_bounded_and_thin_as_the_run_grows() {
    let mut c = busy(3);
    c.workload.ops_per_sec = 5;
    let mut tl = Timeline::new(c).expect("valid");
    tl.advance_to(SimTime(400_000));
    let cps = tl.checkpoints();
    assert!(cps.len() <= tablestore_sim::timeline::MAX_CHECKPOINTS);
    assert!(tl.checkpoint_spacing() > tablestore_sim::timeline::CHECKPOINT_MS);
    // Spread over the whole run, no gap wider than the spacing.
    for w in cps.windows(2) {
        assert!(w[1].0 - w[0].0 <= tl.checkpoint_spacing(), "{cps:?}");
    }
    assert!(400_000 - cps.last().expect("some").0 <= tl.checkpoint_spacing());
}

/// A busy world's checkpoints are large: past what the byte budget holds (what they hold
/// beyond one another), the grid thins as it does past the count bound — and a seek
/// stays exact.
#[test]
fn checkpoints_of_a_busy_world_stay_within_the_byte_budget_and_seeks_stay_exact() {
    let mut c = busy(4);
    c.workload.ops_per_sec = 400;
    c.workload.keys = 2_000;
    let budget = 4 * (1 << 20);
    let mut tl = Timeline::new(c.clone()).expect("valid");
    tl.set_checkpoint_budget(budget);
    tl.advance_to(SimTime(60_000));
    let each = tl.sim().approx_bytes();
    assert!(each > budget / 8, "a busy world weighs: {each} B");
    let n = tl.checkpoints().len();
    let held = tl.checkpoint_bytes() + tl.sim().bytes_beyond(None);
    assert!(
        n <= 2 || held <= budget + budget / 4,
        "{n} checkpoints hold {held} B beyond one another and the live run in a {budget} B budget"
    );
    // The default budget keeps more of the same run.
    let mut roomy = Timeline::new(c).expect("valid");
    roomy.advance_to(SimTime(60_000));
    assert!(roomy.checkpoints().len() > n);
    // Exact all the same: a seek equals a straight run.
    tl.seek(SimTime(41_234));
    roomy.seek(SimTime(41_234));
    assert_eq!(tl.trace_hash(), roomy.trace_hash());
    assert_eq!(seen(tl.sim()), seen(roomy.sim()));
}

/// What a checkpoint holds beyond a later state of the run: nothing of what they still
/// share, so a fresh clone holds only its own lists beyond the live run and one far
/// behind holds its diverged shards too.
#[test]
fn a_checkpoint_counts_only_what_it_does_not_share_with_the_run_after_it() {
    let mut c = busy(5);
    c.workload.ops_per_sec = 400;
    c.workload.keys = 2_000;
    let mut tl = Timeline::new(c).expect("valid");
    tl.advance_to(SimTime(20_000));
    let then = tl.sim().clone();
    let twin = then.clone();
    let same = then.bytes_beyond(Some(&twin));
    tl.advance_to(SimTime(60_000));
    let later = then.bytes_beyond(Some(tl.sim()));
    // A clone shares every node and shard; it holds its own lists (checker, recorder).
    assert!(
        same + same / 4 < later,
        "a clone shares its shards: {same} B vs {later} B"
    );
    let all = then.bytes_beyond(None);
    assert!(later <= all, "at most all it holds: {later} B vs {all} B");
    assert!(
        all <= 2 * then.approx_bytes() && then.approx_bytes() <= 2 * all,
        "all it holds is about a world: {all} B vs {} B",
        then.approx_bytes()
    );
}

/// The byte budget decides from an estimate from sizes (`bytes_beyond_estimate`, no row
/// walked): near the walked count, a little over it rather than under.
#[test]
fn the_byte_budget_estimate_is_near_the_walked_count() {
    let mut c = busy(5);
    c.workload.ops_per_sec = 400;
    c.workload.keys = 2_000;
    let mut tl = Timeline::new(c).expect("valid");
    tl.advance_to(SimTime(20_000));
    let then = tl.sim().clone();
    for until in [22_000, 40_000] {
        tl.advance_to(SimTime(until));
        let walk = then.bytes_beyond(Some(tl.sim()));
        let est = then.bytes_beyond_estimate(Some(tl.sim()));
        assert!(
            est >= walk - walk / 10 && est <= walk + walk / 2,
            "at {until} ms: estimated {est} B, walked {walk} B"
        );
    }
    let (walk, est) = (then.bytes_beyond(None), then.bytes_beyond_estimate(None));
    assert!(
        est >= walk - walk / 10 && est <= walk + walk / 10,
        "all it holds: estimated {est} B, walked {walk} B"
    );
}

#[test]
fn a_fork_changes_the_future_keeps_the_old_one_and_its_link_reproduces_it() {
    let c = busy(11);
    let mut tl = Timeline::new(c.clone()).expect("valid");
    tl.advance_to(SimTime(3_000));
    assert_eq!(
        tl.apply(UserCommand::Kill(DcId(1))),
        Ok(None),
        "at the end: no fork"
    );
    tl.advance_to(SimTime(12_000));
    let main_hash = tl.trace_hash();
    let main_seen = seen(tl.sim());
    assert_eq!(tl.branch_name(), "main");

    // Back to 6 s, and act there: a new branch.
    tl.seek(SimTime(6_000));
    let forked = tl
        .apply(UserCommand::Kill(DcId(0)))
        .expect("DC 0 is up at 6 s");
    assert_eq!(forked.as_deref(), Some("fork 1"));
    assert_eq!(tl.branch_name(), "fork 1");
    assert_eq!(tl.end(), SimTime(6_000), "the fork's future starts empty");
    assert_eq!(tl.commands().len(), 2);
    tl.advance_to(SimTime(12_000));
    assert_ne!(tl.trace_hash(), main_hash, "the fork changed the future");
    let fork_seen = seen(tl.sim());
    let names: Vec<String> = tl.branches().into_iter().map(|b| b.name).collect();
    assert_eq!(names, ["main", "fork 1"]);
    assert_eq!(
        tl.branches()[1].parent,
        Some(("main".to_string(), SimTime(6_000)))
    );

    // The fork's link, opened elsewhere: the same run at the same moment.
    let text = tl.link();
    let opened = Timeline::from_link(&text).expect("own link reads");
    assert_eq!(seen(opened.sim()), fork_seen);
    assert_eq!(opened.end(), SimTime(12_000));
    // And a straight run of its scenario agrees.
    assert_eq!(seen(&straight(&tl.scenario(), SimTime(12_000))), fork_seen);

    // The old future is still there, whole.
    assert!(tl.switch_to("main"));
    assert_eq!(tl.now(), SimTime(12_000));
    assert_eq!(seen(tl.sim()), main_seen);
    assert!(!tl.switch_to("no such branch"));
    // A refused command forks nothing.
    tl.seek(SimTime(5_000));
    assert!(
        tl.apply(UserCommand::Kill(DcId(1))).is_err(),
        "DC 1 is down at 5 s"
    );
    assert_eq!(tl.branches().len(), 2);
}

#[test]
fn acting_mid_instant_after_single_steps_replays_exactly() {
    let mut tl = Timeline::new(busy(5)).expect("valid");
    tl.advance_to(SimTime(2_500));
    for _ in 0..7 {
        tl.step();
    }
    tl.apply(UserCommand::Issue {
        home: DcId(2),
        op: put("mid", 1),
    })
    .expect("issued");
    tl.advance_to(SimTime(9_000));
    let want = seen(tl.sim());
    tl.seek(SimTime(1_000));
    tl.seek(SimTime(9_000));
    assert_eq!(seen(tl.sim()), want);
    let opened = Timeline::from_link(&tl.link()).expect("reads");
    assert_eq!(seen(opened.sim()), want);
}

#[test]
fn breakpoints_stop_forward_runs_but_not_seeks() {
    let mut tl = Timeline::new(busy(8)).expect("valid");
    tl.advance_to(SimTime(5_000));
    tl.apply(UserCommand::Kill(DcId(0))).expect("killed");
    tl.advance_to(SimTime(10_000));
    let want = seen(tl.sim());
    tl.set_breakpoint(Some(tablestore_sim::Breakpoint::Failover));
    tl.seek(SimTime(2_000));
    tl.seek(SimTime(10_000));
    assert_eq!(
        seen(tl.sim()).hash,
        want.hash,
        "a seek runs through the breakpoint"
    );
}

/// A 10-minute run with 50 commands: the link's size (printed; the note quotes it).
#[test]
fn a_ten_minute_run_with_fifty_commands_fits_a_short_link() {
    let mut c = SimConfig::with_dcs(8);
    c.seed = 2024;
    let mut tl = Timeline::new(c).expect("valid");
    let mut r = Rng::new(1);
    let mut applied = 0;
    let mut t = 0;
    while applied < 50 {
        t += 10_000 + r.below(2_000);
        tl.advance_to(SimTime(t));
        let d = DcId(r.below(8) as u16);
        let cmd = match r.below(4) {
            0 => UserCommand::Kill(d),
            1 => UserCommand::Revive(d),
            2 => UserCommand::CutLink {
                from: d,
                to: DcId((d.0 + 1) % 8),
            },
            _ => UserCommand::Issue {
                home: d,
                op: put(&format!("k{applied}"), applied),
            },
        };
        if tl.apply(cmd).is_ok() {
            applied += 1;
        }
    }
    tl.advance_to(SimTime(600_000));
    let text = tl.link();
    let json = serde_json::to_string(&tl.scenario()).expect("serializes");
    println!(
        "share link for a 10-minute, 8-DC run with 50 commands: {} characters (scenario JSON {} bytes)",
        text.len(),
        json.len()
    );
    assert!(text.len() < 4_000, "{} characters", text.len());
    let back = link::decode(&text).expect("reads");
    assert_eq!(back.scenario, tl.scenario());
    assert_eq!(back.at, tl.moment());
}

#[test]
fn links_round_trip() {
    let sc = schedule(7, ScheduleOptions::new(Modes::Mixed));
    for at in [
        Moment::at(SimTime(0)),
        Moment::at(SimTime(1234)),
        Moment {
            at: SimTime(99),
            events: Some(0),
        },
        Moment {
            at: SimTime(5_000),
            events: Some(123_456_789),
        },
    ] {
        let l = RunLink {
            scenario: sc.clone(),
            at,
        };
        let text = link::encode(&l);
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(link::decode(&text), Ok(l.clone()));
        assert_eq!(link::decode(&format!("#run={text}")), Ok(l));
    }
    for n in 0..40usize {
        let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
        assert_eq!(unbase64url(&base64url(&bytes)), Ok(bytes));
    }
}

fn sample_link() -> String {
    let mut tl = Timeline::new(busy(9)).expect("valid");
    tl.advance_to(SimTime(2_000));
    tl.apply(UserCommand::Kill(DcId(3))).expect("killed");
    tl.advance_to(SimTime(4_000));
    tl.link()
}

#[test]
fn damaged_links_are_refused_by_name_never_with_a_panic() {
    let text = sample_link();
    assert_eq!(link::decode(""), Err(LinkError::Empty));
    assert_eq!(link::decode("#run="), Err(LinkError::Empty));
    // Cut anywhere: refused.
    for cut in 1..text.len() {
        let e = link::decode(&text[..cut]).expect_err("a cut link is refused");
        assert!(!e.to_string().is_empty());
    }
    // Any one character changed: refused (the checksum catches what inflating does not).
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut r = Rng::new(4);
    for _ in 0..300 {
        let mut b = text.clone().into_bytes();
        let i = r.below(b.len() as u64) as usize;
        let c = alphabet[r.below(64) as usize];
        if b[i] == c {
            continue;
        }
        b[i] = c;
        let s = String::from_utf8(b).expect("ascii");
        // The last character may carry padding bits only; a change there can be harmless.
        if let Ok(l) = link::decode(&s) {
            assert_eq!(i, text.len() - 1, "a changed link read as {:?}", l.at);
        }
    }
    assert_eq!(
        link::decode(&format!("{}!{}", &text[..5], &text[6..])),
        Err(LinkError::BadChar(5))
    );
    // Garbage: refused.
    for g in ["hello", "AAAA", "____", "AQ", "%%%", "run=🙂"] {
        assert!(link::decode(g).is_err(), "{g}");
    }
}

#[test]
fn a_link_from_a_future_version_is_refused_naming_it() {
    let text = sample_link();
    let mut bytes = unbase64url(&text).expect("own link");
    assert_eq!(
        bytes[0], LINK_VERSION_PLAIN,
        "a run without bugs keeps format 1"
    );
    bytes[0] = LINK_VERSION + 1;
    let e = link::decode(&base64url(&bytes)).expect_err("future");
    assert_eq!(e, LinkError::FutureVersion(LINK_VERSION + 1));
    let msg = e.to_string();
    assert!(
        msg.contains("newer version") && msg.contains(&format!("format {}", LINK_VERSION + 1)),
        "{msg}"
    );
    bytes[0] = 0;
    assert_eq!(
        link::decode(&base64url(&bytes)),
        Err(LinkError::UnknownVersion(0))
    );
    let e = Timeline::from_link(&base64url(&bytes))
        .err()
        .expect("refused");
    assert_eq!(e, LinkError::UnknownVersion(0));
}

#[test]
fn a_link_whose_run_breaks_a_scenario_rule_says_which() {
    let mut sc = schedule(3, ScheduleOptions::new(Modes::Mixed));
    sc.commands.push(ScheduledCommand {
        at: SimTime(1),
        after_events: None,
        cmd: UserCommand::Kill(DcId(0)),
    });
    let text = link::encode(&RunLink {
        scenario: sc,
        at: Moment::at(SimTime(0)),
    });
    match link::decode(&text) {
        Err(LinkError::Invalid(why)) => assert!(why.contains("time order"), "{why}"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// A scenario's optional `bugs`: absent in old files (they load as before), carried by
/// a run opened from it, its export and its link (format 2); a format-1 link may not
/// carry it.
#[test]
fn seeded_bugs_travel_with_a_scenario_and_its_link() {
    use tablestore_sim::scenario::{parse_scenario, scenario_json};
    use tablestore_sim::Bugs;
    let plain = Scenario {
        config: busy(9),
        commands: vec![],
        until: Some(SimTime(3_000)),
        bugs: None,
    };
    let json = scenario_json(&plain);
    assert!(!json.contains("bugs"), "a run without bugs writes no field");
    let bugs = Bugs {
        replication_skips_dc0: true,
        ..Bugs::default()
    };
    let text = json.replacen('{', r#"{"bugs": {"replication_skips_dc0": true},"#, 1);
    let sc = parse_scenario(&text).expect("a file naming one flag");
    assert_eq!(sc.bugs, Some(bugs));
    assert!(
        parse_scenario(&json.replacen('{', r#"{"bugs": {"no_such_bug": true},"#, 1)).is_err(),
        "an unknown flag is refused, not ignored"
    );
    let mut tl = Timeline::from_scenario(sc.clone()).expect("valid");
    tl.advance_to(SimTime(3_000));
    let mut plain_tl = Timeline::from_scenario(plain).expect("valid");
    plain_tl.advance_to(SimTime(3_000));
    assert_ne!(
        tl.trace_hash(),
        plain_tl.trace_hash(),
        "the bug changes the run"
    );
    assert_eq!(tl.scenario().bugs, Some(bugs));
    let link = tl.link();
    assert_eq!(unbase64url(&link).unwrap()[0], LINK_VERSION);
    let back = Timeline::from_link(&link).expect("reads format 2");
    assert_eq!(back.scenario().bugs, Some(bugs));
    assert_eq!(back.trace_hash(), tl.trace_hash());
    assert_eq!(
        unbase64url(&plain_tl.link()).unwrap()[0],
        LINK_VERSION_PLAIN
    );
    // A format-1 link that carries bugs was not written by any page: refused.
    let mut bytes = unbase64url(&link).unwrap();
    bytes[0] = LINK_VERSION_PLAIN;
    assert!(matches!(
        link::decode(&base64url(&bytes)),
        Err(LinkError::Invalid(_))
    ));
}
