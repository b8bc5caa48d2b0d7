//! Seeded fault schedules as scenario files, and the settle step that ends a checked run.
//!
//! One generator shared by the core's fault-schedule test, the headless runner
//! (`tablestore-sim schedule|run|sweep`) and, later, the page: a schedule is a `Scenario`
//! (the page's import format), so any seed can be replayed anywhere.
//!
//! Invariants:
//! - `schedule(seed, opts)` is a pure function of its arguments: the config and the
//!   faults come from two RNG streams forked from the seed (`seed ^ 0x5eed`,
//!   `seed ^ 0xfa17`), never from a clock.
//! - Without `admin`, `Modes::Mixed`, `AllAsync` and `AllSync` give exactly the configs
//!   and faults the fault-schedule test has always run (same draws in the same order),
//!   so "10 000 schedules, 0 violations" keeps its meaning. `admin` draws from a wider
//!   range of fault kinds, so its schedules differ from the first fault on.
//! - Every `Configure` a schedule issues carries the whole live settings as the schedule
//!   has shaped them so far (the page's format replaces all settings at once): a loss
//!   change never undoes an earlier replication-factor change.
//! - Commands are in time order with `after_events: None` (each runs after every event
//!   of its instant); `Scenario::until` is the end of the fault span.
//! - `play` replays a scenario exactly as `Session` does (`Sim::run_until` then
//!   `Sim::apply`); `settle` then heals everything, stops the workload and waits past
//!   `Sim::settle_ms`, so the checker's settled-state invariants are evaluated.

use crate::commands::{CommandError, UserCommand};
use crate::config::{
    region_dc, KeyDistribution, PlacementKind, ReadConsistency, ReplicationMode, SimConfig, MAX_DCS,
};
use crate::ids::DcId;
use crate::report::CommandInfo;
use crate::rng::Rng;
use crate::scenario::{Scenario, ScheduledCommand};
use crate::sim::Sim;
use crate::time::SimTime;

/// How long a generated schedule injects faults, in simulated ms.
pub const FAULT_SPAN_MS: u64 = 10_000;

/// How long `settle` waits beyond `Sim::settle_ms` after the heal: the checker's
/// settled-state checks run on the once-a-second tick, so give it a tick or two.
pub const SETTLE_EXTRA_MS: u64 = 1_500;

/// The most DCs an `admin` schedule grows to (more only slows the sweep down).
const ADMIN_MAX_DCS: usize = 7;

/// Which replication modes a schedule's tables use.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Modes {
    /// Each table draws Async, SemiSync, Sync or Quorum(R/2+1).
    Mixed,
    /// Every table Async.
    AllAsync,
    /// Every table Sync.
    AllSync,
    /// Every table Quorum(R/2+1).
    AllQuorum,
}

impl Modes {
    /// The runner's word for it (`mixed`, `async`, `sync`, `quorum`).
    pub fn word(self) -> &'static str {
        match self {
            Modes::Mixed => "mixed",
            Modes::AllAsync => "async",
            Modes::AllSync => "sync",
            Modes::AllQuorum => "quorum",
        }
    }

    /// The inverse of `word`.
    pub fn from_word(s: &str) -> Option<Modes> {
        [
            Modes::Mixed,
            Modes::AllAsync,
            Modes::AllSync,
            Modes::AllQuorum,
        ]
        .into_iter()
        .find(|m| m.word() == s)
    }
}

/// What a schedule may contain.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ScheduleOptions {
    /// The tables' replication modes.
    pub modes: Modes,
    /// Also membership and settings changes: AddDc, RemoveDc, placement switches,
    /// replication-factor changes, latency changes, loss up to 50 % and jitter.
    pub admin: bool,
}

impl ScheduleOptions {
    /// `modes`, no admin changes.
    pub fn new(modes: Modes) -> ScheduleOptions {
        ScheduleOptions {
            modes,
            admin: false,
        }
    }
}

/// The seed's settings: 3–5 DCs, short timers, a busy Zipf workload.
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
    let quorum = ReplicationMode::Quorum(c.replication_factor / 2 + 1);
    let pick = |r: &mut Rng| match r.below(4) {
        0 => ReplicationMode::Async,
        1 => ReplicationMode::SemiSync,
        2 => ReplicationMode::Sync,
        _ => quorum,
    };
    for t in &mut c.tables {
        t.mode = match modes {
            Modes::Mixed => pick(&mut r),
            Modes::AllAsync => ReplicationMode::Async,
            Modes::AllSync => ReplicationMode::Sync,
            Modes::AllQuorum => quorum,
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

/// The seed's faults for a run of `cfg`, within the first `span` ms (`span` > 500).
pub fn faults_for(seed: u64, cfg: &SimConfig, span: u64, admin: bool) -> Vec<ScheduledCommand> {
    let mut r = Rng::new(seed ^ 0xfa17);
    let count = 3 + r.below(6);
    let mut times: Vec<u64> = (0..count)
        .map(|_| 500 + r.below(span.saturating_sub(500).max(1)))
        .collect();
    times.sort_unstable();
    // The live settings and DC ids as the schedule shapes them (see the module header).
    let mut live = cfg.clone();
    let mut ids: Vec<DcId> = (0..cfg.dcs.len()).map(|i| DcId(i as u16)).collect();
    let mut next_dc = cfg.dcs.len();
    let kinds = if admin { 15 } else { 8 };
    let mut out = Vec::new();
    for at in times {
        let n = ids.len();
        let idx = |r: &mut Rng| r.below(n as u64) as usize;
        let cmd = match r.below(kinds) {
            0 | 1 => UserCommand::Kill(ids[idx(&mut r)]),
            2 | 3 => UserCommand::Revive(ids[idx(&mut r)]),
            4 => {
                let (a, b) = (idx(&mut r), idx(&mut r));
                UserCommand::CutLink {
                    from: ids[a],
                    to: ids[if a == b { (b + 1) % n } else { b }],
                }
            }
            5 => {
                let k = 1 + r.below(n as u64 / 2) as usize;
                let start = idx(&mut r);
                UserCommand::Partition((0..k).map(|i| ids[(start + i) % n]).collect())
            }
            6 => UserCommand::HealAll,
            7 => {
                live.loss_permille = [0, 20, 100][r.below(3) as usize];
                UserCommand::Configure(Box::new(live.clone()))
            }
            // From here on only with `admin`.
            8 if n < ADMIN_MAX_DCS.min(MAX_DCS) => {
                let spec = region_dc(next_dc);
                ids.push(DcId(next_dc as u16));
                next_dc += 1;
                UserCommand::AddDc(spec)
            }
            9 if n > 3 => {
                let d = ids.remove(idx(&mut r));
                // The core shrinks R to fit; so does the schedule's picture of it.
                live.replication_factor = live.replication_factor.min(ids.len() as u8);
                UserCommand::RemoveDc(d)
            }
            8 | 9 | 10 => {
                live.placement = match live.placement {
                    PlacementKind::Modulo => PlacementKind::Ring,
                    PlacementKind::Ring => PlacementKind::Modulo,
                };
                UserCommand::Configure(Box::new(live.clone()))
            }
            11 => {
                // Never below a table's write quorum (that change would be refused).
                let w = live
                    .tables
                    .iter()
                    .filter_map(|t| match t.mode {
                        ReplicationMode::Quorum(w) => Some(w),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(1)
                    .max(2);
                let top = (n as u8).min(5).max(w);
                live.replication_factor = w + r.below(u64::from(top - w) + 1) as u8;
                UserCommand::Configure(Box::new(live.clone()))
            }
            12 => {
                let (a, b) = (idx(&mut r), idx(&mut r));
                UserCommand::SetLatency {
                    from: ids[a],
                    to: ids[if a == b { (b + 1) % n } else { b }],
                    ms: [5, 40, 150, 400, 1_000][r.below(5) as usize],
                }
            }
            13 => {
                live.loss_permille = [0, 100, 250, 500][r.below(4) as usize];
                UserCommand::Configure(Box::new(live.clone()))
            }
            _ => {
                live.jitter_ms = [0, 5, 20, 60, 150][r.below(5) as usize];
                UserCommand::Configure(Box::new(live.clone()))
            }
        };
        out.push(ScheduledCommand {
            at: SimTime(at),
            after_events: None,
            cmd,
        });
    }
    out
}

/// The seed's whole schedule as a scenario file.
pub fn schedule(seed: u64, opts: ScheduleOptions) -> Scenario {
    let mut config = config_for(seed, opts.modes);
    if opts.admin && seed % 2 == 1 {
        // A layout change waits for every open transaction (a drain), so under a busy
        // transactional workload it runs late or, behind a dead coordinator, not before
        // the settle: half the admin schedules write without transactions, so their
        // changes apply at once, among the faults.
        config.workload.write_pct += config.workload.txn_pct;
        config.workload.txn_pct = 0;
    }
    let commands = faults_for(seed, &config, FAULT_SPAN_MS, opts.admin);
    Scenario {
        config,
        commands,
        until: Some(SimTime(FAULT_SPAN_MS)),
        bugs: None,
    }
}

/// One replayed command and what became of it.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The command as scheduled.
    pub scheduled: ScheduledCommand,
    /// Whether the simulation took it.
    pub result: Result<(), CommandError>,
}

/// Replays `sc`'s commands on `sim` (made from `sc.config`), each at its moment, then runs
/// to `sc.until` (or the last command's instant). Breakpoints are the caller's business:
/// a stop at one is ignored here (the replay goes on).
pub fn play(sim: &mut Sim, sc: &Scenario) -> Vec<Applied> {
    let mut applied = Vec::with_capacity(sc.commands.len());
    for c in &sc.commands {
        sim.run_until(c.at, c.after_events);
        let result = sim.apply(c.cmd.clone());
        applied.push(Applied {
            scheduled: c.clone(),
            result,
        });
    }
    let end = sc
        .until
        .or_else(|| sc.commands.last().map(|c| c.at))
        .unwrap_or(SimTime::ZERO);
    sim.advance_to(end);
    applied
}

/// Ends a run so its end state can be judged: heal every link, loss 0, revive every DC,
/// stop the workload, then wait `settle_ms + SETTLE_EXTRA_MS` (to quiescence: every
/// detector sees everyone, decisions are re-asked, replicas catch up, and the checker's
/// settled-state checks have run). Returns the instant of the heal.
pub fn settle(sim: &mut Sim) -> SimTime {
    let _ = sim.apply(UserCommand::HealAll);
    let mut live = sim.config().clone();
    live.loss_permille = 0;
    let _ = sim.apply(UserCommand::Configure(Box::new(live)));
    for d in sim.dc_ids() {
        // Refused for DCs already up: nothing to do for those.
        let _ = sim.apply(UserCommand::Revive(d));
    }
    let healed = sim.now();
    let mut quiet = sim.config().clone();
    quiet.workload.ops_per_sec = 0;
    let _ = sim.apply(UserCommand::Configure(Box::new(quiet)));
    sim.advance_to(healed.plus(sim.settle_ms() + SETTLE_EXTRA_MS));
    healed
}

/// A command as one line of text (a `Configure` names the settings schedules change).
pub fn describe(c: &UserCommand) -> String {
    match c {
        UserCommand::Configure(c) => format!(
            "configure: loss {}‰, jitter {} ms, R={}, {:?}, {} ops/s",
            c.loss_permille, c.jitter_ms, c.replication_factor, c.placement, c.workload.ops_per_sec
        ),
        UserCommand::AddDc(spec) => format!("AddDc({})", spec.name),
        other => format!("{other:?}"),
    }
}

/// What `play` did, for a `RunReport`.
pub fn command_infos(applied: &[Applied]) -> Vec<CommandInfo> {
    applied
        .iter()
        .map(|a| CommandInfo {
            at: a.scheduled.at,
            what: describe(&a.scheduled.cmd),
            refused: a.result.as_ref().err().map(|e| e.to_string()),
        })
        .collect()
}
