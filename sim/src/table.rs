//! Rows, versions, and one DC's copy of a shard: its durable log and the rows it implies.
//!
//! Invariants: `rows` is always exactly the result of applying `log` in order to an empty
//! table; log entry `i` (1-based) sits at `log[i-1]`; an entry's position `(epoch, index)`
//! identifies it across DCs (same position ⇒ same write).

use super::ids::{DcId, TableId};
use super::time::SimTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A cell value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
        }
    }
}

impl Value {
    /// The bytes the partition key is hashed from: the seed hashes `data.encode()`, so a
    /// string hashes as itself and an integer as its decimal text.
    pub fn hash_text(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Str(s) => s.clone(),
        }
    }
}

/// A primary key: one value per PK column, the first being the partition key.
pub type Pk = Vec<Value>;

/// The text placement hashes for a row: its partition key (the first PK column).
pub fn partition_text(pk: &Pk) -> String {
    pk.first().map(Value::hash_text).unwrap_or_default()
}

/// A whole primary key as text (`a/b/…`), for display and read routing.
pub fn pk_text(pk: &Pk) -> String {
    pk.iter()
        .map(|v| v.hash_text())
        .collect::<Vec<_>>()
        .join("/")
}

/// Who made the current copy of a shard authoritative. Ordered: `term` first, then the
/// DC that started the term, so two concurrent promotions never tie.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Epoch {
    /// Bumped by every failover or reconfiguration.
    pub term: u32,
    /// The DC that started the term (`u16::MAX`: a reconfiguration).
    pub by: u16,
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{}", self.term)
    }
}

/// A position in a shard's log. Ordered by epoch first: a newer epoch's log is more up to
/// date than any longer log of an older epoch (the Raft rule).
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct LogPos {
    /// The epoch of the primary that appended the entry.
    pub epoch: Epoch,
    /// 1-based index in the shard's log.
    pub index: u64,
}

/// The version stored with every cell.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Version {
    /// The log position of the write.
    pub pos: LogPos,
    /// DC that accepted the write (the primary at the time).
    pub origin: DcId,
    /// When the primary accepted it.
    pub at: SimTime,
}

/// What a write does to its row.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WriteKind {
    /// Replace the row.
    Put(Vec<(String, Value)>),
    /// Set some columns and delete others; creates the row if absent.
    Update {
        /// Columns to set.
        set: Vec<(String, Value)>,
        /// Columns to delete.
        delete: Vec<String>,
    },
    /// Delete the row (leaves a tombstone).
    Delete,
}

/// One row write.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WriteOp {
    /// The table written.
    pub table: TableId,
    /// The row's primary key.
    pub pk: Pk,
    /// What it does.
    pub kind: WriteKind,
}

/// One entry of a shard's log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogEntry {
    /// Where it sits (same position ⇒ same write, on every DC).
    pub pos: LogPos,
    /// The write.
    pub op: WriteOp,
    /// The primary that appended it.
    pub origin: DcId,
    /// When it was appended.
    pub at: SimTime,
    /// Unique per write in the run; lets the checker follow a write across DCs.
    pub write_id: u64,
}

/// A row as a DC stores it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Row {
    /// Each column's value and the version that wrote it.
    pub cells: BTreeMap<String, (Value, Version)>,
    /// Version of the last write to the row (a delete leaves a tombstone).
    pub version: Version,
    /// A tombstone.
    pub deleted: bool,
    /// The write that produced this state.
    pub write_id: u64,
}

/// One DC's copy of one shard of one table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShardStore {
    /// The log, entry `i` at `log[i-1]`.
    pub log: Vec<LogEntry>,
    /// The rows the log implies.
    pub rows: BTreeMap<Pk, Row>,
}

impl ShardStore {
    /// The last entry's position (the default when empty).
    pub fn last(&self) -> LogPos {
        self.log.last().map(|e| e.pos).unwrap_or_default()
    }

    /// The last entry's index (0 when empty).
    pub fn last_index(&self) -> u64 {
        self.log.len() as u64
    }

    /// Epoch of the entry at `index` (index 0 is the empty prefix, epoch default).
    pub fn epoch_at(&self, index: u64) -> Option<Epoch> {
        if index == 0 {
            return Some(Epoch::default());
        }
        self.log.get(index as usize - 1).map(|e| e.pos.epoch)
    }

    /// Entry `index` (1-based), if present.
    pub fn entry(&self, index: u64) -> Option<&LogEntry> {
        if index == 0 {
            None
        } else {
            self.log.get(index as usize - 1)
        }
    }

    /// Appends the next entry and applies it.
    pub fn append(&mut self, e: LogEntry) {
        debug_assert_eq!(e.pos.index, self.last_index() + 1);
        apply(&mut self.rows, &e);
        self.log.push(e);
    }

    /// Drops every entry after `index` and rebuilds the rows; returns what was dropped.
    pub fn truncate_after(&mut self, index: u64) -> Vec<LogEntry> {
        if index >= self.last_index() {
            return Vec::new();
        }
        let dropped = self.log.split_off(index as usize);
        self.rows.clear();
        for e in &self.log {
            apply(&mut self.rows, e);
        }
        dropped
    }

    /// Rows that are not tombstones.
    pub fn live_rows(&self) -> usize {
        self.rows.values().filter(|r| !r.deleted).count()
    }
}

fn apply(rows: &mut BTreeMap<Pk, Row>, e: &LogEntry) {
    let ver = Version {
        pos: e.pos,
        origin: e.origin,
        at: e.at,
    };
    let fresh = |ver: &Version| Row {
        cells: BTreeMap::new(),
        version: ver.clone(),
        deleted: false,
        write_id: e.write_id,
    };
    match &e.op.kind {
        WriteKind::Put(cols) => {
            let mut row = fresh(&ver);
            for (c, v) in cols {
                row.cells.insert(c.clone(), (v.clone(), ver.clone()));
            }
            rows.insert(e.op.pk.clone(), row);
        }
        WriteKind::Update { set, delete } => {
            let row = rows.entry(e.op.pk.clone()).or_insert_with(|| fresh(&ver));
            if row.deleted {
                row.cells.clear();
                row.deleted = false;
            }
            for (c, v) in set {
                row.cells.insert(c.clone(), (v.clone(), ver.clone()));
            }
            for c in delete {
                row.cells.remove(c);
            }
            row.version = ver;
            row.write_id = e.write_id;
        }
        WriteKind::Delete => {
            let mut row = fresh(&ver);
            row.deleted = true;
            rows.insert(e.op.pk.clone(), row);
        }
    }
}
