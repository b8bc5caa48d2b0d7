//! A session: one run as a person drives it — a `Timeline` (the `Sim` at the current
//! position, every branch's command log, checkpoints to seek with), the pacing, where the
//! run last stopped at its breakpoint, and each branch's markers.
//!
//! Invariants:
//! - Every command that changed the run is logged on the current branch with its instant
//!   and the number of events processed by then, so `scenario()` replays it exactly
//!   (several events can share an instant). Acting anywhere but at the branch's end (after
//!   a seek back, or with imported commands still ahead) forks a new branch; the old one
//!   stays (`Timeline::apply`).
//! - Logged commands still ahead (an import, or a branch's future after a seek back) are
//!   applied in order, each at its recorded moment, whether the run gets there by ticks,
//!   `advance_to` or single steps. A refused one stays in the log (it changes nothing on
//!   every replay) and its refusal is reported in `Progress::replayed`.
//! - No clock is read here: a tick is given the wall time that passed and a way to ask how
//!   much wall time it has spent so far (as quinn-proto's `handle_timeout(now)`).
//! - The breakpoint rule lives in one place, `Breakpoint::hit_by`.
//! - A breakpoint fires once: the hit that pauses the run (by a tick, `advance_to` or a
//!   step) disarms it, unless "keep armed" is on, which leaves it set for the next hit.
//!   Arming and disarming only change where the run stops, never what it does (the
//!   trace is the same with or without breakpoints); seeking ignores them.
//! - A seek pauses, and the state it reaches is the one a straight run has there.
//! - A new run, an import or an opened link keeps the breakpoint, "keep armed" and the
//!   speed; a new run or import keeps running / paused, a link opens paused.
//! - Markers are collected after every move (`MarkerLog::scan`), per branch; a fork's
//!   log is its parent's up to the fork.

use crate::config::{ConfigError, SimConfig};
use crate::link::{self, LinkError, RunLink};
use crate::markers::{Marker, MarkerLog};
use crate::pacing::{Pacing, TICK_BUDGET_MS};
use crate::scenario::{Scenario, ScheduledCommand};
use crate::timeline::{Moment, Timeline};
use crate::{Breakpoint, CommandError, DcId, Event, EventKind, Sim, SimTime, TxnId};
use crate::{ReqId, UserCommand};
use std::collections::BTreeMap;

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

/// One run with its timeline, its pacing and its breakpoint.
pub struct Session {
    tl: Timeline,
    pacing: Pacing,
    /// Keep the breakpoint armed after a hit (else a hit disarms it).
    keep: bool,
    /// Per branch, the markers of the events its run has shown.
    marks: BTreeMap<String, MarkerLog>,
    /// The breakpoint hit a live command's own events made (`apply`), until taken.
    command_hit: Option<Hit>,
}

impl Session {
    /// A new run of `cfg`, running or paused, at 1×.
    pub fn new(cfg: SimConfig, running: bool) -> Result<Session, ConfigError> {
        Ok(Session {
            tl: page_timeline(Scenario {
                config: cfg,
                commands: Vec::new(),
                until: None,
                bugs: None,
            })?,
            pacing: Pacing::new(running),
            keep: false,
            marks: BTreeMap::new(),
            command_hit: None,
        })
    }

    /// Starts over on `cfg`; the breakpoint and the pacing stay. On error nothing changes.
    pub fn new_run(&mut self, cfg: SimConfig) -> Result<(), ConfigError> {
        self.restart(page_timeline(Scenario {
            config: cfg,
            commands: Vec::new(),
            until: None,
            bugs: None,
        })?);
        Ok(())
    }

    /// Starts over on a scenario's config and replays its commands as the run reaches
    /// them. Returns how many are scheduled. On error nothing changes.
    pub fn import(&mut self, sc: Scenario) -> Result<usize, ConfigError> {
        let n = sc.commands.len();
        self.restart(page_timeline(Scenario { until: None, ..sc })?);
        Ok(n)
    }

    /// Starts over on a lesson's scenario, like `import`, but keeps the checker's client
    /// history (`Sim::set_keep_history(true)`): a lesson's read and write tasks are
    /// detected from it (`lesson::task_done`), and the timeline keeps it in every
    /// checkpoint. The same scenario always replays the same run (same trace hash).
    /// Returns how many commands are scheduled. On error nothing changes.
    pub fn open_lesson(&mut self, sc: Scenario) -> Result<usize, ConfigError> {
        let n = sc.commands.len();
        let mut tl = Timeline::from_scenario(Scenario { until: None, ..sc })?;
        // A fresh timeline has not moved: setting the history cannot be refused.
        tl.set_keep_history(true);
        self.restart(tl);
        Ok(n)
    }

    /// Opens the run a share link names (the text after `#run=`), at its moment, paused.
    /// On error nothing changes.
    pub fn open_link(&mut self, text: &str) -> Result<(), LinkError> {
        let RunLink { scenario, at } = link::decode(text)?;
        // The scrubber spans the shared run's whole length (`until`), simulated lazily.
        let tl = page_timeline(scenario).map_err(|e| LinkError::Invalid(e.to_string()))?;
        self.restart(tl);
        self.tl.seek_moment(at);
        self.tl.take_replayed();
        self.scan();
        self.pacing.pause();
        Ok(())
    }

    /// Opens a scenario run with deliberate protocol bugs (an explorer's counterexample
    /// for a seeded bug; no bugs: `Bugs::default()`) and runs it to its end (`until`),
    /// paused there, so what the checker found is in the timeline. On error nothing
    /// changes.
    pub fn open_with_bugs(&mut self, sc: Scenario, bugs: crate::Bugs) -> Result<(), ConfigError> {
        let end = sc.until;
        let mut tl = Timeline::from_scenario_with_bugs(sc, bugs)?;
        tl.set_keep_history(false);
        self.restart(tl);
        if let Some(end) = end {
            self.tl.advance_to(end);
            self.tl.take_replayed();
            self.scan();
        }
        self.pacing.pause();
        Ok(())
    }

    fn restart(&mut self, mut tl: Timeline) {
        tl.set_breakpoint(self.tl.sim().breakpoint());
        self.tl = tl;
        self.marks.clear();
        self.scan();
        // Nothing owed from the old run; running or paused stays as it was.
        self.pacing.forget_owed();
    }

    /// The simulation at the current position, read-only: snapshots and queries.
    pub fn sim(&self) -> &Sim {
        self.tl.sim()
    }

    /// The timeline: branches, checkpoints, the end, links.
    pub fn timeline(&self) -> &Timeline {
        &self.tl
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
        self.tl.set_breakpoint(bp);
    }

    /// The breakpoint armed, if any (`None` after a hit disarmed it).
    pub fn breakpoint(&self) -> Option<Breakpoint> {
        self.tl.sim().breakpoint()
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

    /// Commands applied so far on this branch, each with its moment.
    pub fn recorded(&self) -> &[ScheduledCommand] {
        let log = self.tl.commands();
        &log[..self.tl.applied().min(log.len())]
    }

    /// How many logged commands are still to come (an import's, or the branch's future
    /// after a seek back).
    pub fn pending(&self) -> usize {
        self.tl.commands().len().saturating_sub(self.tl.applied())
    }

    /// The current branch — what ran and what is still ahead — as a scenario to export.
    pub fn scenario(&self) -> Scenario {
        Scenario {
            config: self.tl.config().clone(),
            commands: self.tl.commands().to_vec(),
            until: None,
            bugs: self.tl.bugs_if_any(),
        }
    }

    /// The request id the next `Issue` command will get.
    pub fn next_req(&self) -> ReqId {
        self.tl.sim().next_req()
    }

    /// Applies a command now and logs it; a refused command changes nothing. Acting
    /// before the branch's end forks: returns the new branch's name.
    pub fn apply(&mut self, cmd: UserCommand) -> Result<Option<String>, CommandError> {
        let parent = self.tl.branch_name().to_string();
        let before = self.sim().counters().events;
        let forked = self.tl.apply(cmd)?;
        if let Some(name) = &forked {
            let log = self
                .marks
                .get(&parent)
                .map(|m| m.cut_at(self.tl.sim()))
                .unwrap_or_default();
            self.marks.insert(name.clone(), log);
        }
        self.scan();
        // A live command can record the breakpoint's event itself (an issued transaction
        // sends its PREPAREs at once): pause there, as a scripted one does in
        // `Timeline::run_to`.
        if self.hit_since(before).is_some() {
            self.command_hit = self.stop_at_hit(before);
        }
        Ok(forked)
    }

    /// The breakpoint hit the last applied live command made, if any (the run is then
    /// paused); taken once.
    pub fn take_command_hit(&mut self) -> Option<Hit> {
        self.command_hit.take()
    }

    /// Runs to `t`, applying the logged commands that fall due on the way; stops early
    /// at the breakpoint (the clock then stays on that event, and the run pauses).
    pub fn advance_to(&mut self, t: SimTime) -> Progress {
        let before = self.sim().counters().events;
        self.tl.take_replayed();
        let stopped = self.tl.advance_to(t);
        let replayed = self.tl.take_replayed();
        self.scan();
        let hit = stopped.then(|| self.stop_at_hit(before));
        Progress {
            hit: hit.flatten(),
            replayed,
        }
    }

    /// Exactly one event, or the next logged command if it comes first. Pauses.
    pub fn step(&mut self) -> Progress {
        self.pacing.pause();
        let before = self.sim().counters().events;
        self.tl.take_replayed();
        self.tl.step();
        let replayed = self.tl.take_replayed();
        self.scan();
        Progress {
            hit: self.take_hit_since(before),
            replayed,
        }
    }

    /// One tick of a front end's timer: runs the simulated time `wall_dt_ms` buys at the
    /// chosen speed, in slices, and stops when `spent_ms()` (wall ms this tick has used so
    /// far) passes `TICK_BUDGET_MS` — the run then falls behind, and `Pacing::achieved`
    /// says how fast it really goes. `None`: paused, or less than a millisecond owed.
    pub fn tick(&mut self, wall_dt_ms: f64, spent_ms: impl FnMut() -> f64) -> Option<Progress> {
        self.tick_within(wall_dt_ms, TICK_BUDGET_MS, spent_ms)
    }

    /// `tick` with a wall budget of `budget_ms` (a page's `pacing::FrameBudget`) instead of
    /// `TICK_BUDGET_MS`.
    pub fn tick_within(
        &mut self,
        wall_dt_ms: f64,
        budget_ms: f64,
        mut spent_ms: impl FnMut() -> f64,
    ) -> Option<Progress> {
        let owed = self.pacing.owe(wall_dt_ms);
        if owed == 0 {
            return None;
        }
        let start = self.sim().now();
        let target = start.plus(owed);
        let before = self.sim().counters().events;
        // Small slices: the budget is checked between them, so a tick overruns it by at
        // most one slice (a thirty-second of what it owes).
        let slice = (owed / 32).max(1);
        let mut progress = Progress::default();
        let mut reached = start;
        let mut behind = false;
        self.tl.take_replayed();
        while reached < target {
            reached = reached.plus(slice).min(target);
            let stopped = self.tl.advance_to(reached);
            if let Some(r) = self.tl.take_replayed() {
                progress.replayed = Some(r);
            }
            if stopped {
                self.scan();
                progress.hit = self.stop_at_hit(before);
                break;
            }
            if reached < target && spent_ms() > budget_ms {
                behind = true;
                break;
            }
        }
        self.scan();
        self.pacing
            .note_rate(self.sim().now().since(start), wall_dt_ms, behind);
        Some(progress)
    }

    // ------------------------------------------------------------ the timeline

    /// The exact state at instant `t` (a straight run's), paused. Past the branch's end
    /// the run goes on there.
    pub fn seek(&mut self, t: SimTime) {
        self.pacing.pause();
        self.tl.seek(t);
        self.after_seek();
    }

    /// The exact state after `n` events, paused.
    pub fn seek_events(&mut self, n: u64) {
        self.pacing.pause();
        self.tl.seek_events(n);
        self.after_seek();
    }

    /// One event back (nothing at the start), paused.
    pub fn step_back(&mut self) {
        let n = self.sim().steps();
        if n > 0 {
            self.seek_events(n - 1);
        } else {
            self.pacing.pause();
        }
    }

    /// Makes branch `name` current, at the same instant (or its end); paused. False if
    /// there is no such branch.
    pub fn switch_to(&mut self, name: &str) -> bool {
        self.pacing.pause();
        let ok = self.tl.switch_to(name);
        self.after_seek();
        ok
    }

    /// The current branch's name.
    pub fn branch_name(&self) -> &str {
        self.tl.branch_name()
    }

    /// The current branch's markers (commands, faults, failovers, 2PC decisions,
    /// findings), in time order; at most `markers::MARKERS_PER_KIND` of each kind.
    pub fn markers(&self) -> Vec<Marker> {
        let cmds = self.tl.commands();
        match self.marks.get(self.tl.branch_name()) {
            Some(m) => m.markers(cmds),
            None => MarkerLog::default().markers(cmds),
        }
    }

    /// A share link (the text after `#run=`) for the current branch at the current
    /// moment.
    pub fn link(&self) -> String {
        self.tl.link()
    }

    /// A share link for the current branch at instant `at` (a finding's moment).
    pub fn link_at(&self, at: SimTime) -> String {
        link::encode(&RunLink {
            scenario: self.tl.scenario(),
            at: Moment::at(at),
        })
    }

    fn after_seek(&mut self) {
        self.tl.take_replayed();
        self.pacing.forget_owed();
        self.scan();
    }

    /// Collects the markers of the events logged since the last scan.
    fn scan(&mut self) {
        let name = self.tl.branch_name();
        if !self.marks.contains_key(name) {
            self.marks.insert(name.to_string(), MarkerLog::default());
        }
        if let Some(m) = self.marks.get_mut(self.tl.branch_name()) {
            m.scan(self.tl.sim());
        }
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
            self.tl.set_breakpoint(None);
        }
        hit
    }

    /// The newest event after event `after` (a seq) that hits the breakpoint.
    fn hit_since(&self, after: u64) -> Option<Hit> {
        let bp = self.sim().breakpoint()?;
        let event = self
            .sim()
            .events()
            .filter(|e| e.seq > after && bp.hit_by(&e.kind))
            .last()?
            .clone();
        let (txn, dc) = match &event.kind {
            EventKind::Coord { txn, .. } => (Some(*txn), event.dc),
            EventKind::FailoverIssued { new, .. } => (None, Some(*new)),
            EventKind::Finding { index, .. } => {
                (self.sim().finding(*index).and_then(|f| f.txn), event.dc)
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

/// A timeline for the page: no client history (only a run report reads it, and the page
/// never makes one), so a long run (and each checkpoint) does not hold
/// `checker::HISTORY_CAP` entries.
fn page_timeline(sc: Scenario) -> Result<Timeline, ConfigError> {
    let mut tl = Timeline::from_scenario(sc)?;
    tl.set_keep_history(false);
    Ok(tl)
}
