//! Lessons mode's state: which lesson is open, at which step, which steps' tasks are
//! done, and what the narration panel draws (`StepView`). The lessons themselves are the
//! core's (`sim::lesson`: parsed from `sim/lessons/*.json`, tasks detected by
//! `task_done`).
//!
//! Invariants:
//! - A step's task is done once `task_done(task, sim, since)` held at some tick while the
//!   step was shown, `since` being the event count when the step began; it then stays
//!   done (going back and forth keeps it), so "next" never flips back to disabled.
//! - A step that follows a done task step counts events from the event that completed
//!   that task (`done_at`), not from the click on Next: a moment that follows at once
//!   (a failover's promotion, the finding it causes) is not missed while the learner
//!   reads and presses Next. Any other step counts from when it is shown.
//! - "Next" moves only past a step without a task or with its task done; "prev" always
//!   moves back (there is nothing to undo).
//! - Pure: no DOM and no clock; the App gives the wall ms and the simulation.

use crate::sim::lesson::{task_done, Lesson, LookAt, Moment, Task, Who};
use crate::sim::{DcId, FindingKind, Sim};
use crate::ui::fmt::{self, Names};
use crate::ui::state::Tab;
use yew::AttrValue;

/// Milliseconds of wall time before a hint shows when the step gives none.
pub const DEFAULT_HINT_AFTER_MS: u64 = 15_000;

/// An open lesson.
pub struct LessonRun {
    pub lesson: Lesson,
    /// The step shown, 0-based.
    pub step: usize,
    /// Per step: its task was seen done.
    pub done: Vec<bool>,
    /// Per step: the seq of the event that completed its task (later events count for
    /// the next step).
    pub done_at: Vec<Option<u64>>,
    /// Events recorded when the shown step began (`task_done`'s `since_seq`).
    pub since: u64,
    /// Wall ms when the shown step began.
    pub began_ms: f64,
    /// The hint of the shown step is showing.
    pub hint: bool,
    /// The step saved in localStorage for this lesson, offered until taken or moved on.
    pub resume: Option<usize>,
}

impl LessonRun {
    pub fn new(lesson: Lesson, resume: Option<usize>) -> LessonRun {
        let n = lesson.steps.len();
        LessonRun {
            lesson,
            step: 0,
            done: vec![false; n],
            done_at: vec![None; n],
            since: 0,
            began_ms: 0.0,
            hint: false,
            // Only a later step is worth offering.
            resume: resume.filter(|s| *s > 0 && *s < n),
        }
    }

    /// The step shown begins now: `events` recorded so far, at wall ms `now_ms`.
    pub fn begin(&mut self, step: usize, events: u64, now_ms: f64) {
        self.step = step.min(self.lesson.steps.len().saturating_sub(1));
        self.since = events;
        self.began_ms = now_ms;
        self.hint = false;
    }

    /// Where the next step's task starts counting: from the event that completed this
    /// step's task, else from `events` (now).
    pub fn next_since(&self, events: u64) -> u64 {
        self.done_at
            .get(self.step)
            .copied()
            .flatten()
            .map_or(events, |d| d.min(events))
    }

    /// Whether "next" may move on.
    pub fn can_next(&self) -> bool {
        self.step + 1 < self.lesson.steps.len()
            && (self.lesson.steps[self.step].task.is_none() || self.done[self.step])
    }

    /// Checks the shown step's task against the run and the hint's time; returns
    /// whether anything the panel shows changed.
    pub fn check(&mut self, sim: &Sim, now_ms: f64) -> bool {
        let Some(step) = self.lesson.steps.get(self.step) else {
            return false;
        };
        let Some(task) = &step.task else {
            return false;
        };
        let mut changed = false;
        if !self.done[self.step] && task_done(task, sim, self.since) {
            self.done[self.step] = true;
            // The latest start from which it still counts as done: the completing event.
            let (mut lo, mut hi) = (self.since, sim.counters().events.max(self.since));
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if task_done(task, sim, mid) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            // `lo` + 1 is the completing event's seq: the next step counts after it.
            self.done_at[self.step] = Some(lo + 1);
            changed = true;
        }
        let after = step.hint_after_ms.unwrap_or(DEFAULT_HINT_AFTER_MS) as f64;
        if !self.done[self.step] && !self.hint && now_ms - self.began_ms >= after {
            self.hint = true;
            changed = true;
        }
        changed
    }

    /// The tab the shown step asks to look at, if it names one.
    pub fn tab(&self) -> Option<Tab> {
        match &self.lesson.steps.get(self.step)?.look_at {
            Some(LookAt::Tab(name)) => tab_named(name),
            Some(LookAt::Txn) => Some(Tab::Txn),
            _ => None,
        }
    }

    /// CSS selectors of what the shown step highlights (class `lesson-focus`).
    pub fn focus_selectors(&self, sim: &Sim) -> Vec<String> {
        let Some(step) = self.lesson.steps.get(self.step) else {
            return Vec::new();
        };
        match &step.look_at {
            None => Vec::new(),
            Some(LookAt::Dc(d)) => vec![
                format!("[data-testid=\"dc-{}\"]", d.0),
                format!("[data-testid=\"dc-row-{}\"]", d.0),
            ],
            Some(LookAt::Link(a, b)) => vec![
                format!("[data-testid=\"lane-hit-{}-{}\"]", a.0, b.0),
                format!("[data-testid=\"link-{}-{}\"]", a.0, b.0),
            ],
            Some(LookAt::Row { table, key }) => {
                let t = sim
                    .config()
                    .tables
                    .iter()
                    .position(|s| s.name == *table)
                    .unwrap_or(0);
                vec![
                    format!("[data-testid=\"data-key-{t}-{}\"]", css_escape(key)),
                    "[data-testid=\"tab-data\"]".to_string(),
                ]
            }
            Some(LookAt::Txn) => vec![
                "[data-testid=\"txn-list\"] > li:first-child".to_string(),
                "[data-testid=\"txn-diagram\"]".to_string(),
            ],
            Some(LookAt::Tab(name)) => match tab_named(name) {
                Some(t) => vec![format!("[data-testid=\"tab-{}\"]", t.key())],
                None if name == "map" => vec![".map-panel".to_string()],
                None => Vec::new(),
            },
        }
    }

    /// What the narration panel draws for the shown step.
    pub fn view(&self, names: &Names, recap: Option<Recap>) -> StepView {
        let step = &self.lesson.steps[self.step];
        let last = self.step + 1 == self.lesson.steps.len();
        StepView {
            id: self.lesson.id.clone().into(),
            title: self.lesson.title.clone().into(),
            index: self.step,
            of: self.lesson.steps.len(),
            text: step.text.clone().into(),
            task: step.task.as_ref().map(|t| task_text(t, names).into()),
            done: self.done[self.step],
            hint: (self.hint && !self.done[self.step])
                .then(|| step.hint.clone().map(AttrValue::from))
                .flatten(),
            can_next: self.can_next(),
            resume: self.resume.filter(|_| self.step == 0),
            recap: if last { recap } else { None },
        }
    }
}

/// The narration panel's picture of a step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepView {
    pub id: AttrValue,
    pub title: AttrValue,
    /// 0-based.
    pub index: usize,
    pub of: usize,
    pub text: AttrValue,
    /// What to do, in words; None: a "next" step.
    pub task: Option<AttrValue>,
    pub done: bool,
    pub hint: Option<AttrValue>,
    pub can_next: bool,
    /// The saved step to resume at (0-based), offered on step 1.
    pub resume: Option<usize>,
    /// On the last step: what the checker saw in this run.
    pub recap: Option<Recap>,
}

/// What the checker and the counters saw in this run (the snapshot's totals).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recap {
    /// (finding kind's label, count), kinds with at least one finding.
    pub findings: Vec<(&'static str, u64)>,
    pub violations: u64,
    pub commits: u64,
    pub aborts: u64,
    pub failovers: u64,
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub stale_reads: u64,
}

impl Recap {
    /// The recap of the run in `snap`.
    pub fn of(snap: &crate::sim::Snapshot) -> Recap {
        let c = &snap.counters;
        Recap {
            findings: FindingKind::ALL
                .iter()
                .map(|&k| (k.label(), snap.finding_counts.of(k)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            violations: snap.finding_counts.violations(),
            commits: c.txns_committed,
            aborts: c.txns_aborted,
            failovers: c.failovers,
            ops_ok: c.ops_ok,
            ops_failed: c.ops_failed,
            stale_reads: c.stale_reads,
        }
    }
}

/// The tab a lesson names: a tab's key (`txn`, `ring`), its title (`2PC`, `Placement`,
/// `Checker`), or `findings`; case does not matter.
pub fn tab_named(name: &str) -> Option<Tab> {
    let n = name.trim().to_ascii_lowercase();
    Tab::ALL
        .into_iter()
        .find(|t| t.key() == n || t.title().to_ascii_lowercase() == n)
}

/// Escapes a key for a CSS attribute selector in double quotes.
fn css_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn who_text(w: &Who, names: &Names) -> String {
    match w {
        Who::Dc(d) => fmt::dc_name(names, *d),
        Who::Any => "a datacenter".into(),
        Who::CoordinatorOfTxn => "the coordinator of the latest transaction".into(),
    }
}

fn from_text(from: &Option<DcId>, names: &Names) -> String {
    from.map(|d| format!(" from {}", fmt::dc_name(names, d)))
        .unwrap_or_default()
}

/// What a task asks, in words.
pub fn task_text(task: &Task, names: &Names) -> String {
    let dc = |d: DcId| fmt::dc_name(names, d);
    match task {
        Task::KillDc(w) => format!("Kill {} (DC table: Kill).", who_text(w, names)),
        Task::ReviveDc(w) => format!("Revive {} (DC table: Revive).", who_text(w, names)),
        Task::CutLink { from, to } => format!(
            "Cut the link {} → {} (its arrow on the map).",
            dc(*from),
            dc(*to)
        ),
        Task::HealLink { from, to } => format!(
            "Heal the link {} → {} (its arrow on the map).",
            dc(*from),
            dc(*to)
        ),
        Task::Read {
            table,
            key,
            consistency,
            from,
        } => format!(
            "Read {} {key}{}{} (Operate: GetRow).",
            table.as_deref().unwrap_or("the row"),
            from_text(from, names),
            consistency
                .map(|c| format!(" at read consistency {c:?}"))
                .unwrap_or_default()
        ),
        Task::Write { table, key, from } => format!(
            "Write {} {key}{} (Operate: PutRow).",
            table.as_deref().unwrap_or("the row"),
            from_text(from, names)
        ),
        Task::WaitFor(m) => format!("Play the run until {}.", moment_text(m)),
        Task::SetPlacement(p) => {
            format!("Switch placement to {p:?} (Settings, or the Placement tab).")
        }
        Task::AddDc => "Add a datacenter (Placement tab: Add DC).".into(),
        Task::SetFailover(on) => format!(
            "Turn automatic failover {} (Settings: Failover).",
            if *on { "on" } else { "off" }
        ),
        Task::SetMode { table, mode } => format!(
            "Set {}'s replication mode to {mode} (Settings: Mode).",
            table.as_deref().unwrap_or("the table")
        ),
    }
}

fn moment_text(m: &Moment) -> String {
    match m {
        Moment::WriteAcked => "a write is acknowledged".into(),
        Moment::Failover => "a failover is issued".into(),
        Moment::Promoted => "a new primary is promoted".into(),
        Moment::SteppedDown => "the old primary steps down".into(),
        Moment::TxnDecision => "the coordinator decides".into(),
        Moment::PrepareSent => "the coordinator sends PREPARE".into(),
        Moment::InDoubt => "a participant is in doubt".into(),
        Moment::PartCommitted => "a participant commits".into(),
        Moment::TxnEnded => "the coordinator logs END".into(),
        Moment::Finding(k) => format!("the checker reports {}", k.label()),
        Moment::PromotedFor { table, key } => format!(
            "a new primary is promoted for {} {key}",
            table.as_deref().unwrap_or("the row")
        ),
        Moment::View { dc, target, state } => {
            format!("{dc} sees {target} as {}", fmt::view_label(Some(*state)))
        }
    }
}
