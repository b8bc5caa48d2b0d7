//! Random fault schedules over a busy workload, replayable from their seed.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write;
use tablestore_sim::config::{
    KeyDistribution, PlacementKind, ReadConsistency, ReplicationMode, SimConfig,
};
use tablestore_sim::rng::Rng;
use tablestore_sim::{Bugs, DcId, FindingKind, Sim, SimTime, UserCommand};

/// Which replication modes a schedule may use.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Modes {
    Mixed,
    AllAsync,
    AllSync,
    AllQuorum,
}

pub struct Outcome {
    pub seed: u64,
    /// Administrative commands applied and refused (admin schedules only).
    pub admin_applied: usize,
    pub admin_refused: usize,
    pub findings: BTreeMap<FindingKind, usize>,
    pub violations: usize,
    /// The schedule and the first violations, ready to print.
    pub report: String,
}

pub fn config_for(seed: u64, modes: Modes) -> SimConfig {
    let mut r = Rng::new(seed ^ 0x5eed);
    let n = 3 + r.below(3) as usize;
    let mut c = SimConfig::with_dcs(n);
    c.seed = seed;
    c.placement = if r.below(2) == 0 {
        PlacementKind::Modulo
    } else {
        PlacementKind::Ring
    };
    c.vnodes = 8;
    c.replication_factor = (2 + r.below(2) as u8).min(n as u8);
    let pick = |r: &mut Rng, rf: u8| match r.below(4) {
        0 => ReplicationMode::Async,
        1 => ReplicationMode::SemiSync,
        2 => ReplicationMode::Sync,
        _ => ReplicationMode::Quorum(rf / 2 + 1),
    };
    for t in &mut c.tables {
        t.mode = match modes {
            Modes::Mixed => pick(&mut r, c.replication_factor),
            Modes::AllAsync => ReplicationMode::Async,
            Modes::AllSync => ReplicationMode::Sync,
            Modes::AllQuorum => ReplicationMode::Quorum(c.replication_factor / 2 + 1),
        };
    }
    c.read_consistency = match r.below(3) {
        0 => ReadConsistency::One,
        1 => ReadConsistency::Quorum,
        _ => ReadConsistency::Owner,
    };
    c.heartbeat_interval_ms = 100;
    c.suspect_after_ms = 300;
    c.dead_after_ms = 700;
    c.replication_interval_ms = 150;
    c.txn_timeout_ms = 400;
    c.request_timeout_ms = 1_500;
    c.jitter_ms = 5;
    c.workload.ops_per_sec = 60;
    c.workload.keys = 40;
    c.workload.distribution = KeyDistribution::Zipf;
    c.workload.read_pct = 50;
    c.workload.write_pct = 35;
    c.workload.txn_pct = 15;
    c
}

/// The seed's faults: `(time, command)` within the first `span` ms.
pub fn faults_for(seed: u64, n: usize, span: u64) -> Vec<(SimTime, UserCommand)> {
    let mut r = Rng::new(seed ^ 0xfa17);
    let count = 3 + r.below(6);
    let mut times: Vec<u64> = (0..count).map(|_| 500 + r.below(span - 500)).collect();
    times.sort_unstable();
    let dc = |r: &mut Rng| DcId(r.below(n as u64) as u16);
    times
        .into_iter()
        .map(|at| {
            let cmd = match r.below(8) {
                0 | 1 => UserCommand::Kill(dc(&mut r)),
                2 | 3 => UserCommand::Revive(dc(&mut r)),
                4 => {
                    let (a, b) = (dc(&mut r), dc(&mut r));
                    UserCommand::CutLink {
                        from: a,
                        to: if a == b {
                            DcId(((b.0 as usize + 1) % n) as u16)
                        } else {
                            b
                        },
                    }
                }
                5 => {
                    let k = 1 + r.below(n as u64 / 2) as usize;
                    let start = r.below(n as u64) as usize;
                    UserCommand::Partition((0..k).map(|i| DcId(((start + i) % n) as u16)).collect())
                }
                6 => UserCommand::HealAll,
                _ => {
                    let mut c = SimConfig::with_dcs(n);
                    c.loss_permille = [0, 20, 100][r.below(3) as usize];
                    // Only the loss matters: `run` patches it into the live config.
                    UserCommand::Configure(Box::new(c))
                }
            };
            (SimTime(at), cmd)
        })
        .collect()
}

/// A membership or placement change in a schedule, made concrete against the live
/// settings when it is applied (see `admin_command`).
#[derive(Clone, Debug)]
pub enum Admin {
    /// Add the region catalogue's DC number `i` (beyond the initial ones: names stay unique).
    Add(usize),
    /// Remove DC `id` (may be refused, or name a DC already removed).
    Remove(u16),
    /// Switch the placement strategy.
    Placement(PlacementKind),
    /// Change the replication factor.
    R(u8),
}

/// The seed's administrative changes: 1 to 3 within the first `span` ms, on a run that
/// starts with `n` DCs. Kept apart from `faults_for` so the two can move separately.
pub fn admin_faults_for(seed: u64, n: usize, span: u64) -> Vec<(SimTime, Admin)> {
    let mut r = Rng::new(seed ^ 0xad31);
    let count = 1 + r.below(3);
    let mut times: Vec<u64> = (0..count).map(|_| 800 + r.below(span - 800)).collect();
    times.sort_unstable();
    let mut added = 0usize;
    times
        .into_iter()
        .map(|at| {
            let step = match r.below(4) {
                0 => {
                    added += 1;
                    Admin::Add(n + added - 1)
                }
                1 => Admin::Remove(r.below((n + added) as u64) as u16),
                2 => Admin::Placement(if r.below(2) == 0 {
                    PlacementKind::Modulo
                } else {
                    PlacementKind::Ring
                }),
                _ => Admin::R(1 + r.below(3) as u8),
            };
            (SimTime(at), step)
        })
        .collect()
}

/// `step` as a command against the live settings.
pub fn admin_command(sim: &Sim, step: &Admin) -> UserCommand {
    match step {
        Admin::Add(i) => UserCommand::AddDc(tablestore_sim::config::region_dc(*i)),
        Admin::Remove(d) => UserCommand::RemoveDc(DcId(*d)),
        Admin::Placement(k) => {
            let mut c = sim.config().clone();
            c.placement = *k;
            UserCommand::Configure(Box::new(c))
        }
        Admin::R(rf) => {
            let mut c = sim.config().clone();
            c.replication_factor = *rf;
            UserCommand::Configure(Box::new(c))
        }
    }
}

/// Runs one schedule: faults for `span` ms, then heal everything and wait past the
/// settle time so the settled-state invariants are checked.
pub fn run(seed: u64, modes: Modes, bugs: Bugs) -> Outcome {
    run_with(seed, modes, bugs, false)
}

/// `run`, with the seed's administrative changes mixed in when `admin` is set.
pub fn run_with(seed: u64, modes: Modes, bugs: Bugs, admin: bool) -> Outcome {
    let mut cfg = config_for(seed, modes);
    if admin && seed % 2 == 1 {
        // A layout change waits for every transaction to be resolved (it is refused while
        // one is not), which under a busy transactional workload and faults is rare: half
        // the admin schedules write without transactions, so changes do apply.
        cfg.workload.write_pct += cfg.workload.txn_pct;
        cfg.workload.txn_pct = 0;
    }
    let n = cfg.dcs.len();
    let span = 10_000;
    // Faults name DCs by id; after a removal some name a DC that is gone (refused).
    let mut steps: Vec<(SimTime, Result<UserCommand, Admin>)> = faults_for(seed, n, span)
        .into_iter()
        .map(|(at, c)| (at, Ok(c)))
        .collect();
    if admin {
        steps.extend(
            admin_faults_for(seed, n, span)
                .into_iter()
                .map(|(at, a)| (at, Err(a))),
        );
        steps.sort_by_key(|(at, _)| *at);
    }
    let mut sim = Sim::with_bugs(cfg, bugs).expect("generated configs are valid");
    let mut applied = Vec::new();
    let (mut admin_applied, mut admin_refused) = (0, 0);
    for (at, step) in &steps {
        sim.advance_to(*at);
        let cmd = match step {
            Ok(UserCommand::Configure(c)) => {
                let mut live = sim.config().clone();
                live.loss_permille = c.loss_permille;
                UserCommand::Configure(Box::new(live))
            }
            Ok(other) => other.clone(),
            Err(a) => admin_command(&sim, a),
        };
        let res = sim.apply(cmd.clone());
        if step.is_err() {
            if res.is_ok() {
                admin_applied += 1;
            } else {
                admin_refused += 1;
            }
        }
        let what = match (&step, &res) {
            (Err(a), Err(e)) => {
                if std::env::var("ADMIN_DEBUG").is_ok() {
                    eprintln!("REFUSED {a:?}: {e}");
                }
                format!("{a:?}: {e}")
            }
            (Err(a), Ok(())) => format!("{a:?}"),
            _ => describe(&cmd),
        };
        applied.push((*at, what, res.is_ok()));
    }
    sim.advance_to(SimTime(span));
    let _ = sim.apply(UserCommand::HealAll);
    let mut live = sim.config().clone();
    live.loss_permille = 0;
    let _ = sim.apply(UserCommand::Configure(Box::new(live)));
    for d in sim.dc_ids() {
        let _ = sim.apply(UserCommand::Revive(d));
    }
    let healed = sim.now();
    // Quiet the workload so replicas can converge, then wait out the settle period.
    let mut quiet = sim.config().clone();
    quiet.workload.ops_per_sec = 0;
    let _ = sim.apply(UserCommand::Configure(Box::new(quiet)));
    sim.advance_to(healed.plus(sim.settle_ms() + 1_500));
    let mut findings = BTreeMap::new();
    for f in sim.findings() {
        *findings.entry(f.kind).or_insert(0) += 1;
    }
    let violations = sim.checker().violations();
    let mut report = String::new();
    if violations > 0 {
        let _ = writeln!(
            report,
            "seed {seed} ({modes:?}, {bugs:?}): {} DCs; config {:?}",
            n,
            short_config(sim.config())
        );
        for (at, what, ok) in &applied {
            let _ = writeln!(
                report,
                "  t={at} {what}{}",
                if *ok { "" } else { " (refused)" }
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
        admin_applied,
        admin_refused,
        findings,
        violations,
        report,
    }
}

fn describe(c: &UserCommand) -> String {
    match c {
        UserCommand::Configure(c) => format!("loss {}‰", c.loss_permille),
        other => format!("{other:?}"),
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

/// `run_many`, with administrative changes mixed in when `admin` is set.
pub fn run_many_with(
    first_seed: u64,
    count: u64,
    modes: Modes,
    bugs: Bugs,
    admin: bool,
) -> Vec<Outcome> {
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
                        .map(|seed| run_with(seed, modes, bugs, admin))
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
