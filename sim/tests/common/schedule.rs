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
}

pub struct Outcome {
    pub seed: u64,
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

/// Runs one schedule: faults for `span` ms, then heal everything and wait past the
/// settle time so the settled-state invariants are checked.
pub fn run(seed: u64, modes: Modes, bugs: Bugs) -> Outcome {
    let cfg = config_for(seed, modes);
    let n = cfg.dcs.len();
    let span = 10_000;
    let faults = faults_for(seed, n, span);
    let mut sim = Sim::with_bugs(cfg, bugs).expect("generated configs are valid");
    let mut applied = Vec::new();
    for (at, cmd) in &faults {
        sim.advance_to(*at);
        let cmd = match cmd {
            UserCommand::Configure(c) => {
                let mut live = sim.config().clone();
                live.loss_permille = c.loss_permille;
                UserCommand::Configure(Box::new(live))
            }
            other => other.clone(),
        };
        let res = sim.apply(cmd.clone());
        applied.push((*at, describe(&cmd), res.is_ok()));
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
                        .map(|seed| run(seed, modes, bugs))
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
