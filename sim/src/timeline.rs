//! A run's timeline: rewind to any instant, act in the past (which forks a new branch),
//! and keep every branch. What a scrubber drives.
//!
//! A run is a pure function of (config, seed, commands with their moments), so the
//! timeline keeps only that — the config and, per branch, the command log — plus
//! checkpoints: clones of the `Sim` taken every `spacing` simulated ms as the run first
//! reaches them. `seek(t)` restores the nearest checkpoint at or before `t` (or keeps the
//! live simulation, when it is nearer) and re-simulates to `t`, applying the logged
//! commands at their exact moments (`Sim::run_until`'s rule), so the state reached is the
//! one a straight run gets.
//!
//! Invariants:
//! - The live `sim` is always a state of the current branch: the run from its config
//!   with the first `applied` logged commands, stopped at a moment no later than the next
//!   logged command's.
//! - A checkpoint is a state of every branch whose log shares its first `applied`
//!   commands and that reached its moment; forking keeps only the checkpoints at or
//!   before the fork's moment, so they stay valid for the new branch (they are `Rc`s,
//!   shared with the old branch, not copied).
//! - Checkpoints are bounded: past `MAX_CHECKPOINTS` — or once what they hold beyond one
//!   another plus what the live run holds passes `CHECKPOINT_BUDGET` (estimated from
//!   sizes, `Sim::bytes_beyond_estimate`; a busy world's checkpoints are large) — the
//!   spacing doubles and those off the new grid go (a uniform spread: the worst seek
//!   re-simulates at most `spacing` ms, and the spacing only grows with the run's length,
//!   as log2(length)). Those that go are freed a piece at a time as the run moves on.
//! - No step of the run pays for a walk of every row: the budget's check costs
//!   O(checkpoints × shard copies), freeing a dropped checkpoint at most
//!   `FREE_ROWS_PER_MS` rows per simulated ms advanced (a page's frame stays short).
//! - Acting anywhere but at the branch's end (a command in the past, or with logged
//!   commands still ahead) forks: the old branch stays, whole and named; the new one
//!   holds the log up to here plus the new command. A refused command changes nothing
//!   and forks nothing.
//! - Once applied, every logged command has its event count (one logged without gets the
//!   count it was applied at: the same moment), so a moment given by event count is
//!   unambiguous.
//! - Breakpoints only stop forward runs the caller asks for (`advance_to`, `step`);
//!   re-simulation for a seek ignores them (they never change what a run does). A
//!   replayed command whose own events hit the breakpoint stops the run right after it.
//! - No clock is read and nothing is random here: timing a seek is the caller's business.

use crate::config::{ConfigError, SimConfig};
pub use crate::link::Moment;
use crate::link::{self, LinkError, RunLink};
use crate::scenario::{Scenario, ScheduledCommand};
use crate::{Bugs, CommandError, Sim, SimTime, UserCommand};
use std::rc::Rc;

/// The first spacing of checkpoints, in simulated ms.
pub const CHECKPOINT_MS: u64 = 2_000;
/// At most this many checkpoints per branch (shared ones count once per branch).
pub const MAX_CHECKPOINTS: usize = 48;
/// Checkpoints per branch hold at most about this many bytes beyond one another, counted
/// with what the live run holds (`Sim::bytes_beyond_estimate`, and the newest's beyond
/// the live run: what it will hold once the run moves on), so a run's memory stays under
/// about this much, early as late. The
/// soak's 16-DC world at 500 ops/s over 10 000 keys weighs ~60–80 MB (`make
/// soak-bytes`), a checkpoint far behind holds ~70 % of that beyond the next: unbounded
/// by bytes its 48 checkpoints would fill wasm32's 4 GB; the default world (≈ 10 MB at
/// 30 minutes) keeps all 48.
pub const CHECKPOINT_BUDGET: usize = 256 << 20;

/// While the run moves on from its newest checkpoint, the checkpoints' bytes are checked
/// against the budget at most this often (simulated ms; a quarter of the spacing when
/// that is longer): the newest holds more and more beyond the live run as it diverges.
pub const BUDGET_CHECK_MS: u64 = 16_000;

/// A checkpoint a thinning drops is freed a piece at a time (`Sim::into_pieces`) as the
/// run moves on, at most about this many rows per simulated ms the run advances: freeing
/// one whole was a pause of ~100 ms natively in the soak's world (~50 MB of small
/// allocations), a frame's whole budget several times over in a page; at 50× a frame
/// moves ~800 simulated ms, so ≤ ~13 000 rows, a shard copy or two (~1 ms).
pub const FREE_ROWS_PER_MS: u64 = 16;

/// A clone of the run at a moment, with how many logged commands it had applied.
#[derive(Clone)]
struct Checkpoint {
    at: SimTime,
    steps: u64,
    applied: usize,
    sim: Rc<Sim>,
    /// The bytes it holds beyond the branch's next checkpoint
    /// (`Sim::bytes_beyond_estimate`), and that checkpoint's event count — estimated
    /// again when the next one is another (a thinning or a fork dropped it). None for the
    /// newest.
    beyond: Option<(u64, usize)>,
}

/// One line of history.
#[derive(Clone)]
struct Branch {
    name: String,
    /// Where it forked off: the parent's name and the instant.
    parent: Option<(String, SimTime)>,
    commands: Vec<ScheduledCommand>,
    /// The furthest moment this branch is known to reach (a scrubber's end).
    end: SimTime,
    /// Events run by `end`, as far as known (0 until a run got there).
    end_steps: u64,
    checkpoints: Vec<Checkpoint>,
    spacing: u64,
}

/// A branch as listed to a front end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchInfo {
    /// Its name ("main", "fork 1", …).
    pub name: String,
    /// The branch it forked off, and the instant.
    pub parent: Option<(String, SimTime)>,
    /// How many commands its log holds.
    pub commands: usize,
    /// How far it reaches.
    pub end: SimTime,
}

/// A run that can be rewound, forked and shared.
pub struct Timeline {
    config: SimConfig,
    /// The seeded protocol bugs every node of this run has (none: the correct protocol).
    bugs: Bugs,
    branches: Vec<Branch>,
    cur: usize,
    sim: Sim,
    /// How many of the current branch's commands `sim` has applied.
    applied: usize,
    forks: usize,
    /// The bound on checkpoints per branch (`MAX_CHECKPOINTS` unless set).
    max_checkpoints: usize,
    /// The bound on their estimated bytes per branch, with the live run's
    /// (`CHECKPOINT_BUDGET` unless set).
    checkpoint_budget: usize,
    /// The outcome of the last logged command replayed (`take_replayed`).
    replayed: Option<Result<(), CommandError>>,
    /// When the live run next checks its checkpoints against the byte budget.
    next_budget_check: SimTime,
    /// Checkpoints a thinning dropped, not freed yet: freeing one
    /// whole is a long pause in a page, so it is taken apart (`Sim::into_pieces`) and
    /// freed a piece at a time as the run moves on (`FREE_ROWS_PER_MS`).
    dropped: Vec<Rc<Sim>>,
    /// The pieces of a dropped checkpoint still to free, with their rows.
    pieces: Vec<(usize, Box<dyn std::any::Any>)>,
    /// Rows to free the run's advance has paid for and not yet used: negative when a
    /// piece went past it (`FREE_ROWS_PER_MS`).
    credit: i64,
}

impl Timeline {
    /// A new run of `cfg`, at time zero, on branch "main".
    pub fn new(cfg: SimConfig) -> Result<Timeline, ConfigError> {
        Timeline::with_log(cfg, Bugs::default(), Vec::new(), SimTime::ZERO)
    }

    /// A run that will replay `sc`'s commands as it reaches them; its end is `sc.until`
    /// (or the last command's instant). Nothing is simulated yet: the run stands at zero.
    pub fn from_scenario(sc: Scenario) -> Result<Timeline, ConfigError> {
        let end = sc
            .until
            .or_else(|| sc.commands.last().map(|c| c.at))
            .unwrap_or(SimTime::ZERO);
        Timeline::with_log(sc.config, sc.bugs.unwrap_or_default(), sc.commands, end)
    }

    /// The same run with deliberate protocol bugs in every node (a seeded bug's
    /// counterexample from the explorer, replayed), whatever `sc.bugs` says: every
    /// checkpoint and branch is a clone of this `Sim`, so the bugs stay through seeks and
    /// forks.
    pub fn from_scenario_with_bugs(
        mut sc: Scenario,
        bugs: crate::Bugs,
    ) -> Result<Timeline, ConfigError> {
        sc.bugs = Some(bugs);
        Timeline::from_scenario(sc)
    }

    /// The run a share link names, at the moment it names.
    pub fn from_link(text: &str) -> Result<Timeline, LinkError> {
        let RunLink { scenario, at } = link::decode(text)?;
        let mut t =
            Timeline::from_scenario(scenario).map_err(|e| LinkError::Invalid(e.to_string()))?;
        t.seek_moment(at);
        Ok(t)
    }

    fn with_log(
        cfg: SimConfig,
        bugs: Bugs,
        commands: Vec<ScheduledCommand>,
        end: SimTime,
    ) -> Result<Timeline, ConfigError> {
        let sim = Sim::with_bugs(cfg.clone(), bugs)?;
        let first = Checkpoint {
            at: SimTime::ZERO,
            steps: 0,
            applied: 0,
            sim: Rc::new(sim.clone()),
            beyond: None,
        };
        Ok(Timeline {
            config: cfg,
            bugs,
            branches: vec![Branch {
                name: "main".to_string(),
                parent: None,
                commands,
                end,
                end_steps: 0,
                checkpoints: vec![first],
                spacing: CHECKPOINT_MS,
            }],
            cur: 0,
            sim,
            applied: 0,
            forks: 0,
            max_checkpoints: MAX_CHECKPOINTS,
            checkpoint_budget: CHECKPOINT_BUDGET,
            replayed: None,
            next_budget_check: SimTime::ZERO,
            dropped: Vec::new(),
            pieces: Vec::new(),
            credit: 0,
        })
    }

    /// Keeps at most `n` (at least 2) checkpoints per branch instead of
    /// `MAX_CHECKPOINTS`: fewer take less memory and make the worst seek longer (it
    /// re-simulates at most one spacing, and the spacing doubles each time the bound is
    /// passed). Applies from the next checkpoint on.
    pub fn set_max_checkpoints(&mut self, n: usize) {
        self.max_checkpoints = n.max(2);
    }

    /// Bounds the checkpoints' estimated bytes per branch (beyond one another, with the
    /// live run's) instead of `CHECKPOINT_BUDGET` (at least 2 checkpoints are kept
    /// whatever their size). Applies from the next checkpoint on.
    pub fn set_checkpoint_budget(&mut self, bytes: usize) {
        self.checkpoint_budget = bytes;
    }

    /// Keeps the client history for a run report or not (`Sim::set_keep_history`).
    /// Only before the run moved (it must hold for every checkpoint); false otherwise,
    /// and nothing changes.
    pub fn set_keep_history(&mut self, keep: bool) -> bool {
        let b = &self.branches[self.cur];
        if self.branches.len() > 1
            || b.checkpoints.len() > 1
            || self.sim.steps() > 0
            || self.applied > 0
        {
            return false;
        }
        self.sim.set_keep_history(keep);
        let mut first = self.sim.clone();
        first.set_breakpoint(None);
        self.branch_mut().checkpoints[0].sim = Rc::new(first);
        true
    }

    /// The outcome of the last logged command replayed since the last call (forward
    /// runs and seeks replay them), and forgets it.
    pub fn take_replayed(&mut self) -> Option<Result<(), CommandError>> {
        self.replayed.take()
    }

    // ------------------------------------------------------------ reading

    /// How many of the current branch's logged commands the run has applied (the rest
    /// are still ahead).
    pub fn applied(&self) -> usize {
        self.applied
    }

    /// The simulation at the current position, read-only.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The current instant.
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    /// The current moment (instant and event count).
    pub fn moment(&self) -> Moment {
        Moment {
            at: self.sim.now(),
            events: Some(self.sim.steps()),
        }
    }

    /// The furthest instant the current branch reaches (the scrubber's maximum).
    pub fn end(&self) -> SimTime {
        self.branch().end
    }

    /// The trace hash of the run up to the current position.
    pub fn trace_hash(&self) -> u64 {
        self.sim.trace_hash()
    }

    /// Stop forward runs (`advance_to`) at the next instance of `bp` (None: never).
    pub fn set_breakpoint(&mut self, bp: Option<crate::Breakpoint>) {
        self.sim.set_breakpoint(bp);
    }

    /// The run's starting config.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The current branch's command log.
    pub fn commands(&self) -> &[ScheduledCommand] {
        &self.branch().commands
    }

    /// The current branch's name.
    pub fn branch_name(&self) -> &str {
        &self.branch().name
    }

    /// Every branch, oldest first.
    pub fn branches(&self) -> Vec<BranchInfo> {
        self.branches
            .iter()
            .map(|b| BranchInfo {
                name: b.name.clone(),
                parent: b.parent.clone(),
                commands: b.commands.len(),
                end: b.end,
            })
            .collect()
    }

    /// The instants of the current branch's checkpoints.
    pub fn checkpoints(&self) -> Vec<SimTime> {
        self.branch().checkpoints.iter().map(|c| c.at).collect()
    }

    /// The current spacing of checkpoints, in simulated ms.
    pub fn checkpoint_spacing(&self) -> u64 {
        self.branch().spacing
    }

    /// The current branch as a scenario: config, log, its end as `until`, and its
    /// seeded bugs if it has any.
    pub fn scenario(&self) -> Scenario {
        Scenario {
            config: self.config.clone(),
            commands: self.branch().commands.clone(),
            until: Some(self.end()),
            bugs: self.bugs_if_any(),
        }
    }

    /// The seeded bugs of this run, None if it runs the correct protocol.
    pub fn bugs_if_any(&self) -> Option<Bugs> {
        (self.bugs != Bugs::default()).then_some(self.bugs)
    }

    /// A share link (URL-fragment text) for the current branch at the current moment.
    pub fn link(&self) -> String {
        link::encode(&RunLink {
            scenario: self.scenario(),
            at: self.moment(),
        })
    }

    fn branch(&self) -> &Branch {
        &self.branches[self.cur]
    }

    fn branch_mut(&mut self) -> &mut Branch {
        &mut self.branches[self.cur]
    }

    // ------------------------------------------------------------ moving

    /// Runs forward to `t` (past the end, the run grows), applying logged commands on
    /// the way. Stops early at the breakpoint and returns true (the clock stays there).
    /// Going back is `seek`'s job: a `t` behind now only sets nothing.
    pub fn advance_to(&mut self, t: SimTime) -> bool {
        self.run_to(Moment::at(t), true)
    }

    /// `advance_to` `ms` from now.
    pub fn advance_by(&mut self, ms: u64) -> bool {
        self.advance_to(self.sim.now().plus(ms))
    }

    /// Exactly one event forward, or the next logged command if it is due first.
    pub fn step(&mut self) {
        let n = self.sim.steps();
        if !self.apply_due(n) {
            self.sim.step();
            self.note_reach();
        }
    }

    /// The exact state at instant `t` (after all its events and commands) — the state a
    /// straight run to `t` has. Past the end it runs on, and the end moves.
    pub fn seek(&mut self, t: SimTime) {
        self.seek_moment(Moment::at(t));
    }

    /// The exact state at a moment (see `Moment`).
    pub fn seek_moment(&mut self, m: Moment) {
        self.restore_before(|at, steps| {
            at < m.at || (at == m.at && m.events.is_none_or(|n| steps <= n))
        });
        self.run_to(m, false);
    }

    /// The exact state after `n` events, with the commands logged before the `n+1`th
    /// (those logged between events `n` and `n+1` come after: they are the next step).
    pub fn seek_events(&mut self, n: u64) {
        // A state with exactly `n` events may stand later than the `n`th (a seek to an
        // instant sets the clock and applies the commands up to it): start before it.
        self.restore_before(|at, steps| steps < n || (steps == 0 && at == SimTime::ZERO));
        let bp = self.sim.breakpoint();
        self.sim.set_breakpoint(None);
        while self.sim.steps() < n {
            if !self.apply_due(self.sim.steps()) && !self.sim.step() {
                break;
            }
        }
        self.sim.set_breakpoint(bp);
        self.note_reach();
    }

    /// Applies a command now and logs it. Acting before the branch's end forks: the old
    /// branch stays as it was, the run goes on in a new one (its name is returned). A
    /// refused command changes nothing.
    pub fn apply(&mut self, cmd: UserCommand) -> Result<Option<String>, CommandError> {
        self.sim.apply(cmd.clone())?;
        let (now, steps) = (self.sim.now(), self.sim.steps());
        let b = &self.branches[self.cur];
        let future =
            self.applied < b.commands.len() || now < b.end || (now == b.end && steps < b.end_steps);
        let forked = if future {
            self.forks += 1;
            let name = format!("fork {}", self.forks);
            let mut nb = b.clone();
            nb.name = name.clone();
            nb.parent = Some((b.name.clone(), now));
            nb.commands.truncate(self.applied);
            let applied = self.applied;
            nb.checkpoints
                .retain(|c| c.at <= now && c.steps <= steps && c.applied <= applied);
            nb.end = now;
            nb.end_steps = steps;
            self.branches.push(nb);
            self.cur = self.branches.len() - 1;
            Some(name)
        } else {
            None
        };
        self.branch_mut().commands.push(ScheduledCommand {
            at: now,
            after_events: Some(steps),
            cmd,
        });
        self.applied += 1;
        Ok(forked)
    }

    /// Makes branch `name` current, at the same instant (or its end, if it ends
    /// before). False if there is no such branch.
    pub fn switch_to(&mut self, name: &str) -> bool {
        let Some(i) = self.branches.iter().position(|b| b.name == name) else {
            return false;
        };
        if i == self.cur {
            return true;
        }
        let t = self.sim.now().min(self.branches[i].end);
        self.cur = i;
        // The live sim may belong to the old branch: start from a checkpoint.
        let bp = self.sim.breakpoint();
        self.restore(0);
        self.sim.set_breakpoint(bp);
        self.seek(t);
        true
    }

    // ------------------------------------------------------------ machinery

    /// Moves to the latest checkpoint whose (instant, events) `ok` accepts, unless `ok`
    /// accepts the live position too and it is no earlier (then re-simulating from where
    /// the run stands is shorter).
    fn restore_before(&mut self, ok: impl Fn(SimTime, u64) -> bool) {
        let b = self.branch();
        let Some(i) = b.checkpoints.iter().rposition(|c| ok(c.at, c.steps)) else {
            return;
        };
        let (now, steps) = (self.sim.now(), self.sim.steps());
        if ok(now, steps) && steps >= b.checkpoints[i].steps {
            return;
        }
        let bp = self.sim.breakpoint();
        self.restore(i);
        self.sim.set_breakpoint(bp);
    }

    fn restore(&mut self, i: usize) {
        let c = &self.branches[self.cur].checkpoints[i];
        self.sim = (*c.sim).clone();
        self.applied = c.applied;
    }

    /// Applies the next logged command if it is due before event `n + 1` would run
    /// (`Session::step`'s rule). True if it applied one.
    fn apply_due(&mut self, n: u64) -> bool {
        let next = self.sim.next_event_at();
        let Some(c) = self.branches[self.cur].commands.get(self.applied) else {
            return false;
        };
        let due = next.is_none_or(|e| c.at < e)
            || (next == Some(c.at) && c.after_events.is_some_and(|m| m <= n));
        if !due {
            return false;
        }
        let (at, after, cmd) = (c.at, c.after_events, c.cmd.clone());
        self.sim.run_until(at, after);
        self.replay(cmd);
        self.note_reach();
        true
    }

    /// Applies the logged command at `applied` (the run stands at its moment). A logged
    /// command without an event count gets the count it was applied at: the same
    /// moment (every event of its instant had run), now exact, so a position given by
    /// event count (`moment`, a link) covers it or not without doubt.
    fn replay(&mut self, cmd: UserCommand) {
        let steps = self.sim.steps();
        // A logged command that is refused on replay changes nothing, as it did live.
        self.replayed = Some(self.sim.apply(cmd));
        let i = self.applied;
        if let Some(c) = self.branch_mut().commands.get_mut(i) {
            c.after_events.get_or_insert(steps);
        }
        self.applied += 1;
    }

    /// Whether an event recorded after event `before` hits the armed breakpoint.
    fn command_hit_breakpoint(&self, before: u64) -> bool {
        let Some(bp) = self.sim.breakpoint() else {
            return false;
        };
        self.sim
            .events()
            .any(|e| e.seq > before && bp.hit_by(&e.kind))
    }

    /// Runs to `m` through the logged commands it covers, checkpointing on the way.
    /// With `stop_at_breakpoint`, stops at a hit and returns true.
    fn run_to(&mut self, m: Moment, stop_at_breakpoint: bool) -> bool {
        let bp = self.sim.breakpoint();
        if !stop_at_breakpoint {
            self.sim.set_breakpoint(None);
        }
        let hit = self.run_to_inner(m);
        self.sim.set_breakpoint(bp);
        self.note_reach();
        hit
    }

    fn run_to_inner(&mut self, m: Moment) -> bool {
        let mut paid = self.sim.now();
        loop {
            // Freeing dropped checkpoints goes with the run: paid for by the simulated
            // ms run since the last stop (a grid point, or the end of this call).
            self.free_dropped(self.sim.now().since(paid));
            paid = self.sim.now();
            if self.sim.now() >= self.next_budget_check {
                self.within_budget();
            }
            let b = self.branch();
            let last = b.checkpoints.last().map(|c| c.at).unwrap_or(SimTime::ZERO);
            let next_cp = SimTime((last.0 / b.spacing + 1) * b.spacing);
            if self.sim.now() > next_cp {
                // Single steps went past a grid point: keep this moment instead.
                self.checkpoint();
                continue;
            }
            let stop = if next_cp <= m.at {
                Moment::at(next_cp)
            } else {
                m
            };
            while let Some(c) = self.branches[self.cur].commands.get(self.applied) {
                if !stop.covers(c) {
                    break;
                }
                let (at, after, cmd) = (c.at, c.after_events, c.cmd.clone());
                if self.sim.run_until(at, after) {
                    return true;
                }
                let before = self.sim.counters().events;
                self.replay(cmd);
                // A command can itself record the breakpoint's event (an issued
                // transaction sends its PREPAREs at once): stop right after it.
                if self.command_hit_breakpoint(before) {
                    return true;
                }
            }
            if self.sim.run_until(stop.at, stop.events) {
                return true;
            }
            if stop.at == next_cp && stop.events.is_none() && self.sim.now() == next_cp {
                self.checkpoint();
            }
            if stop == m {
                self.free_dropped(self.sim.now().since(paid));
                return false;
            }
        }
    }

    /// Keeps a clone of the live sim as a checkpoint; thins the grid past the bound.
    fn checkpoint(&mut self) {
        let mut sim = self.sim.clone();
        sim.set_breakpoint(None);
        let c = Checkpoint {
            at: sim.now(),
            steps: sim.steps(),
            applied: self.applied,
            sim: Rc::new(sim),
            beyond: None,
        };
        // Within the count bound, as many as the byte budget holds (`within_budget`).
        let max = self.max_checkpoints.max(2);
        let b = &mut self.branches[self.cur];
        b.checkpoints.push(c);
        while b.checkpoints.len() > max {
            self.dropped.extend(thin(b));
        }
    }

    /// Thins the current branch's checkpoints while what they hold beyond one another,
    /// the newest's beyond the live run and the live run's own bytes pass the byte budget:
    /// so the bound follows what the checkpoints really hold — far apart they share
    /// little, close together much — and, checked again as the live run moves on
    /// (`BUDGET_CHECK_MS`), holds between checkpoints too: memory reaches its plateau
    /// early in a run, not at its end.
    ///
    /// The bytes are estimated from sizes (`Sim::bytes_beyond_estimate`: O(shard
    /// copies), no row walked — walking every row, `Sim::bytes_beyond`, was a 200 ms
    /// pause per check in a page), each checkpoint's beyond the next once (kept until a
    /// thinning or a fork gives it another next), the newest's beyond the live run and
    /// the live run's own at every check. In the soak's world the estimate is the walk's
    /// +3 % (2 s apart) to +25 % (64 s apart): it errs towards thinning
    /// (`examples/budget_cost.rs`).
    fn within_budget(&mut self) {
        let now = self.sim.now();
        let b = &mut self.branches[self.cur];
        self.next_budget_check = now.plus((b.spacing / 4).max(BUDGET_CHECK_MS));
        // Only where the run grows: a seek re-simulating behind the newest checkpoint
        // is no measure of what that checkpoint will hold.
        if b.checkpoints
            .last()
            .is_none_or(|c| c.steps > self.sim.steps())
        {
            return;
        }
        let live = self.sim.bytes_beyond_estimate(None);
        while b.checkpoints.len() > 2 {
            let held = estimate(&mut b.checkpoints);
            let newest = b
                .checkpoints
                .last()
                .map_or(0, |c| c.sim.bytes_beyond_estimate(Some(&self.sim)));
            if held.saturating_add(newest).saturating_add(live) <= self.checkpoint_budget {
                break;
            }
            self.dropped.extend(thin(b));
        }
    }

    /// Frees dropped checkpoints a piece at a time, as far as `ms` simulated ms of the
    /// run pay for (`FREE_ROWS_PER_MS`).
    fn free_dropped(&mut self, ms: u64) {
        if self.dropped.is_empty() && self.pieces.is_empty() {
            self.credit = 0;
            return;
        }
        self.credit = self
            .credit
            .saturating_add(ms.saturating_mul(FREE_ROWS_PER_MS).min(1 << 40) as i64);
        while self.credit > 0 {
            if let Some((rows, piece)) = self.pieces.pop() {
                drop(piece);
                self.credit -= rows.max(1) as i64;
                continue;
            }
            let Some(sim) = self.dropped.pop() else {
                return;
            };
            // Still held elsewhere (another branch): its last owner frees it.
            if let Ok(sim) = Rc::try_unwrap(sim) {
                self.pieces = sim.into_pieces();
                self.pieces.reverse();
            }
        }
    }

    /// About the bytes the current branch's checkpoints hold beyond the live run, walked
    /// row by row (`Sim::bytes_beyond`): each beyond the next, the newest beyond the live
    /// run. A measurement (it walks every row of every checkpoint: slow in a busy world),
    /// for the estimate the byte budget bounds (`within_budget`) to be checked against.
    pub fn checkpoint_bytes(&self) -> usize {
        let cps = &self.branches[self.cur].checkpoints;
        cps.iter()
            .enumerate()
            .map(|(i, c)| {
                let next = cps.get(i + 1).map_or(&self.sim, |n| &*n.sim);
                c.sim.bytes_beyond(Some(next))
            })
            .sum()
    }

    /// Moves the branch's end if the run got past it.
    fn note_reach(&mut self) {
        let (now, steps) = (self.sim.now(), self.sim.steps());
        let b = self.branch_mut();
        if (now, steps) > (b.end, b.end_steps) {
            b.end = now;
            b.end_steps = steps;
        }
    }
}

/// Doubles the branch's checkpoint spacing and drops the checkpoints off the new grid
/// (returned, for freeing a piece at a time).
fn thin(b: &mut Branch) -> Vec<Rc<Sim>> {
    b.spacing *= 2;
    let s = b.spacing;
    let (keep, gone): (Vec<Checkpoint>, Vec<Checkpoint>) = std::mem::take(&mut b.checkpoints)
        .into_iter()
        .partition(|c| c.at.0 % s == 0);
    b.checkpoints = keep;
    gone.into_iter().map(|c| c.sim).collect()
}

/// Refreshes each checkpoint's estimated bytes beyond the next one where that next one
/// changed, and returns their sum (the newest counts nothing: it is what the live run
/// was).
fn estimate(cps: &mut [Checkpoint]) -> usize {
    let mut sum = 0;
    for i in 0..cps.len() {
        let next = cps.get(i + 1).map(|n| (n.steps, Rc::clone(&n.sim)));
        let c = &mut cps[i];
        c.beyond = match (next, c.beyond) {
            (None, _) => None,
            (Some((steps, _)), Some((s, b))) if s == steps => Some((s, b)),
            (Some((steps, sim)), _) => Some((steps, c.sim.bytes_beyond_estimate(Some(&sim)))),
        };
        sum += c.beyond.map_or(0, |(_, b)| b);
    }
    sum
}
