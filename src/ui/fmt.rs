//! Text and colour helpers shared by the views.
//!
//! Invariants: colour classes are `&'static str` (no per-frame allocation); a DC's colour
//! is a function of its id only (`id % 16`), and a message's colour of its `MsgKind` only,
//! so the same thing has the same colour in every panel.

use crate::sim::FindingKind;
use crate::sim::MsgKind;
use crate::sim::PeerState;
use crate::sim::{CoordState, PartState};
use crate::sim::{DcId, Event, EventKind, SimTime};

const DC_FILL: [&str; 16] = [
    "dcf-0", "dcf-1", "dcf-2", "dcf-3", "dcf-4", "dcf-5", "dcf-6", "dcf-7", "dcf-8", "dcf-9",
    "dcf-10", "dcf-11", "dcf-12", "dcf-13", "dcf-14", "dcf-15",
];
const DC_STROKE: [&str; 16] = [
    "dcs-0", "dcs-1", "dcs-2", "dcs-3", "dcs-4", "dcs-5", "dcs-6", "dcs-7", "dcs-8", "dcs-9",
    "dcs-10", "dcs-11", "dcs-12", "dcs-13", "dcs-14", "dcs-15",
];
const DC_BG: [&str; 16] = [
    "dcb-0", "dcb-1", "dcb-2", "dcb-3", "dcb-4", "dcb-5", "dcb-6", "dcb-7", "dcb-8", "dcb-9",
    "dcb-10", "dcb-11", "dcb-12", "dcb-13", "dcb-14", "dcb-15",
];

/// SVG fill class of a DC's colour.
pub fn dc_fill(d: DcId) -> &'static str {
    DC_FILL[d.0 as usize % 16]
}
/// SVG stroke class of a DC's colour.
pub fn dc_stroke(d: DcId) -> &'static str {
    DC_STROKE[d.0 as usize % 16]
}
/// HTML background class of a DC's colour (swatches).
pub fn dc_bg(d: DcId) -> &'static str {
    DC_BG[d.0 as usize % 16]
}

/// CSS class (fill/stroke/background via `--mk-*`) of a message kind.
pub fn msg_class(k: MsgKind) -> &'static str {
    match k {
        MsgKind::Heartbeat => "mk-heartbeat",
        MsgKind::Replicate => "mk-replicate",
        MsgKind::ReplicateAck => "mk-repack",
        MsgKind::Request => "mk-request",
        MsgKind::Response => "mk-response",
        MsgKind::Prepare => "mk-prepare",
        MsgKind::Vote => "mk-vote",
        MsgKind::Decision => "mk-decision",
        MsgKind::DecisionAck => "mk-ack",
        MsgKind::QueryDecision => "mk-query",
        MsgKind::NewEpoch => "mk-epoch",
    }
}

/// Short stable name of a message kind, for attributes.
pub fn msg_key(k: MsgKind) -> &'static str {
    &msg_class(k)[3..]
}

pub fn view_label(v: Option<PeerState>) -> &'static str {
    match v {
        Some(p) => p.label(),
        None => "unknown",
    }
}

pub fn part_label(p: Option<PartState>) -> &'static str {
    match p {
        Some(PartState::Prepared) => "prepared",
        Some(PartState::InDoubt) => "indoubt",
        Some(PartState::Committed) => "committed",
        Some(PartState::Aborted) => "aborted",
        None => "none",
    }
}

pub fn part_text(p: Option<PartState>) -> &'static str {
    match p {
        Some(PartState::Prepared) => "Prepared",
        Some(PartState::InDoubt) => "In doubt",
        Some(PartState::Committed) => "Committed",
        Some(PartState::Aborted) => "Aborted",
        None => "no vote yet",
    }
}

pub fn coord_label(c: CoordState) -> &'static str {
    match c {
        CoordState::Working => "working",
        CoordState::Committed => "committed",
        CoordState::Aborted => "aborted",
        CoordState::Ended => "ended",
    }
}

pub fn finding_key(k: FindingKind) -> &'static str {
    match k {
        FindingKind::Atomicity => "atomicity",
        FindingKind::Durability => "durability",
        FindingKind::AsyncWriteLost => "async-write-lost",
        FindingKind::DegradedWriteLost => "degraded-write-lost",
        FindingKind::StaleRead => "stale-read",
        FindingKind::StaleReadExplained => "stale-read-explained",
        FindingKind::Divergence => "divergence",
        FindingKind::StuckInDoubt => "stuck-in-doubt",
    }
}

/// `12.345 s`
pub fn time(t: SimTime) -> String {
    t.to_string()
}

/// DC names by id, as the views share them.
pub type Names = [(DcId, String)];

/// The display name of a DC, falling back to `DC<n>` for removed ones.
pub fn dc_name(names: &Names, d: DcId) -> String {
    names
        .iter()
        .find(|x| x.0 == d)
        .map(|x| x.1.clone())
        .unwrap_or_else(|| d.to_string())
}

/// One line of the event log.
pub fn event_text(e: &Event, names: &Names) -> String {
    let n = |d: DcId| dc_name(names, d);
    match &e.kind {
        EventKind::Killed => "killed".into(),
        EventKind::Revived => "revived: replays its durable log".into(),
        EventKind::LinkCut { from, to } => format!("link {} → {} cut", n(*from), n(*to)),
        EventKind::LinkHealed { from, to } => format!("link {} → {} healed", n(*from), n(*to)),
        EventKind::LatencySet { from, to, ms } => {
            format!("latency {} → {} set to {ms} ms", n(*from), n(*to))
        }
        EventKind::Dropped {
            src,
            dst,
            kind,
            reason,
        } => {
            format!(
                "{} {} → {} dropped ({})",
                kind.label(),
                n(*src),
                n(*dst),
                reason.label()
            )
        }
        EventKind::View { target, from, to } => {
            format!("sees {} {} → {}", n(*target), from.label(), to.label())
        }
        EventKind::FailoverIssued {
            table,
            shard,
            term,
            old,
            new,
        } => {
            format!(
                "failover t{}/{shard}: {} → {} (term {term})",
                table.0,
                n(*old),
                n(*new)
            )
        }
        EventKind::Promoted {
            table,
            shard,
            term,
            last_index,
        } => {
            format!(
                "promoted to primary of t{}/{shard} (term {term}, log ends at {last_index})",
                table.0
            )
        }
        EventKind::SteppedDown { table, shard, term } => format!(
            "stepped down from t{}/{shard} (fenced by term {term})",
            table.0
        ),
        EventKind::Truncated {
            table,
            shard,
            entries,
        } => format!(
            "truncated {entries} divergent entries of t{}/{shard}",
            table.0
        ),
        EventKind::Op {
            req,
            label,
            ok,
            detail,
            latency_ms,
        } => {
            format!(
                "#{} {label} {} in {latency_ms} ms{}{detail}",
                req.0,
                if *ok { "ok" } else { "FAILED" },
                if detail.is_empty() { "" } else { ": " }
            )
        }
        EventKind::Coord { txn, state } => format!("{txn} coordinator: {}", coord_label(*state)),
        EventKind::Part { txn, state } => format!("{txn} participant: {}", part_text(Some(*state))),
        EventKind::Recovered { in_doubt, redo } => {
            format!("recovered: {in_doubt} in doubt, {redo} to redo")
        }
        EventKind::Finding { index, kind } => format!("checker finding #{index}: {}", kind.label()),
        EventKind::Reconfigured { text } => format!("reconfigured: {text}"),
        EventKind::AdminWaiting { text } => format!("waiting: {text}"),
        EventKind::Setting { text } => format!("setting: {text}"),
    }
}

/// The transaction an event is about, if any (for click-to-select).
pub fn event_txn(e: &Event) -> Option<crate::sim::TxnId> {
    match &e.kind {
        EventKind::Coord { txn, .. } | EventKind::Part { txn, .. } => Some(*txn),
        _ => None,
    }
}

/// Formats a float speed factor compactly: `0.05×`, `1.0×`, `12×`.
pub fn speed(f: f64) -> String {
    if f < 0.995 {
        format!("{f:.2}×")
    } else if f < 9.95 {
        format!("{f:.1}×")
    } else {
        format!("{f:.0}×")
    }
}
