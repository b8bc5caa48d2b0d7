//! Guided lessons as data: one JSON file per lesson under `sim/lessons/`, compiled in
//! (`LESSONS`), parsed and checked by `parse_lesson`, and the task predicates that say
//! when a learner has done what a step asks (`task_done`). The format is described in
//! docs/LESSONS.md.
//!
//! Invariants:
//! - `parse_lesson` never panics on any text; an error names the file and the field
//!   (`steps[2].task`) and says what is wrong. A lesson it returns has at least one step,
//!   a scenario that passed `parse_scenario`, and DC ids (in steps and tasks) that exist
//!   in that scenario (initial DCs plus one per `AddDc` command).
//! - Predicates only observe: `task_done` is a pure function of the simulation and the
//!   event sequence number the step began at (events with `seq > since_seq` count), so a
//!   replay of the same run completes the same steps at the same events.
//! - Deterministic: BTreeMap/Vec only, no clock, no hash-map iteration.

use crate::checker::FindingKind;
use crate::config::SimConfig;
use crate::config::{PlacementKind, ReadConsistency, ReplicationMode};
use crate::history::OpKind;
use crate::ids::DcId;
use crate::node::Bugs;
use crate::record::{Breakpoint, EventKind};
use crate::scenario::ScheduledCommand;
use crate::scenario::{parse_scenario, scenario_json, settings_from_query, Scenario};
use crate::sim::Sim;
use crate::time::SimTime;
use crate::vocab::{ClientOp, CoordState, PartState, PeerState};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every compiled-in lesson: (file name, its text), in the order the list shows them
/// (issue 12's order).
pub const LESSONS: &[(&str, &str)] = &[
    (
        "hash-placement.json",
        include_str!("../lessons/hash-placement.json"),
    ),
    (
        "async-lost-write.json",
        include_str!("../lessons/async-lost-write.json"),
    ),
    (
        "replication-modes.json",
        include_str!("../lessons/replication-modes.json"),
    ),
    (
        "2pc-happy-path.json",
        include_str!("../lessons/2pc-happy-path.json"),
    ),
    (
        "2pc-blocking.json",
        include_str!("../lessons/2pc-blocking.json"),
    ),
    (
        "heartbeat-views.json",
        include_str!("../lessons/heartbeat-views.json"),
    ),
    (
        "failover-epochs.json",
        include_str!("../lessons/failover-epochs.json"),
    ),
    (
        "read-consistency.json",
        include_str!("../lessons/read-consistency.json"),
    ),
    (
        "seed-sketch.json",
        include_str!("../lessons/seed-sketch.json"),
    ),
];

/// The most bytes a lesson file may hold.
pub const MAX_LESSON_BYTES: usize = 64 * 1024;
/// The most steps a lesson may have.
pub const MAX_STEPS: usize = 40;
/// The longest a step's text (or hint) may be, in characters.
pub const MAX_TEXT_CHARS: usize = 1_200;
/// The latest a hint may appear after its step began, in ms of wall time.
pub const MAX_HINT_AFTER_MS: u64 = 120_000;
/// The earliest a hint may appear (sooner would interrupt a reader).
pub const MIN_HINT_AFTER_MS: u64 = 1_000;

/// A parsed, checked lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    /// Its id: the `?lesson=<id>` of a deep link; lowercase letters, digits and `-`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// One or two sentences for the list.
    pub summary: String,
    /// The run it plays: settings and commands at their instants.
    pub scenario: Scenario,
    /// Its steps, at least one.
    pub steps: Vec<Step>,
}

/// How a lesson file spells its run: settings as URL parameters (`seed=7&dcs=5&rate=0`,
/// the page's own `?…` syntax) or a whole configuration, plus timed commands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Settings as URL parameters (`fields::FIELDS`); the rest keep their defaults.
    #[serde(default)]
    pub settings: Option<String>,
    /// A whole configuration instead (a scenario file's `config`).
    #[serde(default)]
    pub config: Option<SimConfig>,
    /// Commands at their instants (a scenario file's `commands`).
    #[serde(default)]
    pub commands: Vec<ScheduledCommand>,
    /// Where the scripted part ends (a scenario file's `until`).
    #[serde(default)]
    pub until: Option<SimTime>,
    /// Seeded protocol bugs the run has (a scenario file's `bugs`), for a lesson that
    /// shows a broken variant being caught.
    #[serde(default)]
    pub bugs: Option<Bugs>,
}

/// One step of a lesson.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the narration says.
    pub text: String,
    /// What to highlight.
    #[serde(default)]
    pub look_at: Option<LookAt>,
    /// What the learner must do before the step counts as done; None: a "next" step.
    #[serde(default)]
    pub task: Option<Task>,
    /// Shown when the task is not done after `hint_after_ms` (default 15 s).
    #[serde(default)]
    pub hint: Option<String>,
    /// Wall-clock ms after the step began before the hint shows.
    #[serde(default)]
    pub hint_after_ms: Option<u64>,
    /// Pause the run at this moment while the step is shown (`Breakpoint`), so the
    /// learner can act at the instant that matters.
    #[serde(default)]
    pub pause_on: Option<Breakpoint>,
}

/// What a step highlights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LookAt {
    /// A datacenter.
    Dc(DcId),
    /// One direction of a link: `[from, to]`.
    Link(DcId, DcId),
    /// A row of a table.
    Row {
        /// The table's name.
        table: String,
        /// The key as typed (`k7`).
        key: String,
    },
    /// The latest transaction in the 2PC view.
    Txn,
    /// A tab of the page, by its name (`placement`, `2pc`, `data`, …).
    Tab(String),
}

/// Which DC a task names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Who {
    /// This DC.
    Dc(DcId),
    /// Whichever DC.
    Any,
    /// The coordinator of the latest traced transaction.
    CoordinatorOfTxn,
}

/// Something to wait for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Moment {
    /// A client's single-row write was acknowledged OK.
    WriteAcked,
    /// A DC issued a failover.
    Failover,
    /// A DC became primary of a shard.
    Promoted,
    /// A DC left the primary role (it learned of a newer epoch).
    SteppedDown,
    /// A coordinator logged a decision (commit or abort).
    TxnDecision,
    /// A coordinator sent its PREPAREs.
    PrepareSent,
    /// A participant became in doubt.
    InDoubt,
    /// A participant committed.
    PartCommitted,
    /// A coordinator logged END: every participant acknowledged the decision.
    TxnEnded,
    /// The checker reported a finding of this kind.
    Finding(FindingKind),
    /// A DC became primary of the shard that holds this row.
    PromotedFor {
        /// The table's name (default: the first table).
        #[serde(default)]
        table: Option<String>,
        /// The row's key as typed (its partition key).
        key: String,
    },
    /// DC `dc`'s own view of `target` became `state` (its failure detector).
    View {
        /// The observer.
        dc: DcId,
        /// The peer it watches.
        target: DcId,
        /// The view it moved to.
        state: PeerState,
    },
}

/// What a learner does, detected from the simulation's state and events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Task {
    /// Kill a DC.
    KillDc(Who),
    /// Revive a DC.
    ReviveDc(Who),
    /// Cut one direction of a link.
    CutLink {
        /// Sending side.
        from: DcId,
        /// Receiving side.
        to: DcId,
    },
    /// Heal one direction of a link.
    HealLink {
        /// Sending side.
        from: DcId,
        /// Receiving side.
        to: DcId,
    },
    /// Read a row (GetRow) to completion.
    Read {
        /// The table's name (default: the first table).
        #[serde(default)]
        table: Option<String>,
        /// The key as typed.
        key: String,
        /// The read consistency in force when it completes (default: any).
        #[serde(default)]
        consistency: Option<ReadConsistency>,
        /// The client's home DC (default: any).
        #[serde(default)]
        from: Option<DcId>,
    },
    /// Write a row (PutRow, UpdateRow, DeleteRow) to completion, ok or not.
    Write {
        /// The table's name (default: the first table).
        #[serde(default)]
        table: Option<String>,
        /// The key as typed.
        key: String,
        /// The client's home DC (default: any).
        #[serde(default)]
        from: Option<DcId>,
    },
    /// Wait until something happens.
    WaitFor(Moment),
    /// Switch placement to this kind.
    SetPlacement(PlacementKind),
    /// Turn failover on or off (in the settings).
    SetFailover(bool),
    /// Set a table's replication mode (in the settings).
    SetMode {
        /// The table's name (default: the first table).
        #[serde(default)]
        table: Option<String>,
        /// The mode it must have.
        mode: ReplicationMode,
    },
    /// Add a datacenter.
    AddDc,
}

/// Why a lesson was refused: the file, the field (a path like `steps[2].task`) and what
/// is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    /// The file's name.
    pub file: String,
    /// The field's path; empty for the file as a whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.field, self.message)
        }
    }
}

impl std::error::Error for LessonError {}

const TOP_FIELDS: [&str; 5] = ["id", "title", "summary", "scenario", "steps"];
const STEP_FIELDS: [&str; 6] = [
    "text",
    "look_at",
    "task",
    "hint",
    "hint_after_ms",
    "pause_on",
];

/// Parses and checks one lesson file. Fields are read one at a time so that an error
/// names the field it is in (serde_json alone names only a line and column).
pub fn parse_lesson(file: &str, text: &str) -> Result<Lesson, LessonError> {
    let fail = |field: &str, message: String| LessonError {
        file: file.to_string(),
        field: field.to_string(),
        message,
    };
    if text.len() > MAX_LESSON_BYTES {
        return Err(fail(
            "",
            format!(
                "the file is {} KB; the limit is {} KB",
                text.len() / 1024,
                MAX_LESSON_BYTES / 1024
            ),
        ));
    }
    let root: serde_json::Value =
        serde_json::from_str(text).map_err(|e| fail("", format!("not JSON: {e}")))?;
    let serde_json::Value::Object(mut obj) = root else {
        return Err(fail("", "a lesson is a JSON object".into()));
    };
    if let Some(k) = obj.keys().find(|k| !TOP_FIELDS.contains(&k.as_str())) {
        return Err(fail(
            k,
            format!("unknown field; a lesson has {}", TOP_FIELDS.join(", ")),
        ));
    }
    let mut take = |name: &str| {
        obj.remove(name)
            .ok_or_else(|| fail(name, "missing field".into()))
    };
    let id: String = field(file, "id", take("id")?)?;
    let title: String = field(file, "title", take("title")?)?;
    let summary: String = field(file, "summary", take("summary")?)?;
    let spec: ScenarioSpec = field(file, "scenario", take("scenario")?)?;
    let steps_v = take("steps")?;
    if id.is_empty()
        || id.len() > 40
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(fail(
            "id",
            format!("{id:.40?} is not 1 to 40 of a-z, 0-9 and -"),
        ));
    }
    for (name, s) in [("title", &title), ("summary", &summary)] {
        if s.trim().is_empty() || s.chars().count() > MAX_TEXT_CHARS {
            return Err(fail(
                name,
                format!("must be 1 to {MAX_TEXT_CHARS} characters"),
            ));
        }
    }
    let scenario = build_scenario(&spec).map_err(|m| fail("scenario", m))?;
    let serde_json::Value::Array(raw_steps) = steps_v else {
        return Err(fail("steps", "must be a list of steps".into()));
    };
    if raw_steps.is_empty() || raw_steps.len() > MAX_STEPS {
        return Err(fail(
            "steps",
            format!(
                "a lesson has 1 to {MAX_STEPS} steps; this one has {}",
                raw_steps.len()
            ),
        ));
    }
    // DC ids a step may name: the initial ones plus one per AddDc, as `parse_scenario`.
    let dcs = scenario.config.dcs.len()
        + scenario
            .commands
            .iter()
            .filter(|c| matches!(c.cmd, crate::commands::UserCommand::AddDc(_)))
            .count();
    let tables: Vec<&str> = scenario
        .config
        .tables
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    let mut steps = Vec::with_capacity(raw_steps.len());
    for (i, v) in raw_steps.into_iter().enumerate() {
        let at = format!("steps[{i}]");
        let step = parse_step(file, &at, v)?;
        check_step(&step, dcs, &tables).map_err(|(f, m)| fail(&format!("{at}.{f}"), m))?;
        steps.push(step);
    }
    Ok(Lesson {
        id,
        title,
        summary,
        scenario,
        steps,
    })
}

/// Every compiled-in lesson, parsed (the test `lessons` proves each one parses).
pub fn all_lessons() -> Vec<Result<Lesson, LessonError>> {
    LESSONS.iter().map(|(f, t)| parse_lesson(f, t)).collect()
}

/// The compiled-in lesson with this id, if it parses.
pub fn lesson_by_id(id: &str) -> Option<Lesson> {
    all_lessons()
        .into_iter()
        .filter_map(Result::ok)
        .find(|l| l.id == id)
}

/// Reads one field as `T` from its JSON text rather than with `serde_json::from_value`: the
/// types a lesson shares with scenario files (the config, commands) then have one
/// deserializer in the page's wasm, the one `parse_scenario` uses, instead of two (about
/// 50 KB of wasm). The text's line and column would point into the re-serialized field,
/// not into the file, so the message drops them (as `from_value`'s never had them).
fn field<T: DeserializeOwned>(
    file: &str,
    path: &str,
    v: serde_json::Value,
) -> Result<T, LessonError> {
    serde_json::from_str(&v.to_string()).map_err(|e| {
        let mut message = e.to_string();
        let at = format!(" at line {} column {}", e.line(), e.column());
        if e.line() != 0 && message.ends_with(&at) {
            message.truncate(message.len() - at.len());
        }
        LessonError {
            file: file.to_string(),
            field: path.to_string(),
            message,
        }
    })
}

fn parse_step(file: &str, at: &str, v: serde_json::Value) -> Result<Step, LessonError> {
    let serde_json::Value::Object(mut o) = v else {
        return Err(LessonError {
            file: file.to_string(),
            field: at.to_string(),
            message: "a step is an object with a text".into(),
        });
    };
    if let Some(k) = o.keys().find(|k| !STEP_FIELDS.contains(&k.as_str())) {
        return Err(LessonError {
            file: file.to_string(),
            field: format!("{at}.{k}"),
            message: format!("unknown field; a step has {}", STEP_FIELDS.join(", ")),
        });
    }
    let text = o.remove("text").ok_or_else(|| LessonError {
        file: file.to_string(),
        field: format!("{at}.text"),
        message: "missing field".into(),
    })?;
    let mut opt = |name: &str| o.remove(name).unwrap_or(serde_json::Value::Null);
    let (look_at, task, hint, hint_after, pause) = (
        opt("look_at"),
        opt("task"),
        opt("hint"),
        opt("hint_after_ms"),
        opt("pause_on"),
    );
    Ok(Step {
        text: field(file, &format!("{at}.text"), text)?,
        look_at: field(file, &format!("{at}.look_at"), look_at)?,
        task: field(file, &format!("{at}.task"), task)?,
        hint: field(file, &format!("{at}.hint"), hint)?,
        hint_after_ms: field(file, &format!("{at}.hint_after_ms"), hint_after)?,
        pause_on: field(file, &format!("{at}.pause_on"), pause)?,
    })
}

/// The scenario a spec describes, validated by the scenario parser itself.
fn build_scenario(spec: &ScenarioSpec) -> Result<Scenario, String> {
    let config = match (&spec.settings, &spec.config) {
        (Some(q), None) => {
            let s = settings_from_query(q);
            if !s.problems.is_empty() {
                return Err(format!("settings: {}", s.problems.join(" ")));
            }
            s.cfg
        }
        (None, Some(c)) => c.clone(),
        _ => return Err("give exactly one of settings (URL parameters) or config".into()),
    };
    let sc = Scenario {
        config,
        commands: spec.commands.clone(),
        until: spec.until,
        bugs: spec.bugs,
    };
    // One set of rules for scenario files and lessons: round-trip through the parser.
    parse_scenario(&scenario_json(&sc)).map_err(|e| e.0)
}

fn check_step(step: &Step, dcs: usize, tables: &[&str]) -> Result<(), (&'static str, String)> {
    let dc = |f: &'static str, d: DcId| {
        if (d.0 as usize) < dcs {
            Ok(())
        } else {
            Err((
                f,
                format!(
                    "there is no datacenter {d} in this lesson (ids 0 to {})",
                    dcs.saturating_sub(1)
                ),
            ))
        }
    };
    let table = |f: &'static str, t: &Option<String>| match t {
        Some(t) if !tables.contains(&t.as_str()) => Err((
            f,
            format!("no table {t:.40} (tables: {})", tables.join(", ")),
        )),
        _ => Ok(()),
    };
    if step.text.trim().is_empty() || step.text.chars().count() > MAX_TEXT_CHARS {
        return Err(("text", format!("must be 1 to {MAX_TEXT_CHARS} characters")));
    }
    if let Some(h) = &step.hint {
        if h.trim().is_empty() || h.chars().count() > MAX_TEXT_CHARS {
            return Err(("hint", format!("must be 1 to {MAX_TEXT_CHARS} characters")));
        }
    }
    if let Some(ms) = step.hint_after_ms {
        if !(MIN_HINT_AFTER_MS..=MAX_HINT_AFTER_MS).contains(&ms) {
            return Err((
                "hint_after_ms",
                format!("must be {MIN_HINT_AFTER_MS} to {MAX_HINT_AFTER_MS} ms; got {ms}"),
            ));
        }
        if step.hint.is_none() {
            return Err(("hint_after_ms", "is set but the step has no hint".into()));
        }
    }
    if step.task.is_none() && step.hint.is_some() {
        return Err(("hint", "a step without a task needs no hint".into()));
    }
    match &step.look_at {
        Some(LookAt::Dc(d)) => dc("look_at", *d)?,
        Some(LookAt::Link(a, b)) => {
            dc("look_at", *a)?;
            dc("look_at", *b)?;
            if a == b {
                return Err(("look_at", "a link joins two different datacenters".into()));
            }
        }
        Some(LookAt::Row { table: t, key }) => {
            table("look_at", &Some(t.clone()))?;
            if key.trim().is_empty() {
                return Err(("look_at", "a row needs a key".into()));
            }
        }
        Some(LookAt::Tab(t)) if t.trim().is_empty() => {
            return Err(("look_at", "a tab needs a name".into()))
        }
        _ => {}
    }
    match &step.task {
        Some(Task::KillDc(Who::Dc(d)) | Task::ReviveDc(Who::Dc(d))) => dc("task", *d)?,
        Some(Task::CutLink { from, to } | Task::HealLink { from, to }) => {
            dc("task", *from)?;
            dc("task", *to)?;
            if from == to {
                return Err(("task", "a link joins two different datacenters".into()));
            }
        }
        Some(Task::Read {
            table: t,
            key,
            from,
            ..
        })
        | Some(Task::Write {
            table: t,
            key,
            from,
            ..
        }) => {
            table("task", t)?;
            if key.trim().is_empty() {
                return Err(("task", "a read or write needs a key".into()));
            }
            if let Some(d) = from {
                dc("task", *d)?;
            }
        }
        Some(Task::SetMode { table: t, mode }) => {
            table("task", t)?;
            if let ReplicationMode::Quorum(w) = mode {
                if *w == 0 {
                    return Err(("task", "a write quorum counts at least 1 copy".into()));
                }
            }
        }
        Some(Task::WaitFor(Moment::PromotedFor { table: t, key })) => {
            table("task", t)?;
            if key.trim().is_empty() {
                return Err(("task", "a row needs a key".into()));
            }
        }
        Some(Task::WaitFor(Moment::View {
            dc: a, target: b, ..
        })) => {
            dc("task", *a)?;
            dc("task", *b)?;
            if a == b {
                return Err(("task", "a DC's view is of another DC".into()));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether `task` has been done in `sim` since the step began, when `since_seq` events
/// had been recorded (only events with a larger `seq` count). A pure function: the same
/// run gives the same answer at the same event.
pub fn task_done(task: &Task, sim: &Sim, since_seq: u64) -> bool {
    let mut recent = sim.events().filter(move |e| e.seq > since_seq);
    let who = |w: &Who, d: Option<DcId>| match w {
        Who::Dc(x) => d == Some(*x),
        Who::Any => d.is_some(),
        Who::CoordinatorOfTxn => d.is_some() && sim.txns().next_back().map(|t| t.coordinator) == d,
    };
    match task {
        Task::KillDc(w) => recent.any(|e| e.kind == EventKind::Killed && who(w, e.dc)),
        Task::ReviveDc(w) => recent.any(|e| e.kind == EventKind::Revived && who(w, e.dc)),
        Task::CutLink { from, to } => recent.any(|e| {
            e.kind
                == EventKind::LinkCut {
                    from: *from,
                    to: *to,
                }
        }),
        Task::HealLink { from, to } => recent.any(|e| {
            e.kind
                == EventKind::LinkHealed {
                    from: *from,
                    to: *to,
                }
        }),
        Task::Read {
            table,
            key,
            consistency,
            from,
        } => {
            consistency.is_none_or(|c| sim.config().read_consistency == c)
                && op_done(sim, since_seq, table, key, *from, |k| k == OpKind::Get)
        }
        Task::Write { table, key, from } => op_done(sim, since_seq, table, key, *from, |k| {
            matches!(k, OpKind::Put | OpKind::Update | OpKind::Delete)
        }),
        Task::WaitFor(Moment::View { dc, target, state }) => {
            recent.any(|e| view_is(*dc, *target, *state, e))
        }
        Task::WaitFor(Moment::PromotedFor { table, key }) => {
            let t = table_index(sim, table);
            let shard = sim.placement().shard_of(key);
            recent.any(|e| {
                matches!(e.kind, EventKind::Promoted { table: pt, shard: ps, .. }
                    if Some(pt.0 as usize) == t && ps == shard)
            })
        }
        Task::WaitFor(m) => recent.any(|e| moment_is(m, &e.kind)),
        Task::SetPlacement(p) => {
            sim.config().placement == *p
                && recent.any(|e| {
                    matches!(
                        e.kind,
                        EventKind::Reconfigured { .. } | EventKind::Setting { .. }
                    )
                })
        }
        Task::SetFailover(on) => {
            sim.config().failover == *on
                && recent.any(|e| {
                    matches!(
                        e.kind,
                        EventKind::Reconfigured { .. } | EventKind::Setting { .. }
                    )
                })
        }
        Task::SetMode { table, mode } => {
            table_index(sim, table)
                .and_then(|i| sim.config().tables.get(i))
                .is_some_and(|t| t.mode == *mode)
                && recent.any(|e| {
                    matches!(
                        e.kind,
                        EventKind::Reconfigured { .. } | EventKind::Setting { .. }
                    )
                })
        }
        Task::AddDc => {
            sim.last_moves()
                .is_some_and(|m| m.to_members > m.from_members)
                && recent.any(|e| matches!(e.kind, EventKind::Reconfigured { .. }))
        }
    }
}

fn moment_is(m: &Moment, k: &EventKind) -> bool {
    match (m, k) {
        (Moment::WriteAcked, EventKind::Op { ok, label, .. }) => {
            *ok && ClientOp::is_write_label(label)
        }
        (Moment::Failover, EventKind::FailoverIssued { .. }) => true,
        (Moment::Promoted, EventKind::Promoted { .. }) => true,
        (Moment::SteppedDown, EventKind::SteppedDown { .. }) => true,
        (Moment::TxnDecision, EventKind::Coord { state, .. }) => {
            matches!(state, CoordState::Committed | CoordState::Aborted)
        }
        (Moment::PrepareSent, EventKind::Coord { state, .. }) => *state == CoordState::Working,
        (Moment::TxnEnded, EventKind::Coord { state, .. }) => *state == CoordState::Ended,
        (Moment::InDoubt, EventKind::Part { state, .. }) => *state == PartState::InDoubt,
        (Moment::PartCommitted, EventKind::Part { state, .. }) => *state == PartState::Committed,
        (Moment::Finding(f), EventKind::Finding { kind, .. }) => kind == f,
        _ => false,
    }
}

/// The index of the table named `table` (None: the first table).
fn table_index(sim: &Sim, table: &Option<String>) -> Option<usize> {
    table.as_ref().map_or(Some(0), |n| {
        sim.config().tables.iter().position(|t| &t.name == n)
    })
}

/// Whether event `e` is DC `dc`'s view of `target` moving to `state`.
fn view_is(dc: DcId, target: DcId, state: PeerState, e: &crate::record::Event) -> bool {
    e.dc == Some(dc)
        && matches!(e.kind, EventKind::View { target: t, to, .. } if t == target && to == state)
}

/// Whether a client operation of kind `want` on `key` completed since `since_seq`,
/// read from the checker's client history (the page must keep it while in a lesson:
/// `Sim::set_keep_history(true)`).
fn op_done(
    sim: &Sim,
    since_seq: u64,
    table: &Option<String>,
    key: &str,
    from: Option<DcId>,
    want: impl Fn(OpKind) -> bool,
) -> bool {
    let table = table
        .clone()
        .or_else(|| sim.config().tables.first().map(|t| t.name.clone()));
    // `completed_seq` counts events before the completion; the step's own start is
    // `since_seq` events, so a completion at or after it counts.
    sim.checker().history_since(since_seq).any(|h| {
        want(h.kind)
            && h.keys.iter().any(|k| k == key)
            && (table.is_none() || h.table == table)
            && from.is_none_or(|d| h.home == Some(d))
    })
}
