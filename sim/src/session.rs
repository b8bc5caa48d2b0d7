//! A session: one run as a person drives it — the `Sim`, the commands applied to it (for
//! export), the commands of an imported scenario still to come (replay), the pacing, and
//! where the run last stopped at its breakpoint.
//!
//! Invariants:
//! - Every command that changed the run is recorded with its instant and the number of
//!   events processed by then, so `scenario()` replays it exactly (several events can
//!   share an instant).
//! - Pending commands are applied in order, each at its recorded moment, whether the run
//!   gets there by ticks, `advance_to` or single steps.
//! - No clock is read here: a tick is given the wall time that passed and a way to ask how
//!   much wall time it has spent so far (as quinn-proto's `handle_timeout(now)`).
//! - The breakpoint rule lives in one place, `Breakpoint::hit_by`.
//! - A breakpoint fires once: the hit that pauses the run (by a tick, `advance_to` or a
//!   step) disarms it, unless "keep armed" is on, which leaves it set for the next hit.
//!   Arming and disarming only change where the run stops, never what it does (the
//!   trace is the same with or without breakpoints).
//! - A new run or an import keeps the breakpoint, "keep armed", the speed and running /
//!   paused.

use crate::config::{ConfigError, SimConfig};
use crate::pacing::{Pacing, TICK_BUDGET_MS};
use crate::scenario::{Scenario, ScheduledCommand};
use crate::{Breakpoint, CommandError, DcId, Event, EventKind, Sim, SimTime, TxnId};
use crate::{ReqId, UserCommand};
use std::collections::VecDeque;

/// The event a breakpoint stopped at, and what it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The breakpoint that was hit.
    pub breakpoint: Breakpoint,
    /// The event that hit it; the clock stays on its instant.
    pub event: Event,
    /// The transaction to look at: the decided one, or the finding's.
    pub txn: Option<TxnId>,
    /// The DC to look at: the deciding coordinator, the failover's new primary, the
    /// finding's DC.
    pub dc: Option<DcId>,
}

/// What moving the run forward did besides advancing the clock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The breakpoint hit it stopped at (the run is then paused).
    pub hit: Option<Hit>,
    /// The outcome of the last scheduled command it replayed, if one fell due.
    pub replayed: Option<Result<(), CommandError>>,
}

/// One run with its history, its replay queue and its pacing.
#[derive(Clone)]
pub struct Session {
    sim: Sim,
    /// The run's starting config (what an export starts from).
    initial: SimConfig,
    /// Commands applied so far, each with its moment.
    recorded: Vec<ScheduledCommand>,
    /// Commands of an imported scenario not yet reached, in order.
    pending: VecDeque<ScheduledCommand>,
    pacing: Pacing,
    /// Keep the breakpoint armed after a hit (else a hit disarms it).
    keep: bool,
}

impl Session {
    /// A new run of `cfg`, running or paused, at 1×.
    pub fn new(cfg: SimConfig, running: bool) -> Result<Session, ConfigError> {
        Ok(Session {
            sim: page_sim(cfg.clone())?,
            initial: cfg,
            recorded: Vec::new(),
            pending: VecDeque::new(),
            pacing: Pacing::new(running),
            keep: false,
        })
    }

    /// Starts over on `cfg`; the breakpoint and the pacing stay. On error nothing changes.
    pub fn new_run(&mut self, cfg: SimConfig) -> Result<(), ConfigError> {
        self.restart(cfg, VecDeque::new())
    }

    /// Starts over on a scenario's config and replays its commands as the run reaches
    /// them. Returns how many are scheduled. On error nothing changes.
    pub fn import(&mut self, sc: Scenario) -> Result<usize, ConfigError> {
        let n = sc.commands.len();
        self.restart(sc.config, sc.commands.into())?;
        Ok(n)
    }

    fn restart(
        &mut self,
        cfg: SimConfig,
        pending: VecDeque<ScheduledCommand>,
    ) -> Result<(), ConfigError> {
        let mut sim = page_sim(cfg.clone())?;
        sim.set_breakpoint(self.sim.breakpoint());
        self.sim = sim;
        self.initial = cfg;
        self.recorded.clear();
        self.pending = pending;
        // Nothing owed from the old run; running or paused stays as it was.
        self.pacing.forget_owed();
        Ok(())
    }

    /// The simulation, read-only: snapshots and queries.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Running or paused, speed, and the speed reached.
    pub fn pacing(&self) -> &Pacing {
        &self.pacing
    }

    /// Play, pause and the speed slider.
    pub fn pacing_mut(&mut self) -> &mut Pacing {
        &mut self.pacing
    }

    /// Stop at the next instance of `bp` (None: never stop early). Unless
    /// `keeps_breakpoint`, the hit disarms it.
    pub fn set_breakpoint(&mut self, bp: Option<Breakpoint>) {
        self.sim.set_breakpoint(bp);
    }

    /// The breakpoint armed, if any (`None` after a hit disarmed it).
    pub fn breakpoint(&self) -> Option<Breakpoint> {
        self.sim.breakpoint()
    }

    /// Keep the breakpoint armed after each hit (true), or let a hit disarm it (false,
    /// the default).
    pub fn set_keep_breakpoint(&mut self, keep: bool) {
        self.keep = keep;
    }

    /// Whether a hit leaves the breakpoint armed.
    pub fn keeps_breakpoint(&self) -> bool {
        self.keep
    }

    /// Commands applied so far, each with its moment.
    pub fn recorded(&self) -> &[ScheduledCommand] {
        &self.recorded
    }

    /// How many imported commands are still to come.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The run so far and what is still scheduled, as a scenario to export.
    pub fn scenario(&self) -> Scenario {
        Scenario {
            config: self.initial.clone(),
            commands: self
                .recorded
                .iter()
                .chain(self.pending.iter())
                .cloned()
                .collect(),
            until: None,
        }
    }

    /// The request id the next `Issue` command will get.
    pub fn next_req(&self) -> ReqId {
        self.sim.next_req()
    }

    /// Applies a command now and records it; a refused command changes nothing.
    pub fn apply(&mut self, cmd: UserCommand) -> Result<(), CommandError> {
        self.sim.apply(cmd.clone())?;
        // The event count pins the moment even between two events of one instant.
        self.recorded.push(ScheduledCommand {
            at: self.sim.now(),
            after_events: Some(self.sim.steps()),
            cmd,
        });
        Ok(())
    }

    /// Runs to `t`, applying the scheduled commands that fall due on the way; stops early
    /// at the breakpoint (the clock then stays on that event, and the run pauses).
    pub fn advance_to(&mut self, t: SimTime) -> Progress {
        let before = self.sim.counters().events;
        let mut replayed = None;
        let hit = self
            .run_to(t, &mut replayed)
            .then(|| self.stop_at_hit(before));
        Progress {
            hit: hit.flatten(),
            replayed,
        }
    }

    /// Exactly one event, or the next scheduled command if it comes first. Pauses.
    pub fn step(&mut self) -> Progress {
        self.pacing.pause();
        let before = self.sim.counters().events;
        let mut replayed = None;
        let next = self.sim.next_event_at();
        let steps = self.sim.steps();
        // `Sim::run_until`'s rule: due once no event is left before its instant, and,
        // within its instant, once its event count is reached.
        let due = self.pending.front().is_some_and(|e| {
            next.is_none_or(|n| e.at < n)
                || (next == Some(e.at) && e.after_events.is_some_and(|n| steps >= n))
        });
        match self.pending.pop_front() {
            Some(e) if due => {
                self.sim.run_until(e.at, e.after_events);
                replayed = Some(self.apply(e.cmd));
            }
            Some(e) => {
                self.pending.push_front(e);
                self.sim.step();
            }
            None => {
                self.sim.step();
            }
        }
        Progress {
            hit: self.take_hit_since(before),
            replayed,
        }
    }

    /// One tick of a front end's timer: runs the simulated time `wall_dt_ms` buys at the
    /// chosen speed, in slices, and stops when `spent_ms()` (wall ms this tick has used so
    /// far) passes `TICK_BUDGET_MS` — the run then falls behind, and `Pacing::achieved`
    /// says how fast it really goes. `None`: paused, or less than a millisecond owed.
    pub fn tick(&mut self, wall_dt_ms: f64, mut spent_ms: impl FnMut() -> f64) -> Option<Progress> {
        let owed = self.pacing.owe(wall_dt_ms);
        if owed == 0 {
            return None;
        }
        let start = self.sim.now();
        let target = start.plus(owed);
        let before = self.sim.counters().events;
        let slice = (owed / 8).max(1);
        let mut progress = Progress::default();
        let mut reached = start;
        let mut behind = false;
        while reached < target {
            reached = reached.plus(slice).min(target);
            if self.run_to(reached, &mut progress.replayed) {
                progress.hit = self.stop_at_hit(before);
                break;
            }
            if reached < target && spent_ms() > TICK_BUDGET_MS {
                behind = true;
                break;
            }
        }
        self.pacing
            .note_rate(self.sim.now().since(start), wall_dt_ms, behind);
        Some(progress)
    }

    /// Runs to `t` through the scheduled commands due by then; true if it stopped at the
    /// breakpoint.
    fn run_to(&mut self, t: SimTime, replayed: &mut Option<Result<(), CommandError>>) -> bool {
        while let Some((at, after)) = self.pending.front().map(|e| (e.at, e.after_events)) {
            if at > t {
                break;
            }
            if self.sim.run_until(at, after) {
                return true;
            }
            if let Some(e) = self.pending.pop_front() {
                *replayed = Some(self.apply(e.cmd));
            }
        }
        self.sim.advance_to(t)
    }

    /// Pauses on the breakpoint's event.
    fn stop_at_hit(&mut self, before: u64) -> Option<Hit> {
        self.pacing.pause();
        self.take_hit_since(before)
    }

    /// The hit after event `after`, if any; disarms the breakpoint then, unless kept.
    fn take_hit_since(&mut self, after: u64) -> Option<Hit> {
        let hit = self.hit_since(after);
        if hit.is_some() && !self.keep {
            self.sim.set_breakpoint(None);
        }
        hit
    }

    /// The newest event after event `after` (a seq) that hits the breakpoint.
    fn hit_since(&self, after: u64) -> Option<Hit> {
        let bp = self.sim.breakpoint()?;
        let event = self
            .sim
            .events()
            .filter(|e| e.seq > after && bp.hit_by(&e.kind))
            .last()?
            .clone();
        let (txn, dc) = match &event.kind {
            EventKind::Coord { txn, .. } => (Some(*txn), event.dc),
            EventKind::FailoverIssued { new, .. } => (None, Some(*new)),
            EventKind::Finding { index, .. } => {
                (self.sim.finding(*index).and_then(|f| f.txn), event.dc)
            }
            _ => (None, event.dc),
        };
        Some(Hit {
            breakpoint: bp,
            event,
            txn,
            dc,
        })
    }
}

/// A simulation for the page: no client history (only a run report reads it, and the page
/// never makes one), so a long run does not hold `checker::HISTORY_CAP` entries.
fn page_sim(cfg: SimConfig) -> Result<Sim, ConfigError> {
    let mut sim = Sim::new(cfg)?;
    sim.set_keep_history(false);
    Ok(sim)
}
