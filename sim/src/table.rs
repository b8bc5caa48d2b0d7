//! Rows, versions, and one DC's copy of a shard: its durable log and the rows it implies.
//!
//! Invariants: `rows`, `intents` and `resolved` are always exactly the result of applying
//! `log` in order to an empty shard; log entry `i` (1-based) sits at `log[i-1]`; an entry's
//! position `(epoch, index)` identifies it across DCs (same position ⇒ same entry).
//!
//! A shard is a 2PC participant as a replica group (as in Spanner): a transaction's
//! PREPARE is a log entry holding its writes as intents, which lock their rows; a later
//! COMMIT entry applies them, an ABORT entry drops them. Whoever holds the log holds the
//! locks, so a primary promoted after a failover inherits them.

use super::ids::{DcId, TableId, TxnId};
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

impl Epoch {
    /// A failover epoch, which heartbeats gossip (the initial epoch and a layout's are
    /// installed on every DC at once).
    pub(crate) fn is_gossiped(&self) -> bool {
        self.term > 0 && self.by != u16::MAX
    }
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

/// What a log entry does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Body {
    /// A plain row write. `write_id` is unique per write in the run; it lets the checker
    /// follow a write across DCs.
    Write {
        /// The write.
        op: WriteOp,
        /// Its id.
        write_id: u64,
    },
    /// A 2PC participant's PREPARE: the transaction's writes to this shard, as intents
    /// that lock their rows until a COMMIT or ABORT entry.
    Prepare {
        /// The transaction.
        txn: TxnId,
        /// Its coordinator, asked for the decision when it is overdue.
        coordinator: DcId,
        /// The writes (with their write ids) it will apply if it commits.
        writes: Vec<(WriteOp, u64)>,
    },
    /// The decision COMMIT: applies the transaction's writes, releases its locks.
    Commit {
        /// The transaction.
        txn: TxnId,
        /// Its writes to this shard (a copy of the PREPARE's).
        writes: Vec<(WriteOp, u64)>,
    },
    /// The decision ABORT: drops the transaction's intents, releases its locks.
    Abort {
        /// The transaction.
        txn: TxnId,
    },
}

impl Body {
    /// The row writes this entry applies, with their write ids.
    pub fn applied(&self) -> Vec<(&WriteOp, u64)> {
        match self {
            Body::Write { op, write_id } => vec![(op, *write_id)],
            Body::Commit { writes, .. } => writes.iter().map(|(w, id)| (w, *id)).collect(),
            Body::Prepare { .. } | Body::Abort { .. } => Vec::new(),
        }
    }

    /// Whether this entry writes row `pk` of its shard.
    pub fn writes_row(&self, pk: &Pk) -> bool {
        self.applied().iter().any(|(w, _)| &w.pk == pk)
    }
}

/// One entry of a shard's log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogEntry {
    /// Where it sits (same position ⇒ same entry, on every DC).
    pub pos: LogPos,
    /// What it does.
    pub body: Body,
    /// The primary that appended it.
    pub origin: DcId,
    /// When it was appended.
    pub at: SimTime,
}

impl LogEntry {
    /// `(position, write id)` of every row write this entry applies (what the checker
    /// follows).
    pub fn write_ids(&self) -> impl Iterator<Item = (LogPos, u64)> + '_ {
        self.body
            .applied()
            .into_iter()
            .map(move |(_, id)| (self.pos, id))
    }
}

/// A prepared transaction's hold on a shard, as its log implies it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Intent {
    /// Its coordinator.
    pub coordinator: DcId,
    /// Its writes to this shard.
    pub writes: Vec<(WriteOp, u64)>,
    /// Where its PREPARE entry sits.
    pub pos: LogPos,
    /// When the PREPARE was appended.
    pub at: SimTime,
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
    /// Prepared transactions without a decision entry yet (their rows are locked).
    pub intents: BTreeMap<TxnId, Intent>,
    /// Row locks: the prepared transaction holding each locked row.
    pub locks: BTreeMap<Pk, TxnId>,
    /// Decided transactions: commit (true) or abort, and where the decision entry sits.
    pub resolved: BTreeMap<TxnId, (bool, u64)>,
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
        self.apply(&e);
        self.log.push(e);
    }

    /// Drops every entry after `index` and rebuilds the rows; returns what was dropped.
    pub fn truncate_after(&mut self, index: u64) -> Vec<LogEntry> {
        if index >= self.last_index() {
            return Vec::new();
        }
        let dropped = self.log.split_off(index as usize);
        self.rows.clear();
        self.intents.clear();
        self.locks.clear();
        self.resolved.clear();
        let log = std::mem::take(&mut self.log);
        for e in &log {
            self.apply(e);
        }
        self.log = log;
        dropped
    }

    /// The row writes of every entry, newest first, with the entry's position.
    pub fn writes_rev(&self) -> impl Iterator<Item = (LogPos, &WriteOp)> + '_ {
        self.log
            .iter()
            .rev()
            .flat_map(|e| e.body.applied().into_iter().map(move |(w, _)| (e.pos, w)))
    }

    fn apply(&mut self, e: &LogEntry) {
        let ver = Version {
            pos: e.pos,
            origin: e.origin,
            at: e.at,
        };
        match &e.body {
            Body::Write { op, write_id } => apply_write(&mut self.rows, op, *write_id, &ver),
            Body::Prepare {
                txn,
                coordinator,
                writes,
            } => {
                for (w, _) in writes {
                    self.locks.insert(w.pk.clone(), *txn);
                }
                self.intents.insert(
                    *txn,
                    Intent {
                        coordinator: *coordinator,
                        writes: writes.clone(),
                        pos: e.pos,
                        at: e.at,
                    },
                );
            }
            Body::Commit { txn, writes } => {
                self.release(*txn);
                self.resolved.insert(*txn, (true, e.pos.index));
                for (w, id) in writes {
                    apply_write(&mut self.rows, w, *id, &ver);
                }
            }
            Body::Abort { txn } => {
                self.release(*txn);
                self.resolved.insert(*txn, (false, e.pos.index));
            }
        }
    }

    fn release(&mut self, txn: TxnId) {
        if let Some(i) = self.intents.remove(&txn) {
            for (w, _) in &i.writes {
                if self.locks.get(&w.pk) == Some(&txn) {
                    self.locks.remove(&w.pk);
                }
            }
        }
    }

    /// Rows that are not tombstones.
    pub fn live_rows(&self) -> usize {
        self.rows.values().filter(|r| !r.deleted).count()
    }
}

fn apply_write(rows: &mut BTreeMap<Pk, Row>, op: &WriteOp, write_id: u64, ver: &Version) {
    let ver = ver.clone();
    let fresh = |ver: &Version| Row {
        cells: BTreeMap::new(),
        version: ver.clone(),
        deleted: false,
        write_id,
    };
    match &op.kind {
        WriteKind::Put(cols) => {
            let mut row = fresh(&ver);
            for (c, v) in cols {
                row.cells.insert(c.clone(), (v.clone(), ver.clone()));
            }
            rows.insert(op.pk.clone(), row);
        }
        WriteKind::Update { set, delete } => {
            let row = rows.entry(op.pk.clone()).or_insert_with(|| fresh(&ver));
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
            row.write_id = write_id;
        }
        WriteKind::Delete => {
            let mut row = fresh(&ver);
            row.deleted = true;
            rows.insert(op.pk.clone(), row);
        }
    }
}
