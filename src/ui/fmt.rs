//! Text and colour helpers shared by the views.
//!
//! Invariants: colour classes are `&'static str` (no per-frame allocation); a DC's colour
//! is a function of its id only (`id % 16`), and a message's colour of its `MsgKind` only,
//! so the same thing has the same colour in every panel.
//!
//! Names (`docs/GLOSSARY.md`): every name the page shows is written by ONE function here,
//! so it reads the same in every panel — transactions `T7` (`txn`), shards `<table> s<n>`
//! (`shard`), epochs `e<term>` (`epoch`), log positions `#<index>` (`log_pos`), a row's
//! version `#<index> e<term>` (`version`), copy states (`copy_state`), transaction states
//! (`txn_status`).

use crate::sim::FindingKind;
use crate::sim::MsgKind;
use crate::sim::PeerState;
use crate::sim::{CoordState, CopyState, PartState, TxnStatus};
use crate::sim::{DcId, Event, EventKind, SimTime};
use crate::sim::{ReqId, ShardId, TxnId};

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
        MsgKind::InstallSnapshot => "mk-snapshot",
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

/// A client request: `req 14` (not `#14`, which is a log position).
pub fn req(r: ReqId) -> String {
    format!("req {}", r.0)
}

/// A transaction: `T7`.
pub fn txn(t: TxnId) -> String {
    format!("T{}", t.0)
}

/// A shard: `<table> s<n>`, e.g. `orders s3` (`tables` are the table names by id).
pub fn shard(tables: &[String], table: crate::sim::TableId, s: ShardId) -> String {
    match tables.get(table.0 as usize) {
        Some(name) => format!("{name} s{}", s.0),
        None => format!("table{} s{}", table.0, s.0),
    }
}

/// An epoch, by its term: `e3`.
pub fn epoch(term: u32) -> String {
    format!("e{term}")
}

/// A log position (an entry's index in its shard's log): `#14`.
pub fn log_pos(index: u64) -> String {
    format!("#{index}")
}

/// A row version: the log position of the write that made it, in its epoch: `#14 e3`.
pub fn version(index: u64, term: u32) -> String {
    format!("{} {}", log_pos(index), epoch(term))
}

/// What the page says about one copy of a row.
pub fn copy_state(c: CopyState) -> String {
    match c {
        CopyState::UpToDate => "up to date".into(),
        CopyState::Behind(n) => format!("{n} behind"),
        CopyState::Down => "down".into(),
    }
}

/// A copy's label in the data view: its state, and that it is a tombstone. A deleted
/// copy still says whether it is down or behind (a down DC's copy always says "down").
pub fn copy_tag(c: CopyState, deleted: bool) -> String {
    match (deleted, c) {
        (false, c) => copy_state(c),
        (true, CopyState::UpToDate) => "deleted".into(),
        (true, c) => format!("deleted, {}", copy_state(c)),
    }
}

/// A transaction's one state, as a word and a class.
pub fn txn_status(s: TxnStatus) -> &'static str {
    match s {
        TxnStatus::Pending => "pending",
        TxnStatus::InDoubt => "in doubt",
        TxnStatus::Committed => "committed",
        TxnStatus::Aborted => "aborted",
    }
}

/// A transaction's outcome as an attribute value and JS API word: the 2PC list's
/// `data-status`.
pub fn txn_status_key(s: TxnStatus) -> &'static str {
    match s {
        TxnStatus::Pending => "pending",
        TxnStatus::InDoubt => "indoubt",
        TxnStatus::Committed => "committed",
        TxnStatus::Aborted => "aborted",
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
/// `tables`: the table names by id (for shard names).
pub fn event_text(e: &Event, names: &Names, tables: &[String]) -> String {
    let n = |d: DcId| dc_name(names, d);
    let sh = |t: crate::sim::TableId, s: ShardId| shard(tables, t, s);
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
                "failover {}: {} → {} (epoch {})",
                sh(*table, *shard),
                n(*old),
                n(*new),
                epoch(*term)
            )
        }
        EventKind::Promoted {
            table,
            shard,
            term,
            last_index,
        } => {
            format!(
                "promoted to primary of {} (epoch {}, log ends at {})",
                sh(*table, *shard),
                epoch(*term),
                log_pos(*last_index)
            )
        }
        EventKind::SteppedDown { table, shard, term } => format!(
            "stepped down from {} (fenced by epoch {})",
            sh(*table, *shard),
            epoch(*term)
        ),
        EventKind::Truncated {
            table,
            shard,
            entries,
        } => format!(
            "truncated {entries} divergent entries of {}",
            sh(*table, *shard)
        ),
        EventKind::SnapshotInstalled {
            table,
            shard,
            index,
            term,
            last_index,
        } => format!(
            "installed a snapshot of {} up to {}; log ends at {}",
            sh(*table, *shard),
            version(*index, *term),
            log_pos(*last_index)
        ),
        EventKind::Op {
            req,
            label,
            ok,
            detail,
            latency_ms,
        } => {
            format!(
                "{} {label} {} in {latency_ms} ms{}{detail}",
                self::req(*req),
                if *ok { "ok" } else { "FAILED" },
                if detail.is_empty() { "" } else { ": " }
            )
        }
        EventKind::Coord { txn: t, state } => {
            format!("{} coordinator: {}", txn(*t), coord_label(*state))
        }
        EventKind::Part { txn: t, state } => {
            format!("{} participant: {}", txn(*t), part_text(Some(*state)))
        }
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

/// A decimal number as Rust's `str::parse::<f64>` reads it (`2`, `-0.5`, `.5`, `5.`,
/// `1e3`, with an optional sign), or `None` — with no surrounding spaces, and without
/// `inf` / `NaN` (every caller refuses non-finite values anyway). The value comes from the
/// browser's `parseFloat` (on text already checked whole), which rounds as Rust does: Rust's float parser and its
/// 10 KB table of powers of five were in the page's wasm for two callers only (issue 8).
pub fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    let mut mantissa = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    (i == b.len()).then(|| js_sys::Number::parse_float(s))
}
