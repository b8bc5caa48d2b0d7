//! The client history as an outside checker reads it: per operation what was asked, when
//! (instant and event count), how it ended, and exactly which values it wrote or read with
//! their versions.
//!
//! Invariants:
//! - Observing only: building these records never changes the simulation.
//! - Order by event count, not by instant (several events share an instant): an entry's
//!   `invoked_seq` / `completed_seq` are the number of events recorded in the event log
//!   before the invocation / the completion. The completion's own `Op` event is recorded
//!   right after it, so operation A completed before B was invoked exactly when
//!   `A.completed_seq < B.invoked_seq`; otherwise they may overlap.
//! - Values are copied as the client sent or received them; versions are the store's
//!   (epoch, index, origin) — the history judge needs nothing else from the simulator.

use crate::ids::{DcId, TableId};
use crate::table::{pk_text, Row, Text, Value, Version, WriteKind, WriteOp};
use crate::time::SimTime;
use crate::vocab::{ClientOp, OpResult};
use serde::{Deserialize, Serialize};

/// What kind of client operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    /// PutRow: replaces the row.
    Put,
    /// GetRow.
    Get,
    /// UpdateRow: sets (and deletes) some columns.
    Update,
    /// DeleteRow.
    Delete,
    /// GetRange.
    Range,
    /// A multi-row transaction.
    Txn,
}

impl OpKind {
    /// The kind of `op`.
    pub(crate) fn of(op: &ClientOp) -> OpKind {
        match op {
            ClientOp::Get { .. } => OpKind::Get,
            ClientOp::Range { .. } => OpKind::Range,
            ClientOp::Txn(_) => OpKind::Txn,
            ClientOp::Write(w) => OpKind::of_write(w),
        }
    }

    /// The kind of a single-row write.
    pub(crate) fn of_write(w: &WriteOp) -> OpKind {
        match w.kind {
            WriteKind::Put(_) => OpKind::Put,
            WriteKind::Update { .. } => OpKind::Update,
            WriteKind::Delete => OpKind::Delete,
        }
    }
}

/// A stored version, flattened: the log position (epoch term and starter, index) and
/// the primary that accepted the write.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VersionImage {
    /// The epoch's term.
    pub term: u32,
    /// The DC that started the epoch (65535: a reconfiguration).
    pub epoch_by: u16,
    /// The index in the shard's log.
    pub index: u64,
    /// The primary that accepted the write.
    pub origin: u16,
}

impl VersionImage {
    /// The image of `v`.
    pub fn of(v: &Version) -> VersionImage {
        VersionImage {
            term: v.pos.epoch.term,
            epoch_by: v.pos.epoch.by,
            index: v.pos.index,
            origin: v.origin.0,
        }
    }
}

/// One cell as stored or read: column, value and the version that wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CellImage {
    /// The column.
    pub column: Text,
    /// Its value.
    pub value: Value,
    /// The version that wrote it.
    pub version: VersionImage,
}

/// A row as stored or read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowImage {
    /// The row's cells (empty for a tombstone).
    pub cells: Vec<CellImage>,
    /// The version of the row's last write.
    pub version: VersionImage,
    /// A tombstone (the row was deleted).
    pub deleted: bool,
}

impl RowImage {
    /// The image of `r`.
    pub fn of(r: &Row) -> RowImage {
        RowImage {
            cells: r
                .cells
                .iter()
                .map(|(c, (v, ver))| CellImage {
                    column: c.clone(),
                    value: v.clone(),
                    version: VersionImage::of(ver),
                })
                .collect(),
            version: VersionImage::of(&r.version),
            deleted: r.deleted,
        }
    }
}

/// One row a client asked to write.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowWrite {
    /// The table's name.
    pub table: String,
    /// The row's key as text (`k7` or `k7/2`).
    pub key: String,
    /// The kind of write (`put`, `update` or `delete`).
    pub kind: OpKind,
    /// Columns set, with the values sent.
    pub set: Vec<(Text, Value)>,
    /// Columns deleted (an update).
    pub unset: Vec<Text>,
    /// The copies the acknowledgement reported for this row (primary included): a
    /// plain write's `n copies`, a transaction row its shard's. None: not acknowledged.
    /// What the mode promises for that many copies is docs/REPLICATION.md's table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<u8>,
}

impl RowWrite {
    fn of(w: &WriteOp, table: String) -> RowWrite {
        let (set, unset) = match &w.kind {
            WriteKind::Put(cols) => (cols.clone(), vec![]),
            WriteKind::Update { set, delete } => (set.clone(), delete.clone()),
            WriteKind::Delete => (vec![], vec![]),
        };
        RowWrite {
            table,
            key: pk_text(&w.pk),
            kind: OpKind::of_write(w),
            set,
            unset,
            copies: None,
        }
    }
}

/// One row a client read (`row: None`: the read found no row).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowRead {
    /// The table's name.
    pub table: String,
    /// The row's key as text.
    pub key: String,
    /// What was returned (a tombstone is returned as `deleted`).
    pub row: Option<RowImage>,
}

/// The written rows, read rows and single table of `op` as it completed with `result`.
pub(crate) fn images(
    op: &ClientOp,
    result: &OpResult,
    name: impl Fn(TableId) -> String,
    copies_of: impl Fn(&WriteOp) -> Option<u8>,
) -> (Option<String>, Vec<RowWrite>, Vec<RowRead>) {
    let write = |w: &WriteOp| RowWrite {
        copies: copies_of(w),
        ..RowWrite::of(w, name(w.table))
    };
    let writes: Vec<RowWrite> = match op {
        ClientOp::Write(w) => vec![write(w)],
        ClientOp::Txn(ws) => ws.iter().map(write).collect(),
        _ => vec![],
    };
    let reads = match (op, result) {
        (ClientOp::Get { table, pk }, OpResult::Row(r)) => vec![RowRead {
            table: name(*table),
            key: pk_text(pk),
            row: r.as_ref().map(RowImage::of),
        }],
        (ClientOp::Range { table, .. }, OpResult::Rows(rows)) => rows
            .iter()
            .map(|(pk, r)| RowRead {
                table: name(*table),
                key: pk_text(pk),
                row: Some(RowImage::of(r)),
            })
            .collect(),
        _ => vec![],
    };
    let table = match op {
        ClientOp::Get { table, .. } | ClientOp::Range { table, .. } => Some(name(*table)),
        ClientOp::Write(w) => Some(name(w.table)),
        ClientOp::Txn(ws) => {
            let first = ws.first().map(|w| w.table);
            first
                .filter(|t| ws.iter().all(|w| w.table == *t))
                .map(&name)
        }
    };
    (table, writes, reads)
}

/// A request as invoked, kept until it completes: a request whose front end crashed
/// never completes, and the history still owes it (its write may have landed).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Invocation {
    /// The client's home DC.
    pub(crate) home: DcId,
    /// Events recorded before the invocation.
    pub(crate) seq: u64,
    /// When.
    pub(crate) at: SimTime,
    /// What (shared with the front end's pending entry and the result).
    pub(crate) op: std::rc::Rc<ClientOp>,
}

/// The most requests kept open (a long run with many crashed front ends forgets the
/// oldest first).
pub(crate) const OPEN_CAP: usize = 10_000;
