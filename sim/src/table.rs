//! Rows, versions, and one DC's copy of a shard: its durable log and the rows it implies.
//!
//! Invariants: `rows`, `intents`, `locks` and `resolved` are always exactly the result of
//! applying the retained `log` in order to the snapshot of the compacted prefix
//! (`Compacted`; an empty shard when nothing is compacted); entry `i` (1-based) sits at
//! `log[i - s - 1]`, `s` the compaction point; an entry's position `(epoch, index)`
//! identifies it across DCs (same position ⇒ same entry, and the same prefix before it),
//! compacted or not (`pos_at`). Compaction moves entries into the snapshot and never
//! changes the rows, intents or locks a copy serves; a copy diverged below its compaction
//! point cannot truncate and is replaced by a snapshot install (`node::replication`).
//!
//! A shard is a 2PC participant as a replica group (as in Spanner): a transaction's
//! PREPARE is a log entry holding its writes as intents, which lock their rows; a later
//! COMMIT entry applies them, an ABORT entry drops them. Whoever holds the log holds the
//! locks, so a primary promoted after a failover inherits them.
//!
//! Decisions are kept only as long as a message about their transaction can still come
//! (`Decisions`): each PREPARE entry carries its coordinator's low-water mark — every
//! transaction it coordinates below that mark has ended — and applying it forgets that
//! coordinator's decisions below the mark. Intents are never forgotten that way: a copy
//! that kept a PREPARE but lost its decision in a failover must still ask.

use super::ids::{DcId, TableId, TxnId};
use super::time::SimTime;
use super::vecmap::{VecMap, VecSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// Entries a primary keeps below what every live replica acknowledged, so a replica a
/// little behind catches up by log shipping rather than by a snapshot install.
pub const COMPACT_KEEP: u64 = 16;
/// A primary compacts once this many entries are compactable (compaction is amortized).
pub const COMPACT_EVERY: u64 = 16;

/// A column name or a string cell value, shared rather than copied (`Rc<str>`): a
/// write's keys and column names are cloned into every copy of the row, the log, the
/// messages and the history. Hashes, orders and serializes as the `String` it replaced.
pub type Text = Rc<str>;

/// A transaction's writes to one shard, with their write ids: shared (`Rc`) by the
/// coordinator's record, its PREPARE, the PREPARE entry, each copy's intent and the COMMIT
/// entry, which all hold the same list. Hashes, compares and serializes as the `Vec` it
/// replaced.
pub type TxnWrites = Rc<[(WriteOp, u64)]>;

/// A cell value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A string.
    Str(Text),
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
            Value::Str(s) => s.to_string(),
        }
    }
}

/// A primary key: one value per PK column, the first being the partition key.
pub type Pk = Vec<Value>;

/// The text placement hashes for a row: its partition key (the first PK column).
pub fn partition_text(pk: &Pk) -> String {
    pk.first().map(Value::hash_text).unwrap_or_default()
}

/// `f(partition_text(pk))`, without allocating when the partition key is a string (the
/// hot path: every request is routed by it).
pub fn with_partition_text<R>(pk: &Pk, f: impl FnOnce(&str) -> R) -> R {
    match pk.first() {
        Some(Value::Str(s)) => f(s),
        Some(v) => f(&v.hash_text()),
        None => f(""),
    }
}

/// A whole primary key as text (`a/b/…`), for display and read routing.
pub fn pk_text(pk: &Pk) -> String {
    use std::fmt::Write;
    // Written into one string (the checker names a key per request).
    let mut s = String::with_capacity(16);
    for (i, v) in pk.iter().enumerate() {
        if i > 0 {
            s.push('/');
        }
        match v {
            Value::Str(t) => s.push_str(t),
            Value::Int(n) => {
                let _ = write!(s, "{n}");
            }
        }
    }
    s
}

/// `f(&pk_text(pk))`, the text built on the stack when it is short (read routing looks
/// a key's digest up per read; a `String` per lookup cost an allocation and a free).
pub fn with_pk_text<R>(pk: &Pk, f: impl FnOnce(&str) -> R) -> R {
    use std::fmt::Write;
    /// Up to 64 bytes of text; `None` once it would not fit.
    struct Buf {
        bytes: [u8; 64],
        len: Option<usize>,
    }
    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let Some(len) = self.len else {
                return Err(std::fmt::Error);
            };
            match self.bytes.get_mut(len..len + s.len()) {
                Some(dst) => {
                    dst.copy_from_slice(s.as_bytes());
                    self.len = Some(len + s.len());
                    Ok(())
                }
                None => {
                    self.len = None;
                    Err(std::fmt::Error)
                }
            }
        }
    }
    if let [Value::Str(s)] = pk.as_slice() {
        return f(s);
    }
    let mut b = Buf {
        bytes: [0; 64],
        len: Some(0),
    };
    for (i, v) in pk.iter().enumerate() {
        let _ = if i > 0 { b.write_str("/") } else { Ok(()) };
        let _ = match v {
            Value::Str(t) => b.write_str(t),
            Value::Int(n) => write!(b, "{n}"),
        };
    }
    // Whole UTF-8 pieces only were copied, so the prefix is text.
    match b.len.and_then(|n| std::str::from_utf8(&b.bytes[..n]).ok()) {
        Some(t) => f(t),
        None => f(&pk_text(pk)),
    }
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
    Put(Vec<(Text, Value)>),
    /// Set some columns and delete others; creates the row if absent.
    Update {
        /// Columns to set.
        set: Vec<(Text, Value)>,
        /// Columns to delete.
        delete: Vec<Text>,
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
        writes: TxnWrites,
        /// The coordinator's low-water mark when it sent the PREPARE: every transaction
        /// it coordinates below it had ended (`Decisions::forget_below`).
        low: TxnId,
    },
    /// The decision COMMIT: applies the transaction's writes, releases its locks.
    Commit {
        /// The transaction.
        txn: TxnId,
        /// Its writes to this shard (a copy of the PREPARE's).
        writes: TxnWrites,
    },
    /// The decision ABORT: drops the transaction's intents, releases its locks.
    Abort {
        /// The transaction.
        txn: TxnId,
    },
}

impl Body {
    /// The row writes this entry applies, with their write ids (an iterator: a `Vec`
    /// per call cost an allocation per entry compacted or checked).
    pub fn applied(&self) -> impl Iterator<Item = (&WriteOp, u64)> + '_ {
        let (one, many): (Option<(&WriteOp, u64)>, &[(WriteOp, u64)]) = match self {
            Body::Write { op, write_id } => (Some((op, *write_id)), &[]),
            Body::Commit { writes, .. } => (None, writes),
            Body::Prepare { .. } | Body::Abort { .. } => (None, &[]),
        };
        one.into_iter().chain(many.iter().map(|(w, id)| (w, *id)))
    }

    /// The transaction a 2PC entry (PREPARE, COMMIT, ABORT) belongs to; none for a write.
    pub fn txn(&self) -> Option<TxnId> {
        match self {
            Body::Prepare { txn, .. } | Body::Commit { txn, .. } | Body::Abort { txn } => {
                Some(*txn)
            }
            Body::Write { .. } => None,
        }
    }

    /// Whether this entry writes row `pk` of its shard.
    pub fn writes_row(&self, pk: &Pk) -> bool {
        self.applied().any(|(w, _)| &w.pk == pk)
    }
}

/// One entry of a shard's log.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogEntry {
    /// Where it sits (same position ⇒ same entry, on every DC).
    pub pos: LogPos,
    /// What it does.
    pub body: Body,
    /// The primary that appended it.
    pub origin: DcId,
    /// When it was appended.
    pub at: SimTime,
    /// Derived, not part of the entry (see `PutCells`).
    #[serde(skip)]
    pub(crate) put_cells: PutCells,
}

/// The cells a `Put` entry's row gets (`Cells::of_put` of its columns at its version),
/// built by the first copy that applies the entry and shared by every other copy that
/// applies or compacts it: the entry is one `Rc` on every DC, and the cells are a pure
/// function of it, so each copy's row holds the same cells it would have built (one
/// allocation per write, not one per copy and per compaction). Not part of the entry:
/// equal, hashed and serialized as nothing, so fingerprints and files do not change.
#[derive(Clone, Default)]
pub(crate) struct PutCells(std::cell::OnceCell<Cells>);

impl PartialEq for PutCells {
    fn eq(&self, _: &PutCells) -> bool {
        true
    }
}

impl Eq for PutCells {}

impl std::hash::Hash for PutCells {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// As the derived one before the cache: the four fields.
impl fmt::Debug for LogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogEntry")
            .field("pos", &self.pos)
            .field("body", &self.body)
            .field("origin", &self.origin)
            .field("at", &self.at)
            .finish()
    }
}

impl LogEntry {
    /// An entry (its cells cache empty).
    pub fn new(pos: LogPos, body: Body, origin: DcId, at: SimTime) -> LogEntry {
        LogEntry {
            pos,
            body,
            origin,
            at,
            put_cells: PutCells::default(),
        }
    }

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
    pub writes: TxnWrites,
    /// Where its PREPARE entry sits.
    pub pos: LogPos,
    /// When the PREPARE was appended.
    pub at: SimTime,
}

/// A row's cells: each column's value and the version that wrote it, sorted by column,
/// in one shared allocation.
///
/// Why not a `BTreeMap`: a map's first node holds room for 11 cells (~800 B for a row of
/// one or two), and every copy of a row (a shard's compacted snapshot, a checkpoint's
/// copy of a shard, a read's reply) copied it. Here a copy is a reference count, a write
/// builds the row's new cells (rows have a few columns). Iteration, equality, hash and
/// serialized form are a map's (sorted by column, one entry per column).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Cells(Rc<[(Text, (Value, Version))]>);

impl Cells {
    /// No cells.
    pub fn new() -> Cells {
        Cells::default()
    }

    /// The cell of `column`.
    pub fn get(&self, column: &str) -> Option<&(Value, Version)> {
        self.find(column).ok().map(|i| &self.0[i].1)
    }

    /// Whether `column` is set.
    pub fn contains_key(&self, column: &str) -> bool {
        self.find(column).is_ok()
    }

    /// How many cells.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (column, (value, version)) by column.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Text, &(Value, Version))> + '_ {
        self.0.iter().map(|(c, v)| (c, v))
    }

    /// The columns, sorted.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Text> + '_ {
        self.0.iter().map(|(c, _)| c)
    }

    /// The (value, version) pairs by column.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &(Value, Version)> + '_ {
        self.0.iter().map(|(_, v)| v)
    }

    /// Sets `column` (a map's `insert`).
    pub fn insert(&mut self, column: Text, cell: (Value, Version)) {
        self.edit(|v| match v.binary_search_by(|(c, _)| (**c).cmp(&*column)) {
            Ok(i) => v[i].1 = cell,
            Err(i) => v.insert(i, (column, cell)),
        });
    }

    /// Removes `column` if set.
    pub fn remove(&mut self, column: &str) {
        if let Ok(i) = self.find(column) {
            self.edit(|v| {
                v.remove(i);
            });
        }
    }

    /// The cells a put of `cols` leaves, all at `ver` (as `collect` gives them), built
    /// straight into the shared slice — one allocation, not a vector then the slice —
    /// when there are at most 8 columns, all distinct (a row is rebuilt per write applied).
    pub(crate) fn of_put(cols: &[(Text, Value)], ver: &Version) -> Cells {
        let cell = |(c, v): &(Text, Value)| (c.clone(), (v.clone(), ver.clone()));
        let mut order = [0u8; 8];
        let Some(order) = order.get_mut(..cols.len()) else {
            return cols.iter().map(cell).collect();
        };
        // Column indices by name: an insertion sort (a few columns; no sort code
        // instantiated, see `sort`).
        for i in 0..order.len() {
            order[i] = i as u8;
            let mut j = i;
            while j > 0 && cols[usize::from(order[j - 1])].0 > cols[usize::from(order[j])].0 {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
        let name = |k: &u8| &cols[usize::from(*k)].0;
        if order.windows(2).any(|w| name(&w[0]) == name(&w[1])) {
            return cols.iter().map(cell).collect();
        }
        Cells(order.iter().map(|k| cell(&cols[usize::from(*k)])).collect())
    }

    /// Removes every cell.
    pub fn clear(&mut self) {
        *self = Cells::new();
    }

    /// Whether `self` and `other` are one allocation (a copy that shares its cells).
    pub fn ptr_eq(&self, other: &Cells) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The heap bytes of this allocation: the reference counts and the cells.
    pub fn heap_bytes(&self) -> usize {
        2 * std::mem::size_of::<usize>()
            + self.0.len() * std::mem::size_of::<(Text, (Value, Version))>()
    }

    fn find(&self, column: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(c, _)| (**c).cmp(column))
    }

    fn edit(&mut self, f: impl FnOnce(&mut Vec<(Text, (Value, Version))>)) {
        let mut v = self.0.to_vec();
        f(&mut v);
        self.0 = v.into();
    }
}

impl FromIterator<(Text, (Value, Version))> for Cells {
    fn from_iter<I: IntoIterator<Item = (Text, (Value, Version))>>(it: I) -> Cells {
        let it = it.into_iter();
        // Sized for the most cells the iterator may give (a row's columns: a few), so
        // the inserts do not reallocate (a row is rebuilt per write applied).
        let (lo, hi) = it.size_hint();
        let mut v: Vec<(Text, (Value, Version))> = Vec::with_capacity(hi.unwrap_or(lo).min(64));
        for (c, cell) in it {
            match v.binary_search_by(|(k, _)| k.cmp(&c)) {
                Ok(i) => v[i].1 = cell,
                Err(i) => v.insert(i, (c, cell)),
            }
        }
        Cells(v.into())
    }
}

impl fmt::Debug for Cells {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Cells {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Cells {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cells, D::Error> {
        let m = BTreeMap::<Text, (Value, Version)>::deserialize(d)?;
        Ok(m.into_iter().collect())
    }
}

/// A row as a DC stores it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Row {
    /// Each column's value and the version that wrote it.
    pub cells: Cells,
    /// Version of the last write to the row (a delete leaves a tombstone).
    pub version: Version,
    /// A tombstone.
    pub deleted: bool,
    /// The write that produced this state.
    pub write_id: u64,
}

/// What a compacted log prefix implied: the state after its last entry, and enough of
/// the prefix's shape for the log-matching rule (Raft's lastIncludedIndex / Term).
///
/// Invariant: `rows`, `intents`, `locks` and `resolved` are exactly the result of applying
/// the compacted entries `1..=last.index` in order to an empty shard — prepared intents and
/// their locks included, so compaction never drops an unresolved PREPARE's effect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Compacted {
    /// The last compacted entry's position (the default: nothing compacted).
    pub last: LogPos,
    /// The first index of each epoch in the compacted prefix, ascending: the prefix's
    /// epoch at any index, so the prev-check works below the compaction point. (A log's
    /// epochs never decrease along it; one pair per epoch change, not per entry.)
    pub epochs: Vec<(u64, Epoch)>,
    /// The rows the prefix implies.
    pub rows: BTreeMap<Pk, Row>,
    /// Intents of transactions prepared in the prefix and not decided in it.
    pub intents: BTreeMap<TxnId, Intent>,
    /// Their row locks.
    pub locks: BTreeMap<Pk, TxnId>,
    /// Transactions decided in the prefix (and not forgotten in it).
    pub resolved: Decisions,
}

/// A shard copy's decided transactions, bounded by their coordinators' low-water marks.
///
/// Invariants: `map` and `by_coord` hold the same transactions (those decided with a
/// known coordinator are in both; a decision applied without an intent — never the case
/// for an entry the protocol appends — only in `map`); nothing below
/// `horizon[c]` is in `by_coord[c]`; a horizon never moves down.
///
/// Why forgetting is safe: a coordinator announces mark `m` only once every transaction
/// it coordinates below `m` has ended (each participant shard acknowledged the decision),
/// and it sends nothing about an ended transaction on its own — a copy still holding an
/// intent asks, and the coordinator answers from its own records. So below the mark a
/// decision only ever answered a stale message: a PREPARE below the mark is refused
/// (`ended`), a resent decision finds neither intent nor decision and is acknowledged
/// with no copies, which an ended coordinator ignores.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Decisions {
    map: VecMap<TxnId, (bool, u64)>,
    by_coord: VecMap<DcId, VecSet<TxnId>>,
    horizon: VecMap<DcId, TxnId>,
}

impl Decisions {
    /// `txn`'s decision (commit?) and the index of its entry, if still kept.
    pub fn get(&self, txn: &TxnId) -> Option<&(bool, u64)> {
        self.map.get(txn)
    }

    /// Whether `txn`'s decision is kept.
    pub fn contains_key(&self, txn: &TxnId) -> bool {
        self.map.contains_key(txn)
    }

    /// How many decisions are kept.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Whether `txn`, coordinated by `coordinator`, lies below the mark this copy learned:
    /// its coordinator had ended it.
    pub fn ended(&self, coordinator: DcId, txn: TxnId) -> bool {
        self.horizon.get(&coordinator).is_some_and(|&h| txn < h)
    }

    fn insert(&mut self, txn: TxnId, coordinator: Option<DcId>, commit: bool, index: u64) {
        self.map.insert(txn, (commit, index));
        if let Some(c) = coordinator {
            self.by_coord.entry(c).or_default().insert(txn);
        }
    }

    /// Forgets `coordinator`'s decisions below `low` and remembers the mark.
    fn forget_below(&mut self, coordinator: DcId, low: TxnId) {
        let h = self.horizon.entry(coordinator).or_insert(low);
        if low < *h {
            return;
        }
        *h = low;
        let Some(set) = self.by_coord.get_mut(&coordinator) else {
            return;
        };
        for t in set.drain_below(&low) {
            self.map.remove(&t);
        }
    }
}

/// One DC's copy of one shard of one table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShardStore {
    /// The retained log: entry `i` at `log[i - compacted.last.index - 1]`. Entries are
    /// shared (`Rc`) with the batches that ship them and the copies that receive them: an
    /// entry is immutable once appended.
    pub log: Vec<Rc<LogEntry>>,
    /// The rows the log implies.
    pub rows: BTreeMap<Pk, Row>,
    /// Prepared transactions without a decision entry yet (their rows are locked).
    pub intents: BTreeMap<TxnId, Intent>,
    /// Row locks: the prepared transaction holding each locked row.
    pub locks: BTreeMap<Pk, TxnId>,
    /// Decided transactions: commit (true) or abort, and where the decision entry sits;
    /// forgotten below each coordinator's low-water mark.
    pub resolved: Decisions,
    /// The compacted prefix (the snapshot the retained log continues).
    pub compacted: Compacted,
}

impl ShardStore {
    /// The last entry's position (the snapshot's when the retained log is empty).
    pub fn last(&self) -> LogPos {
        self.log
            .last()
            .map(|e| e.pos)
            .unwrap_or(self.compacted.last)
    }

    /// The last entry's index (0 when empty).
    pub fn last_index(&self) -> u64 {
        self.compacted.last.index + self.log.len() as u64
    }

    /// The compaction point: entries up to it are in the snapshot, not the log.
    pub fn snapshot_index(&self) -> u64 {
        self.compacted.last.index
    }

    /// Epoch of the entry at `index` (index 0 is the empty prefix, epoch default), also
    /// below the compaction point.
    pub fn epoch_at(&self, index: u64) -> Option<Epoch> {
        if index == 0 {
            return Some(Epoch::default());
        }
        let s = self.compacted.last.index;
        if index <= s {
            return self
                .compacted
                .epochs
                .iter()
                .rev()
                .find(|(first, _)| *first <= index)
                .map(|(_, e)| *e);
        }
        self.log.get((index - s) as usize - 1).map(|e| e.pos.epoch)
    }

    /// The position of entry `index`, compacted or not.
    pub fn pos_at(&self, index: u64) -> Option<LogPos> {
        self.epoch_at(index).map(|epoch| LogPos { epoch, index })
    }

    /// Entry `index` (1-based), if present in the retained log.
    pub fn entry(&self, index: u64) -> Option<&LogEntry> {
        self.entry_rc(index).map(|e| &**e)
    }

    fn entry_rc(&self, index: u64) -> Option<&Rc<LogEntry>> {
        let s = self.compacted.last.index;
        if index <= s {
            None
        } else {
            self.log.get((index - s) as usize - 1)
        }
    }

    /// Up to `n` retained entries from index `from` on (`from` > the compaction point).
    pub fn entries_from(&self, from: u64, n: u64) -> &[Rc<LogEntry>] {
        let s = self.compacted.last.index;
        let a = (from.max(s + 1) - s - 1).min(self.log.len() as u64);
        let b = (a + n).min(self.log.len() as u64);
        &self.log[a as usize..b as usize]
    }

    /// Whether both copies hold the same entry at `index` (compared by content where both
    /// retain it, else by position: same position ⇒ same entry).
    pub fn same_at(&self, other: &ShardStore, index: u64) -> bool {
        match (self.entry_rc(index), other.entry_rc(index)) {
            // A shipped entry is the primary's own `Rc`: the same allocation is the same
            // entry (the checker asks this of 64 entries per replica every second).
            (Some(a), Some(b)) => Rc::ptr_eq(a, b) || a == b,
            _ => self.pos_at(index) == other.pos_at(index),
        }
    }

    /// The newest term anywhere in this copy (its log, compacted part included).
    pub fn max_term(&self) -> u32 {
        let log = self.log.iter().map(|e| e.pos.epoch.term);
        let snap = self.compacted.epochs.iter().map(|(_, e)| e.term);
        log.chain(snap).max().unwrap_or(0)
    }

    /// Appends the next entry and applies it.
    pub fn append(&mut self, e: impl Into<Rc<LogEntry>>) {
        let e = e.into();
        debug_assert_eq!(e.pos.index, self.last_index() + 1);
        apply(
            &mut self.rows,
            &mut self.intents,
            &mut self.locks,
            &mut self.resolved,
            &e,
        );
        self.log.push(e);
    }

    /// Whether `truncate_after(index)` can run: a compacted entry cannot be dropped
    /// (a copy diverged below its compaction point needs a snapshot install).
    pub fn can_truncate_after(&self, index: u64) -> bool {
        index >= self.compacted.last.index
    }

    /// Drops every entry after `index` and rebuilds the rows from the snapshot; returns
    /// what was dropped. `index` below the compaction point drops nothing (see
    /// `can_truncate_after`).
    pub fn truncate_after(&mut self, index: u64) -> Vec<Rc<LogEntry>> {
        if index >= self.last_index() || !self.can_truncate_after(index) {
            return Vec::new();
        }
        let keep = (index - self.compacted.last.index) as usize;
        let dropped = self.log.split_off(keep);
        self.rows = self.compacted.rows.clone();
        self.intents = self.compacted.intents.clone();
        self.locks = self.compacted.locks.clone();
        self.resolved = self.compacted.resolved.clone();
        for e in &self.log {
            apply(
                &mut self.rows,
                &mut self.intents,
                &mut self.locks,
                &mut self.resolved,
                e,
            );
        }
        dropped
    }

    /// Compacts the log up to `index` (at most the last entry): the entries leave the log
    /// and their effect moves into the snapshot — rows, intents and locks of transactions
    /// still undecided, decisions. Returns how many entries were compacted. The rows the
    /// store serves do not change.
    pub fn compact_to(&mut self, index: u64) -> u64 {
        let s = self.compacted.last.index;
        let upto = index.min(self.last_index());
        if upto <= s {
            return 0;
        }
        let n = (upto - s) as usize;
        let c = &mut self.compacted;
        for e in self.log.drain(..n) {
            if c.epochs.last().map(|(_, ep)| *ep) != Some(e.pos.epoch) {
                c.epochs.push((e.pos.index, e.pos.epoch));
            }
            let ver = Version {
                pos: e.pos,
                origin: e.origin,
                at: e.at,
            };
            // The row writes go through `compact_write` (`apply`'s own steps for the
            // rest of a COMMIT); other entries write no row.
            match &e.body {
                Body::Write { op, write_id } => compact_write(
                    &mut c.rows,
                    &self.rows,
                    op,
                    *write_id,
                    &ver,
                    Some(&e.put_cells),
                ),
                Body::Commit { txn, writes } => {
                    let coordinator = release(&mut c.intents, &mut c.locks, *txn);
                    c.resolved.insert(*txn, coordinator, true, e.pos.index);
                    for (w, id) in writes.iter() {
                        compact_write(&mut c.rows, &self.rows, w, *id, &ver, None);
                    }
                }
                Body::Prepare { .. } | Body::Abort { .. } => apply(
                    &mut c.rows,
                    &mut c.intents,
                    &mut c.locks,
                    &mut c.resolved,
                    &e,
                ),
            }
            c.last = e.pos;
        }
        n as u64
    }

    /// The row writes of every retained entry, newest first, with the entry's position.
    pub fn writes_rev(&self) -> impl Iterator<Item = (LogPos, &WriteOp)> + '_ {
        self.log
            .iter()
            .rev()
            .flat_map(|e| e.body.applied().into_iter().map(move |(w, _)| (e.pos, w)))
    }

    /// Broken variant `Bugs::mark_forgets_intents` only: drops `coordinator`'s intents
    /// below `low` and their locks, as if decided — which breaks this type's invariant.
    #[doc(hidden)]
    pub fn forget_intents_below(&mut self, coordinator: DcId, low: TxnId) {
        let gone: Vec<TxnId> = self
            .intents
            .range(..low)
            .filter(|(_, i)| i.coordinator == coordinator)
            .map(|(t, _)| *t)
            .collect();
        for t in gone {
            release(&mut self.intents, &mut self.locks, t);
        }
    }

    /// Rows that are not tombstones.
    pub fn live_rows(&self) -> usize {
        self.rows.values().filter(|r| !r.deleted).count()
    }

    /// Roughly the heap bytes this copy holds that `next` — a later copy of the same
    /// shard (a later checkpoint's, or the live run's), if there is one — does not share:
    /// its row maps (a copy's own B-tree nodes and keys), the cells no row of `next`
    /// shares (a compacted row that shares its live twin's cells counts them once), and
    /// the log entries `next` has compacted away. The sizes are the target's
    /// (`size_of`), with the B-tree's slack (~2/3 full nodes) and an allocation's header;
    /// within ~10 % of a counting allocator for the soak's world (`make soak-bytes`).
    /// One pass over each row map, in key order beside the maps it compares with (a
    /// merge, not a lookup per row): what a byte-budget check pays per shard copy.
    pub fn bytes_beyond(&self, next: Option<&ShardStore>) -> usize {
        use std::mem::size_of;
        let word = size_of::<usize>();
        let entry = |pk: &Pk| {
            (size_of::<Pk>() + size_of::<Row>()) * 3 / 2 + pk.len() * size_of::<Value>() + 2 * word
        };
        let (mut next_rows, mut next_compacted) = (
            Merge::new(next.map(|n| &n.rows)),
            Merge::new(next.map(|n| &n.compacted.rows)),
        );
        let mut bytes = 0;
        for (pk, row) in &self.rows {
            bytes += entry(pk);
            if !(next_rows.shares(pk, &row.cells) || next_compacted.shares(pk, &row.cells)) {
                bytes += row.cells.heap_bytes();
            }
        }
        let mut own = Merge::new(Some(&self.rows));
        let (mut next_rows, mut next_compacted) = (
            Merge::new(next.map(|n| &n.rows)),
            Merge::new(next.map(|n| &n.compacted.rows)),
        );
        for (pk, row) in &self.compacted.rows {
            bytes += entry(pk);
            if !(own.shares(pk, &row.cells)
                || next_rows.shares(pk, &row.cells)
                || next_compacted.shares(pk, &row.cells))
            {
                bytes += row.cells.heap_bytes();
            }
        }
        // Entries are shared (`Rc`) while both logs hold them.
        let gone = match next {
            Some(n) => self
                .log
                .iter()
                .filter(|e| e.pos.index <= n.snapshot_index())
                .count(),
            None => self.log.len(),
        };
        bytes += self.log.len() * word + gone * (size_of::<LogEntry>() + 2 * word);
        let small = self.small_items();
        bytes + small * 64 + size_of::<ShardStore>()
    }

    /// The intents, locks, resolutions and epochs this copy and its snapshot hold, which
    /// `bytes_beyond` and its estimate count at 64 B each.
    fn small_items(&self) -> usize {
        self.intents.len()
            + self.locks.len()
            + self.resolved.len()
            + self.compacted.intents.len()
            + self.compacted.locks.len()
            + self.compacted.resolved.len()
            + self.compacted.epochs.len()
    }

    /// `bytes_beyond` estimated from sizes, without walking a row: the row maps as
    /// there (every row an entry, sized by the first row's key), the cells of as many
    /// rows as `next`'s log went past this copy's (an entry writes about a row; all of
    /// them when `next` is none or has another history) plus of the compacted rows whose
    /// live twin this copy's own retained log rewrote, sized by the first row's cells;
    /// the log and small maps as there. O(1) per shard copy: what a byte-budget check
    /// decides with before its walk has counted a pair (`Timeline`).
    pub fn bytes_beyond_estimate(&self, next: Option<&ShardStore>) -> usize {
        use std::mem::size_of;
        let word = size_of::<usize>();
        let first = self
            .rows
            .iter()
            .next()
            .or_else(|| self.compacted.rows.iter().next());
        let (entry, cells) = first.map_or((0, 0), |(pk, row)| {
            (
                (size_of::<Pk>() + size_of::<Row>()) * 3 / 2
                    + pk.len() * size_of::<Value>()
                    + 2 * word,
                row.cells.heap_bytes(),
            )
        });
        let rows = self.rows.len() + self.compacted.rows.len();
        let rewritten = match next {
            Some(n) if n.snapshot_index() <= self.last_index() => {
                usize::try_from(n.last_index().saturating_sub(self.last_index()))
                    .unwrap_or(usize::MAX)
                    .min(self.rows.len())
            }
            _ => self.rows.len(),
        };
        let compacted_own = self.log.len().min(self.compacted.rows.len());
        let gone = match next {
            Some(n) => usize::try_from(n.snapshot_index().saturating_sub(self.snapshot_index()))
                .unwrap_or(usize::MAX)
                .min(self.log.len()),
            None => self.log.len(),
        };
        let small = self.small_items();
        rows * entry
            + (rewritten + compacted_own) * cells
            + self.log.len() * word
            + gone * (size_of::<LogEntry>() + 2 * word)
            + small * 64
            + size_of::<ShardStore>()
    }
}

/// A row map walked in key order beside another one (`ShardStore::bytes_beyond`): asked
/// for ascending keys only, it answers each in amortized O(1).
struct Merge<'a> {
    rows: Option<std::iter::Peekable<std::collections::btree_map::Iter<'a, Pk, Row>>>,
}

impl<'a> Merge<'a> {
    fn new(map: Option<&'a BTreeMap<Pk, Row>>) -> Merge<'a> {
        Merge {
            rows: map.map(|m| m.iter().peekable()),
        }
    }

    /// Whether the map's row at `pk` is one allocation with `cells`; `pk` must not be
    /// below the key asked before.
    fn shares(&mut self, pk: &Pk, cells: &Cells) -> bool {
        let Some(rows) = &mut self.rows else {
            return false;
        };
        while rows.next_if(|(k, _)| *k < pk).is_some() {}
        rows.peek()
            .is_some_and(|(k, r)| *k == pk && r.cells.ptr_eq(cells))
    }
}

/// Applies one row write of a compacted entry to the snapshot's rows (`snap`), given the
/// live rows. A row the snapshot then holds as the live rows do (no retained entry wrote
/// it since) shares their cells: one copy of a quiet row, not two. That is exactly when
/// the live row still carries this write (its position and write id), known before
/// applying: the snapshot's row becomes the live one, shared, without building the row a
/// second time. (Positions name entries, and the live rows are the snapshot's with the
/// retained log applied, so the write met the same row in both.)
fn compact_write(
    snap: &mut BTreeMap<Pk, Row>,
    live: &BTreeMap<Pk, Row>,
    op: &WriteOp,
    write_id: u64,
    ver: &Version,
    put: Option<&PutCells>,
) {
    let b = live.get(&op.pk);
    if let Some(b) = b.filter(|r| r.version.pos == ver.pos && r.write_id == write_id) {
        // Tests run with debug assertions: the row applying gives, compared.
        #[cfg(debug_assertions)]
        {
            let mut probe = BTreeMap::new();
            if let Some(r) = snap.get(&op.pk) {
                probe.insert(op.pk.clone(), r.clone());
            }
            apply_write(&mut probe, op, write_id, ver, None);
            debug_assert_eq!(probe.get(&op.pk), Some(b));
        }
        put_row(snap, &op.pk, b.clone());
        return;
    }
    // No comparison with the live row after applying: the written row has this write's
    // position and id, which the live row lacks (else the branch above ran), so the two
    // never compare equal.
    apply_write(snap, op, write_id, ver, put);
    debug_assert!(b.is_none() || snap.get(&op.pk) != b);
}

fn apply(
    rows: &mut BTreeMap<Pk, Row>,
    intents: &mut BTreeMap<TxnId, Intent>,
    locks: &mut BTreeMap<Pk, TxnId>,
    resolved: &mut Decisions,
    e: &LogEntry,
) {
    let ver = Version {
        pos: e.pos,
        origin: e.origin,
        at: e.at,
    };
    match &e.body {
        Body::Write { op, write_id } => apply_write(rows, op, *write_id, &ver, Some(&e.put_cells)),
        Body::Prepare {
            txn,
            coordinator,
            writes,
            low,
        } => {
            resolved.forget_below(*coordinator, *low);
            for (w, _) in writes.iter() {
                locks.insert(w.pk.clone(), *txn);
            }
            intents.insert(
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
            let coordinator = release(intents, locks, *txn);
            resolved.insert(*txn, coordinator, true, e.pos.index);
            for (w, id) in writes.iter() {
                apply_write(rows, w, *id, &ver, None);
            }
        }
        Body::Abort { txn } => {
            let coordinator = release(intents, locks, *txn);
            resolved.insert(*txn, coordinator, false, e.pos.index);
        }
    }
}

/// Drops `txn`'s intent and its locks; returns its coordinator (none without an intent).
fn release(
    intents: &mut BTreeMap<TxnId, Intent>,
    locks: &mut BTreeMap<Pk, TxnId>,
    txn: TxnId,
) -> Option<DcId> {
    let i = intents.remove(&txn)?;
    for (w, _) in i.writes.iter() {
        // One search per row: the lock is taken out, and put back (its own key, no copy)
        // in the rare case another transaction holds it.
        if let Some((pk, holder)) = locks.remove_entry(&w.pk) {
            if holder != txn {
                locks.insert(pk, holder);
            }
        }
    }
    Some(i.coordinator)
}

/// `put`: the entry's cells cache, when the write is a whole entry's (see `PutCells`).
fn apply_write(
    rows: &mut BTreeMap<Pk, Row>,
    op: &WriteOp,
    write_id: u64,
    ver: &Version,
    put: Option<&PutCells>,
) {
    let ver = ver.clone();
    let fresh = |ver: &Version| Row {
        cells: Cells::new(),
        version: ver.clone(),
        deleted: false,
        write_id,
    };
    match &op.kind {
        WriteKind::Put(cols) => {
            let mut row = fresh(&ver);
            row.cells = match put {
                Some(c) => c.0.get_or_init(|| Cells::of_put(cols, &ver)).clone(),
                None => Cells::of_put(cols, &ver),
            };
            put_row(rows, &op.pk, row);
        }
        WriteKind::Update { set, delete } => {
            // The key is copied only for a new row (see `put_row`).
            if !rows.contains_key(&op.pk) {
                rows.insert(op.pk.clone(), fresh(&ver));
            }
            let Some(row) = rows.get_mut(&op.pk) else {
                return;
            };
            if row.deleted {
                row.cells.clear();
                row.deleted = false;
            }
            // One new allocation for the row's cells, not one per column.
            let cells = std::mem::take(&mut row.cells);
            row.cells = cells
                .iter()
                .map(|(c, cell)| (c.clone(), cell.clone()))
                .chain(
                    set.iter()
                        .map(|(c, v)| (c.clone(), (v.clone(), ver.clone()))),
                )
                .filter(|(c, _)| !delete.contains(c))
                .collect();
            row.version = ver;
            row.write_id = write_id;
        }
        WriteKind::Delete => {
            let mut row = fresh(&ver);
            row.deleted = true;
            put_row(rows, &op.pk, row);
        }
    }
}

/// Sets `pk`'s row, copying the key only for a new row (`insert` of a key already there
/// keeps the old key and drops the copy: an allocation and a free for nothing).
fn put_row(rows: &mut BTreeMap<Pk, Row>, pk: &Pk, row: Row) {
    match rows.get_mut(pk) {
        Some(r) => *r = row,
        None => {
            rows.insert(pk.clone(), row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `of_put` gives what collecting the cells gives: sorted, unsorted, with a repeated
    /// column (the later wins), none, more than 8.
    #[test]
    fn of_put_is_the_collected_cells() {
        let ver = Version {
            pos: LogPos::default(),
            origin: DcId(0),
            at: SimTime::ZERO,
        };
        let col = |n: &str, v: i64| -> (Text, Value) { (n.into(), Value::Int(v)) };
        let many: Vec<(Text, Value)> = (0..10).rev().map(|i| col(&format!("c{i}"), i)).collect();
        for cols in [
            vec![col("a", 1), col("b", 2)],
            vec![col("name", 1), col("balance", 2), col("age", 3)],
            vec![col("x", 1), col("y", 2), col("x", 3)],
            vec![],
            many,
        ] {
            let want: Cells = cols
                .iter()
                .map(|(c, v)| (c.clone(), (v.clone(), ver.clone())))
                .collect();
            assert_eq!(Cells::of_put(&cols, &ver), want, "{cols:?}");
        }
    }

    /// The stack-built text is `pk_text`'s, whatever the key: one string, ints, several
    /// columns, a key too long for the buffer, multi-byte text, none.
    #[test]
    fn with_pk_text_gives_pk_text() {
        let s = |t: &str| Value::Str(t.into());
        let long = "x".repeat(70);
        let keys: Vec<Pk> = vec![
            vec![s("k1")],
            vec![Value::Int(-42)],
            vec![s("k7"), Value::Int(2)],
            vec![s(&long), Value::Int(1)],
            vec![s("é"), s(&"ü".repeat(40))],
            vec![],
        ];
        for pk in &keys {
            assert_eq!(with_pk_text(pk, |t| t.to_string()), pk_text(pk), "{pk:?}");
        }
    }

    #[test]
    fn cells_behave_as_the_map_they_replace_hash_and_serialize_alike() {
        let ver = |i: u64| Version {
            pos: LogPos {
                epoch: Epoch::default(),
                index: i,
            },
            origin: DcId(0),
            at: SimTime::ZERO,
        };
        let t = |s: &str| -> Text { s.into() };
        let mut cells = Cells::new();
        let mut map: BTreeMap<Text, (Value, Version)> = BTreeMap::new();
        for (c, v, i) in [("b", 1, 1), ("a", 2, 2), ("c", 3, 3), ("b", 4, 4)] {
            cells.insert(t(c), (Value::Int(v), ver(i)));
            map.insert(t(c), (Value::Int(v), ver(i)));
        }
        cells.remove("c");
        map.remove("c");
        cells.remove("zz");
        let shared = cells.clone();
        cells.insert(t("d"), (Value::Int(5), ver(5)));
        map.insert(t("d"), (Value::Int(5), ver(5)));
        assert_eq!(
            shared.len(),
            2,
            "a copy keeps its cells when the other changes"
        );
        assert!(
            cells.iter().eq(map.iter()),
            "sorted by column, last write wins"
        );
        assert_eq!(cells.get("b"), map.get("b"));
        assert!(cells.contains_key("d") && !cells.contains_key("c"));
        assert_eq!(crate::fp::fingerprint(&cells), crate::fp::fingerprint(&map));
        let json = serde_json::to_string(&cells).expect("serializes");
        assert_eq!(json, serde_json::to_string(&map).expect("serializes"));
        let back: Cells = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, cells);
        assert_eq!(format!("{cells:?}"), format!("{map:?}"));
        cells.clear();
        assert!(cells.is_empty());
    }

    #[test]
    fn a_mark_forgets_only_its_coordinators_decisions_below_it_and_never_moves_down() {
        let (a, b) = (DcId(0), DcId(1));
        let mut d = Decisions::default();
        for t in 1..=6 {
            let c = if t % 2 == 0 { a } else { b };
            d.insert(TxnId(t), Some(c), t % 3 != 0, t);
        }
        d.forget_below(a, TxnId(5));
        // a's 2 and 4 go; its 6 and all of b's stay.
        let kept: Vec<u64> = (1..=6).filter(|t| d.contains_key(&TxnId(*t))).collect();
        assert_eq!(kept, vec![1, 3, 5, 6]);
        assert!(d.ended(a, TxnId(4)) && !d.ended(a, TxnId(5)) && !d.ended(b, TxnId(1)));
        // An older mark (a reordered PREPARE) changes nothing.
        d.forget_below(a, TxnId(3));
        assert!(d.ended(a, TxnId(4)));
        assert_eq!(d.len(), 4);
        // A decision applied without an intent (no coordinator known) is never forgotten.
        d.insert(TxnId(7), None, true, 7);
        d.forget_below(a, TxnId(100));
        d.forget_below(b, TxnId(100));
        assert!(d.contains_key(&TxnId(7)) && d.len() == 1);
    }
}
