//! Markers on a timeline: the moments worth jumping to — commands, faults, failovers,
//! 2PC decisions and checker findings — for a scrubber to draw.
//!
//! Commands and faults come from a branch's command log (always whole); failovers,
//! decisions and findings from the events the run logged, collected by a `MarkerLog` as
//! the run first reaches them (a seek back does not forget the future it has seen).
//!
//! Invariants:
//! - Bounded: a `MarkerLog` keeps the newest `MARKERS_PER_KIND` of each kind, and
//!   `markers` returns at most that many of each kind, so a frequent kind (decisions)
//!   never crowds out a rare one (a finding).
//! - Deterministic: a run's event sequence numbers are a function of the run, so an
//!   event seen once is recognised (by its `seq`) when a re-simulation passes it again.
//! - Events are read from the sim's bounded log (`EVENT_LOG_CAP`): an event that left the
//!   log before a scan (a very fast forward run) is not marked.

use crate::record::{Event, EventKind};
use crate::scenario::ScheduledCommand;
use crate::schedule::describe;
use crate::CoordState;
use crate::{Sim, SimTime, UserCommand};
use std::collections::VecDeque;

/// At most this many markers of each kind (the newest).
pub const MARKERS_PER_KIND: usize = 50;

/// What a marker marks.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    /// A person's command (not a fault).
    Command,
    /// A fault injected by a command: a kill, a cut link, a partition.
    Fault,
    /// A failover was issued.
    Failover,
    /// A 2PC coordinator decided (commit or abort).
    Decision,
    /// The checker reported a finding.
    Finding,
}

impl MarkerKind {
    /// Every kind, in drawing order.
    pub const ALL: [MarkerKind; 5] = [
        MarkerKind::Command,
        MarkerKind::Fault,
        MarkerKind::Failover,
        MarkerKind::Decision,
        MarkerKind::Finding,
    ];

    /// Its name (`command`, `fault`, `failover`, `decision`, `finding`).
    pub fn key(self) -> &'static str {
        match self {
            MarkerKind::Command => "command",
            MarkerKind::Fault => "fault",
            MarkerKind::Failover => "failover",
            MarkerKind::Decision => "decision",
            MarkerKind::Finding => "finding",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One moment to jump to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// What it marks.
    pub kind: MarkerKind,
    /// When.
    pub at: SimTime,
    /// One line saying what happened.
    pub label: String,
}

/// The kind of a logged command's marker.
pub fn command_kind(cmd: &UserCommand) -> MarkerKind {
    match cmd {
        UserCommand::Kill(_) | UserCommand::CutLink { .. } | UserCommand::Partition(_) => {
            MarkerKind::Fault
        }
        _ => MarkerKind::Command,
    }
}

/// The marker of a logged event, if it is one.
fn event_marker(e: &Event) -> Option<Marker> {
    let (kind, label) = match &e.kind {
        EventKind::FailoverIssued {
            table,
            shard,
            old,
            new,
            ..
        } => (
            MarkerKind::Failover,
            format!(
                "failover of table {} shard {}: DC {} → DC {}",
                table.0, shard.0, old.0, new.0
            ),
        ),
        EventKind::Coord { txn, state } => {
            let what = match state {
                CoordState::Committed => "committed",
                CoordState::Aborted => "aborted",
                _ => return None,
            };
            (MarkerKind::Decision, format!("{txn} {what}"))
        }
        EventKind::Finding { index, kind } => (
            MarkerKind::Finding,
            format!("finding #{index}: {}", kind.label()),
        ),
        _ => return None,
    };
    Some(Marker {
        kind,
        at: e.at,
        label,
    })
}

/// The event markers a branch's run has shown so far.
#[derive(Clone, Debug, Default)]
pub struct MarkerLog {
    /// Per kind (by `MarkerKind` order), oldest first, each with its event's seq.
    kinds: [VecDeque<(u64, Marker)>; 5],
    /// The newest event seq scanned (None: none yet).
    seen: Option<u64>,
}

impl MarkerLog {
    /// Takes the markers of the events `sim` logged since the last scan.
    pub fn scan(&mut self, sim: &Sim) {
        let seen = self.seen;
        let mut newest = seen;
        for e in sim.events().filter(|e| seen.is_none_or(|s| e.seq > s)) {
            newest = Some(e.seq);
            if let Some(m) = event_marker(e) {
                let q = &mut self.kinds[m.kind.index()];
                if q.len() == MARKERS_PER_KIND {
                    q.pop_front();
                }
                q.push_back((e.seq, m));
            }
        }
        self.seen = newest;
    }

    /// The log of a branch forked off this one where `sim` stands: the markers of the
    /// events it has logged, none of the old future.
    pub fn cut_at(&self, sim: &Sim) -> MarkerLog {
        let last = sim.events().last().map(|e| e.seq);
        let keep = |s: &u64| last.is_some_and(|l| *s <= l);
        MarkerLog {
            kinds: self
                .kinds
                .clone()
                .map(|q| q.into_iter().filter(|(s, _)| keep(s)).collect()),
            seen: last,
        }
    }

    /// The markers of `commands` (a branch's log) and of the events seen, in time order;
    /// at most `MARKERS_PER_KIND` of each kind (the newest).
    pub fn markers(&self, commands: &[ScheduledCommand]) -> Vec<Marker> {
        // Newest first, so a long log costs only the markers kept (this runs every tick).
        let mut per_cmd = [0usize; 2];
        let mut out: Vec<Marker> = Vec::new();
        for c in commands.iter().rev() {
            if per_cmd.iter().all(|n| *n >= MARKERS_PER_KIND) {
                break;
            }
            let kind = command_kind(&c.cmd);
            if per_cmd[kind.index()] < MARKERS_PER_KIND {
                per_cmd[kind.index()] += 1;
                out.push(Marker {
                    kind,
                    at: c.at,
                    label: describe(&c.cmd),
                });
            }
        }
        out.reverse();
        for q in &self.kinds {
            out.extend(q.iter().map(|(_, m)| m.clone()));
        }
        // Stable: equal instants keep kind order.
        crate::sort::sort_by_key(&mut out, |m| m.at);
        out
    }
}
