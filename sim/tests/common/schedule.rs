//! Running the core's seeded fault schedules (`tablestore_sim::schedule`) in tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write;
use tablestore_sim::config::SimConfig;
use tablestore_sim::schedule::{describe, play, schedule, settle, ScheduleOptions};
use tablestore_sim::{Bugs, FindingKind, Sim};

pub use tablestore_sim::schedule::Modes;

pub struct Outcome {
    pub seed: u64,
    pub findings: BTreeMap<FindingKind, usize>,
    pub violations: usize,
    /// The schedule and the first violations, ready to print.
    pub report: String,
    /// Membership / placement / R changes applied and refused (admin schedules only).
    pub admin_applied: usize,
    pub admin_refused: usize,
}

/// Runs one schedule (`tablestore_sim::schedule`): its faults over the fault span, then
/// `settle`, so the settled-state invariants are checked.
pub fn run(seed: u64, modes: Modes, bugs: Bugs) -> Outcome {
    run_with(seed, ScheduleOptions::new(modes), bugs)
}

/// The same with any schedule options (e.g. `admin`).
pub fn run_with(seed: u64, opts: ScheduleOptions, bugs: Bugs) -> Outcome {
    let sc = schedule(seed, opts);
    let mut sim = Sim::with_bugs(sc.config.clone(), bugs).expect("generated configs are valid");
    let applied = play(&mut sim, &sc);
    let healed = settle(&mut sim);
    let is_admin = |c: &tablestore_sim::UserCommand| {
        use tablestore_sim::UserCommand as U;
        matches!(c, U::AddDc(_) | U::RemoveDc(_))
    };
    let admin_applied = applied
        .iter()
        .filter(|a| is_admin(&a.scheduled.cmd) && a.result.is_ok())
        .count();
    let admin_refused = applied
        .iter()
        .filter(|a| is_admin(&a.scheduled.cmd) && a.result.is_err())
        .count();
    let mut findings = BTreeMap::new();
    for f in sim.findings() {
        *findings.entry(f.kind).or_insert(0) += 1;
    }
    let violations = sim.checker().violations();
    let mut report = String::new();
    if violations > 0 {
        let modes = opts.modes;
        let _ = writeln!(
            report,
            "seed {seed} ({modes:?}, {bugs:?}): {} DCs; config {:?}",
            sc.config.dcs.len(),
            short_config(sim.config())
        );
        for a in &applied {
            let _ = writeln!(
                report,
                "  t={} {}{}",
                a.scheduled.at,
                describe(&a.scheduled.cmd),
                if a.result.is_ok() { "" } else { " (refused)" }
            );
        }
        let _ = writeln!(report, "  t={healed} heal all, revive all");
        for f in sim
            .findings()
            .iter()
            .filter(|f| f.kind.is_violation())
            .take(5)
        {
            let _ = writeln!(
                report,
                "  VIOLATION {:?} at t={}: {} — {}",
                f.kind, f.at, f.text, f.cause
            );
        }
    }
    Outcome {
        seed,
        findings,
        violations,
        report,
        admin_applied,
        admin_refused,
    }
}

fn short_config(c: &SimConfig) -> String {
    format!(
        "{:?} R={} modes={:?} read={:?}",
        c.placement,
        c.replication_factor,
        c.tables.iter().map(|t| t.mode).collect::<Vec<_>>(),
        c.read_consistency
    )
}

/// Runs `count` schedules from `first_seed` on two threads; results in seed order.
pub fn run_many(first_seed: u64, count: u64, modes: Modes, bugs: Bugs) -> Vec<Outcome> {
    run_many_with(first_seed, count, modes, bugs, false)
}

/// The same, with or without admin changes in the schedules.
pub fn run_many_with(
    first_seed: u64,
    count: u64,
    modes: Modes,
    bugs: Bugs,
    admin: bool,
) -> Vec<Outcome> {
    let opts = ScheduleOptions { modes, admin };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4) as u64;
    let mut all: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (first_seed..first_seed + count)
                        .filter(|seed| seed % threads == t)
                        .map(|seed| run_with(seed, opts, bugs))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("schedule thread"))
            .collect()
    });
    all.sort_by_key(|o| o.seed);
    all
}
