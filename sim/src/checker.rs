//! The live invariant checker.
//!
//! Invariants of the checker itself: it reads facts the nodes report and, god's-eye, their
//! stores; it never changes the simulation. Every finding names the time, the keys or the
//! transaction, and the fault(s) that explain it. A finding is a `Violation` when the
//! protocol promised otherwise, `Expected` when it is the documented price of the chosen
//! setting (e.g. `Async` losing unshipped writes on failover) — reported, never silent.

use crate::config::{ReadConsistency, ReplicationMode};
use crate::history::{
    images, Invocation, OpKind, OpenRequests, RowRead, RowWrite, VersionImage, OPEN_CAP,
};
use crate::ids::{DcId, ReqId, ShardId, TableId, TxnId};
use crate::node::Node;
use crate::placement::Placement;
use crate::table::{pk_text, with_partition_text, Epoch, LogPos, Pk, ShardStore, WriteOp};
use crate::time::SimTime;
use crate::vecmap::{VecMap, VecSet};
use crate::vocab::{ClientOp, OpError, OpResult, PartState, ShardKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What kind of finding.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FindingKind {
    /// A transaction committed at one participant and aborted at another.
    Atomicity,
    /// An acknowledged write whose mode promised it would survive was lost (the promise
    /// table in docs/REPLICATION.md: `Quorum(w)` with ≥ w copies, `SemiSync` with 2,
    /// `Sync` with R, fewer copies than a correct primary waits for, or a copy an up
    /// replica held dropped by a membership change).
    Durability,
    /// An `Async` write acknowledged before it was shipped was lost by failover.
    AsyncWriteLost,
    /// A write acknowledged with fewer copies than the table's promise covers
    /// (`Quorum(1)`, `SemiSync` with 1, `Sync` with fewer than R while its primary counted
    /// the others dead) was lost when the replicas holding it were unreachable.
    DegradedWriteLost,
    /// A read at `Owner` or `Quorum` returned something older than the last write
    /// acknowledged before it started, where the protocol promised it would not.
    StaleRead,
    /// The same, but explained by the settings (no quorum overlap, a deposed primary
    /// without a read lease).
    StaleReadExplained,
    /// After heal and quiet, a replica's log is not a prefix of its primary's (entries and
    /// the rows they imply compared, not only positions).
    Divergence,
    /// A transaction is still in doubt after every DC has been up and healed past the
    /// timeout.
    StuckInDoubt,
}

impl FindingKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FindingKind; 8] = [
        FindingKind::Atomicity,
        FindingKind::Durability,
        FindingKind::AsyncWriteLost,
        FindingKind::DegradedWriteLost,
        FindingKind::StaleRead,
        FindingKind::StaleReadExplained,
        FindingKind::Divergence,
        FindingKind::StuckInDoubt,
    ];

    /// Its position in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// A broken promise (as opposed to the documented price of a setting).
    pub fn is_violation(self) -> bool {
        matches!(
            self,
            FindingKind::Atomicity
                | FindingKind::Durability
                | FindingKind::StaleRead
                | FindingKind::Divergence
                | FindingKind::StuckInDoubt
        )
    }

    /// The name the page shows.
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::Atomicity => "2PC atomicity",
            FindingKind::Durability => "durability",
            FindingKind::AsyncWriteLost => "async write lost",
            FindingKind::DegradedWriteLost => "degraded write lost",
            FindingKind::StaleRead => "stale read",
            FindingKind::StaleReadExplained => "stale read (explained)",
            FindingKind::Divergence => "replica divergence",
            FindingKind::StuckInDoubt => "stuck in doubt",
        }
    }
}

/// Something the checker found, with what explains it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// When it was found.
    pub at: SimTime,
    /// Its kind.
    pub kind: FindingKind,
    /// What was found.
    pub text: String,
    /// The row keys involved.
    pub keys: Vec<String>,
    /// The transaction involved, if any.
    pub txn: Option<TxnId>,
    /// The fault(s) that explain it.
    pub cause: String,
}

/// A fault the user (or a schedule) injected, remembered to explain findings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultNote {
    /// When it was injected.
    pub at: SimTime,
    /// What it was.
    pub text: String,
    /// The DCs it touched.
    pub dcs: Vec<DcId>,
}

/// A row's last acknowledged plain write: (pos, write id, copies, acked at, events
/// recorded then).
type LastWrite = (LogPos, u64, u8, SimTime, u64);

/// `Checker::last_write`: by table, then by primary key — iterated in `(table, pk)`
/// order, as the map keyed by the pair it replaced, but looked up by a borrowed key
/// (the pair needed a copy of the key per read and per write checked).
#[derive(Clone, Debug, Default)]
struct LastWrites(Vec<BTreeMap<Pk, LastWrite>>);

impl LastWrites {
    fn get(&self, table: TableId, pk: &Pk) -> Option<&LastWrite> {
        self.0.get(usize::from(table.0))?.get(pk)
    }

    /// Keeps `w` as the row's last write unless a later position is already kept.
    fn note(&mut self, table: TableId, pk: &Pk, w: LastWrite) {
        let t = usize::from(table.0);
        if self.0.len() <= t {
            self.0.resize_with(t + 1, BTreeMap::new);
        }
        match self.0[t].get_mut(pk) {
            Some(slot) => {
                if w.0 >= slot.0 {
                    *slot = w;
                }
            }
            None => {
                self.0[t].insert(pk.clone(), w);
            }
        }
    }

    /// Drops row `(table, pk)`'s last write if it is write `write_id`.
    fn forget(&mut self, table: TableId, pk: &Pk, write_id: u64) {
        if let Some(m) = self.0.get_mut(usize::from(table.0)) {
            if m.get(pk).is_some_and(|w| w.1 == write_id) {
                m.remove(pk);
            }
        }
    }

    fn retain(&mut self, mut f: impl FnMut(&Pk, &mut LastWrite) -> bool) {
        for m in &mut self.0 {
            m.retain(|pk, w| f(pk, w));
        }
    }

    fn iter(&self) -> impl Iterator<Item = ((TableId, &Pk), &LastWrite)> + '_ {
        self.0
            .iter()
            .enumerate()
            .flat_map(|(t, m)| m.iter().map(move |(pk, w)| ((TableId(t as u16), pk), w)))
    }

    fn values(&self) -> impl Iterator<Item = &LastWrite> + '_ {
        self.0.iter().flat_map(|m| m.values())
    }

    fn len(&self) -> usize {
        self.0.iter().map(|m| m.len()).sum()
    }
}

#[derive(Clone, Debug, Hash)]
struct Acked {
    key: ShardKey,
    pk: Pk,
    /// Where the write sits (for a transaction row: where its COMMIT was last appended;
    /// the default position if no COMMIT was appended before the client heard).
    pos: LogPos,
    copies: u8,
    at: SimTime,
    /// Copies the mode promised at acknowledgement, given the replicas surely live then.
    promised: u8,
    /// For a transaction row, its transaction: the row is held by a copy of the shard
    /// whose log has the transaction's PREPARE (still to be applied) or its COMMIT.
    txn: Option<TxnId>,
    /// For a transaction row, the other positions its COMMIT was seen appended at in this
    /// shard (a primary promoted after a failover re-applies it; a later failover may
    /// bring back a copy holding an earlier one).
    earlier: Vec<LogPos>,
}

impl Acked {
    /// Whether `store` holds this acknowledged write (or, for a transaction row, will
    /// apply it: its intent is there and the transaction committed). A transaction row's
    /// COMMIT counts by position too — any one seen appended (`on_appended`, `earlier`) — as
    /// a copy forgets old decisions (`table::Decisions`); the position is the checker's
    /// own evidence, not the protocol's word.
    fn held_by(&self, store: &crate::table::ShardStore) -> bool {
        match self.txn {
            Some(txn) => store.intents.contains_key(&txn) || self.committed_at(store, txn),
            // `pos_at`: a compacted entry is held too (same position ⇒ same entry).
            None => store.pos_at(self.pos.index) == Some(self.pos),
        }
    }

    /// Whether `store` applied transaction `txn`'s COMMIT: its decision is kept there, or
    /// the store holds a COMMIT entry of it at a position seen (the newest or an earlier).
    fn committed_at(&self, store: &crate::table::ShardStore, txn: TxnId) -> bool {
        matches!(store.resolved.get(&txn), Some((true, _)))
            || std::iter::once(&self.pos)
                .chain(&self.earlier)
                .any(|p| p.index > 0 && store.pos_at(p.index) == Some(*p))
    }
}

/// How a client operation ended, as the client saw it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// It took effect.
    Ok,
    /// Refused or aborted: it had no effect.
    Fail,
    /// Timed out or fenced: it may or may not have taken effect.
    Unknown,
}

/// One completed client operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The request.
    pub req: ReqId,
    /// The API name.
    pub op: String,
    /// The row keys it touched.
    pub keys: Vec<String>,
    /// When it was invoked.
    pub invoked: SimTime,
    /// When it completed.
    pub completed: SimTime,
    /// How it ended.
    pub outcome: Outcome,
    /// What a read returned (`#index eTerm`, or `none`), or where a write landed.
    pub value: Option<String>,
    /// The DC that answered, if known.
    pub served_by: Option<DcId>,
    /// What kind of operation.
    pub kind: OpKind,
    /// The table's name (None: a transaction across tables).
    pub table: Option<String>,
    /// The client's home DC (its front end).
    pub home: Option<DcId>,
    /// Events recorded before the invocation (see `history` for the order rule).
    pub invoked_seq: u64,
    /// Events recorded before the completion.
    pub completed_seq: u64,
    /// The transaction (a transaction's id is its request's).
    pub txn: Option<TxnId>,
    /// The rows it asked to write, with the values sent.
    pub writes: Vec<RowWrite>,
    /// The rows it read, with their versions (ok reads only).
    pub reads: Vec<RowRead>,
    /// Where an acknowledged plain write landed (None for a transaction: its rows'
    /// positions are not known to the client).
    pub landed: Option<VersionImage>,
}

/// A completed client operation as the checker keeps it: the operation and its result as
/// they completed, and what the history entry needs that could change later (the tables'
/// names, a transaction's shards under the placement of the moment). Made a
/// `HistoryEntry` only when the history is read: a run keeps thousands and rarely reads
/// them, and the entry's texts cost an allocation each.
#[derive(Clone, Debug)]
pub(crate) struct OpRecord {
    req: ReqId,
    op: std::rc::Rc<ClientOp>,
    result: OpResult,
    invoked: SimTime,
    completed: SimTime,
    served_by: Option<DcId>,
    home: Option<DcId>,
    invoked_seq: u64,
    completed_seq: u64,
    /// The tables' names when it completed.
    names: std::rc::Rc<[String]>,
    /// A committed operation's copies per written row (`written_rows`' order), as the
    /// acknowledgement of the row's shard said; empty otherwise.
    txn_copies: Vec<Option<u8>>,
}

impl OpRecord {
    /// The history entry (what `record_history` built when the operation completed).
    fn entry(&self) -> HistoryEntry {
        let (op, result, served_by) = (&self.op, &self.result, self.served_by);
        let (outcome, value) = match result {
            OpResult::Row(r) => (
                Outcome::Ok,
                Some(
                    r.as_ref()
                        .filter(|r| !r.deleted)
                        .map(|r| format!("#{} {}", r.version.pos.index, r.version.pos.epoch))
                        .unwrap_or_else(|| "none".into()),
                ),
            ),
            OpResult::Written { pos, .. } => (
                Outcome::Ok,
                (pos.index > 0).then(|| format!("#{} {}", pos.index, pos.epoch)),
            ),
            OpResult::Rows(rows) => (Outcome::Ok, Some(format!("{} rows", rows.len()))),
            OpResult::Committed { .. } => (Outcome::Ok, None),
            OpResult::Err(OpError::Timeout | OpError::Fenced) => (Outcome::Unknown, None),
            OpResult::Err(_) => (Outcome::Fail, None),
        };
        let landed = match result {
            OpResult::Written { pos, .. } if pos.index > 0 => served_by.map(|d| VersionImage {
                term: pos.epoch.term,
                epoch_by: pos.epoch.by,
                index: pos.index,
                origin: d.0,
            }),
            _ => None,
        };
        let copies_of = |w: &WriteOp| match result {
            OpResult::Written { copies, .. } => Some(*copies),
            OpResult::Committed { .. } => written_rows(op)
                .iter()
                .position(|x| std::ptr::eq(x, w))
                .and_then(|i| self.txn_copies.get(i).copied().flatten()),
            _ => None,
        };
        let name = |t: TableId| {
            self.names
                .get(t.0 as usize)
                .cloned()
                .unwrap_or_else(|| format!("table#{}", t.0))
        };
        let (table, writes, reads) = images(op, result, name, copies_of);
        HistoryEntry {
            req: self.req,
            op: op.label().to_string(),
            keys: op_keys(op),
            invoked: self.invoked,
            completed: self.completed,
            outcome,
            value,
            served_by,
            kind: OpKind::of(op),
            table,
            home: self.home,
            invoked_seq: self.invoked_seq,
            completed_seq: self.completed_seq,
            txn: matches!(**op, ClientOp::Txn(_)).then_some(TxnId(self.req.0)),
            writes,
            reads,
            landed,
        }
    }
}

/// The most history entries kept.
pub const HISTORY_CAP: usize = 20_000;

/// The most findings kept with their text (the newest; older ones are dropped in halves).
/// Every finding is still counted (`Checker::total`, `Checker::count`): the cap bounds
/// memory, never what the checker reports.
pub const FINDINGS_CAP: usize = 1_000;

/// How many findings of each kind, since the start of the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingCounts {
    /// Per kind, in `FindingKind::ALL`'s order.
    pub by_kind: [u64; 8],
}

impl FindingCounts {
    /// Findings of every kind.
    pub fn total(&self) -> u64 {
        self.by_kind.iter().sum()
    }

    /// Findings of `kind`.
    pub fn of(&self, kind: FindingKind) -> u64 {
        self.by_kind[kind.index()]
    }

    /// Findings that are violations.
    pub fn violations(&self) -> u64 {
        FindingKind::ALL
            .iter()
            .filter(|k| k.is_violation())
            .map(|&k| self.of(k))
            .sum()
    }
}

/// The live invariant checker.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// The newest findings (at most `FINDINGS_CAP`), oldest first; the first of them is
    /// finding number `dropped` of the run (0-based).
    /// (Behind `Arc`: a snapshot shares them rather than copying their text.)
    pub findings: Vec<Arc<Finding>>,
    /// Findings dropped from the front of `findings` to keep it under its cap.
    pub dropped: u64,
    /// Every finding counted by kind, dropped ones included.
    pub counts: FindingCounts,
    /// The most recent client operations (at most `HISTORY_CAP`). The checker's own
    /// judgements never read it: it is for the run report (and the oracle that re-checks
    /// it), so a run nobody will report on can skip it (`Sim::set_keep_history`).
    /// Each is an `Rc`, so a clone of the checker (a timeline checkpoint) shares them;
    /// each is kept as the operation and result completed (`OpRecord`), made a
    /// `HistoryEntry` only when read (`Checker::history`).
    pub(crate) history: std::collections::VecDeque<std::rc::Rc<OpRecord>>,
    /// Whether completed operations are kept in `history` (`true` unless turned off).
    pub(crate) skip_history: bool,
    /// The most recent injected faults (at most 512), to explain findings.
    pub faults: Vec<FaultNote>,
    /// Acknowledged writes not yet known safe, by write id.
    acked: BTreeMap<u64, Acked>,
    /// Where each write was appended by a primary: (shard, position, when).
    appended: BTreeMap<u64, (ShardKey, LogPos, SimTime)>,
    /// `(when, write id)` of each `appended` insertion, in time order: `prune` forgets
    /// the expired ones from the front instead of walking the whole map once a second (an
    /// entry replaced later, or dropped by a membership change, is skipped when its
    /// record comes up).
    appended_order: std::collections::VecDeque<(SimTime, u64)>,
    /// Transaction rows whose COMMIT was appended again (by a primary promoted since) before
    /// the client heard: the positions `appended` no longer shows, for `Acked::earlier`.
    earlier_commits: BTreeMap<u64, Vec<(ShardKey, LogPos)>>,
    /// Writes whose entry a membership change did not carry over, with its cause: if
    /// their acknowledgement arrives later, they are lost.
    lost_in_layout: BTreeMap<u64, String>,
    /// Copies a membership change gave a write whose acknowledgement was still on its way:
    /// the acknowledgement's count is from the old layout.
    layout_copies: BTreeMap<u64, u8>,
    /// When the last membership change happened: positions before and after it are not
    /// comparable, so a read that spans it is not judged.
    layout_at: Option<SimTime>,
    /// The newest epoch any DC adopted, per shard.
    latest_epoch: VecMap<ShardKey, (Epoch, DcId)>,
    /// Last acknowledged plain write per row: (pos, write id, copies, acked at).
    /// (… and the number of events recorded when it was acknowledged: reads are ordered
    /// against it by event, not by millisecond).
    last_write: LastWrites,
    /// Participant shards that applied each transaction's commit, and its abort: kept
    /// while a shard may still report a decision for it (`prune`).
    outcomes: VecMap<TxnId, (VecSet<ShardKey>, VecSet<ShardKey>)>,
    /// Replicas surely live (see `CheckCtx::stable_live`) for each participant shard's
    /// primary when it voted YES: a row lost with its PREPARE was promised what held then.
    /// Read once, when the client hears the commit: kept while the request is open.
    vote_live: VecMap<(TxnId, ShardKey), usize>,
    /// Participant shards prepared and undecided, since when.
    in_doubt: VecMap<(TxnId, ShardKey), SimTime>,
    reported_divergence: VecSet<(ShardKey, DcId)>,
    reported_stuck: VecSet<(TxnId, ShardKey)>,
    /// Reads found stale.
    pub stale_reads: u64,
    /// Reads checked.
    pub reads: u64,
    /// Requests invoked and not yet completed: where and when (for the history).
    invocations: OpenRequests,
}

impl Checker {
    /// Hashes what decides the checker's future verdicts (acknowledged writes, positions,
    /// epochs, outcomes, open requests, findings so far), not its logs of the past: the
    /// explorer puts it in a state's fingerprint, so two paths to the same node states
    /// are merged only if the checker would judge their futures alike.
    pub(crate) fn digest<H: std::hash::Hasher>(&self, h: &mut H) {
        use std::hash::Hash;
        self.acked.hash(h);
        self.appended.hash(h);
        self.earlier_commits.hash(h);
        self.lost_in_layout.hash(h);
        self.layout_copies.hash(h);
        self.layout_at.hash(h);
        self.latest_epoch.hash(h);
        // Event counts (`Invocation::seq`, `last_write`'s fifth field) decide only whether
        // a write was acknowledged at or after a read's invocation (`acked >= invoked`);
        // everything later counts higher than both. So what decides the future is, for
        // each count, how many of the other kind lie below it, not its value (how many
        // events the path happened to record): hash that, so paths to one state merge.
        let sorted = |it: &mut dyn Iterator<Item = u64>| {
            let mut v: Vec<u64> = it.collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let acks = sorted(&mut self.last_write.values().map(|w| w.4));
        let invs = sorted(&mut self.invocations.values().map(|i| i.seq));
        for (k, &(pos, id, copies, at, seq)) in self.last_write.iter() {
            let invoked_before = invs.partition_point(|&i| i <= seq) as u64;
            (k, pos, id, copies, at, invoked_before).hash(h);
        }
        self.outcomes.hash(h);
        self.vote_live.hash(h);
        self.in_doubt.hash(h);
        self.reported_divergence.hash(h);
        self.reported_stuck.hash(h);
        for (req, i) in self.invocations.iter() {
            let acked_before = acks.partition_point(|&a| a < i.seq) as u64;
            (req, i.home, acked_before, i.at, &i.op).hash(h);
        }
        self.history.len().hash(h);
        for f in &self.findings {
            f.kind.hash(h);
        }
    }
}

pub(crate) struct CheckCtx<'a> {
    pub(crate) now: SimTime,
    pub(crate) nodes: &'a VecMap<DcId, crate::fp::Shared<Node>>,
    pub(crate) modes: &'a [ReplicationMode],
    pub(crate) placement: &'a Placement,
    pub(crate) replication_factor: usize,
    pub(crate) consistency: ReadConsistency,
    /// For a write's completion, per row written: replicas (besides the primary) that had
    /// been up and reachable long enough that any correct primary counted them live.
    pub(crate) stable_live: Vec<usize>,
    /// Shared with the history's records (`OpRecord::names`).
    pub(crate) table_names: &'a std::rc::Rc<[String]>,
    /// Events recorded so far (orders the history within an instant).
    pub(crate) events: u64,
}

impl CheckCtx<'_> {
    pub(crate) fn table_name(&self, t: TableId) -> String {
        self.table_names
            .get(t.0 as usize)
            .cloned()
            .unwrap_or_else(|| format!("table#{}", t.0))
    }
}

impl Checker {
    /// A client at `home` invoked `req` after `seq` recorded events (for the history).
    pub(crate) fn note_invoked(
        &mut self,
        req: ReqId,
        home: DcId,
        seq: u64,
        at: SimTime,
        op: &std::rc::Rc<ClientOp>,
    ) {
        if self.invocations.len() >= OPEN_CAP {
            self.invocations.pop_first();
        }
        let op = std::rc::Rc::clone(op);
        self.invocations
            .insert(req, Invocation { home, seq, at, op });
    }

    /// Requests invoked and never completed (their front end crashed, or they are still
    /// running), as history entries with outcome `Unknown`, `completed` = `now` and
    /// `completed_seq` = `u64::MAX` (concurrent with everything after their invocation).
    pub fn open_requests(&self, now: SimTime, table_names: &[String]) -> Vec<HistoryEntry> {
        let name = |t: TableId| {
            table_names
                .get(t.0 as usize)
                .cloned()
                .unwrap_or_else(|| format!("table#{}", t.0))
        };
        self.invocations
            .iter()
            .map(|(req, i)| {
                let (table, writes, _) =
                    images(&i.op, &OpResult::Err(OpError::Timeout), name, |_| None);
                HistoryEntry {
                    req,
                    op: i.op.label().to_string(),
                    keys: op_keys(&i.op),
                    invoked: i.at,
                    completed: now,
                    outcome: Outcome::Unknown,
                    value: None,
                    served_by: None,
                    kind: OpKind::of(&i.op),
                    table,
                    home: Some(i.home),
                    invoked_seq: i.seq,
                    completed_seq: u64::MAX,
                    txn: matches!(*i.op, ClientOp::Txn(_)).then_some(TxnId(req.0)),
                    writes,
                    reads: vec![],
                    landed: None,
                }
            })
            .collect()
    }

    /// The most recent client operations (at most `HISTORY_CAP`), oldest first, each
    /// made a `HistoryEntry` as it is read.
    pub fn history(
        &self,
    ) -> impl DoubleEndedIterator<Item = HistoryEntry> + ExactSizeIterator + '_ {
        self.history.iter().map(|r| r.entry())
    }

    /// How many operations `history` holds.
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// The history's operations that completed after `seq` events were recorded
    /// (`completed_seq >= seq`), newest first: only those are made entries, and the
    /// walk stops at the first older one (records are kept in completion order).
    pub fn history_since(&self, seq: u64) -> impl Iterator<Item = HistoryEntry> + '_ {
        self.history
            .iter()
            .rev()
            .take_while(move |r| r.completed_seq >= seq)
            .map(|r| r.entry())
    }

    pub(crate) fn note_fault(&mut self, at: SimTime, text: String, dcs: Vec<DcId>) {
        self.faults.push(FaultNote { at, text, dcs });
        if self.faults.len() > 512 {
            self.faults.remove(0);
        }
    }

    /// The latest fault involving `dc`, as text.
    fn fault_of(&self, dc: DcId) -> String {
        self.faults
            .iter()
            .rev()
            .find(|f| f.dcs.contains(&dc))
            .map(|f| format!("{} at t={}", f.text, f.at))
            .unwrap_or_else(|| format!("{dc} was unreachable (no injected fault recorded)"))
    }

    fn find(
        &mut self,
        at: SimTime,
        kind: FindingKind,
        text: String,
        keys: Vec<String>,
        txn: Option<TxnId>,
        cause: String,
    ) {
        self.counts.by_kind[kind.index()] += 1;
        self.findings.push(Arc::new(Finding {
            at,
            kind,
            text,
            keys,
            txn,
            cause,
        }));
    }

    /// How many findings are violations (all of them, not only the ones kept).
    pub fn violations(&self) -> usize {
        self.counts.violations() as usize
    }

    /// How many findings are of `kind` (all of them, not only the ones kept).
    pub fn count(&self, kind: FindingKind) -> usize {
        self.counts.of(kind) as usize
    }

    /// Over `FINDINGS_CAP`, drops the oldest findings down to half the cap (amortised O(1)
    /// per finding). Called once the new findings are logged (`Sim::record_new_findings`),
    /// so each is logged before it can go.
    pub(crate) fn trim_findings(&mut self) {
        if self.findings.len() > FINDINGS_CAP {
            let drop = self.findings.len() - FINDINGS_CAP / 2;
            self.findings.drain(..drop);
            self.dropped += drop as u64;
        }
    }

    /// How many findings the run has had.
    pub fn total(&self) -> u64 {
        self.dropped + self.findings.len() as u64
    }

    /// Finding number `index` of the run (0-based), if still kept.
    pub fn finding(&self, index: u64) -> Option<&Finding> {
        let i = index.checked_sub(self.dropped)?;
        self.findings.get(usize::try_from(i).ok()?).map(|f| &**f)
    }

    pub(crate) fn on_appended(&mut self, now: SimTime, key: ShardKey, pos: LogPos, write_id: u64) {
        let prev = self.appended.insert(write_id, (key, pos, now));
        self.appended_order.push_back((now, write_id));
        // A transaction row's COMMIT appended again (write ids of plain writes end in 0):
        // the earlier position still counts wherever a copy holds it.
        if write_id & 0xff != 0 {
            if let Some((k, p, _)) = prev.filter(|&(k, p, _)| k == key && p != pos) {
                let e = self.earlier_commits.entry(write_id).or_default();
                if !e.contains(&(k, p)) {
                    e.push((k, p));
                }
            }
        }
        // A transaction row acknowledged before its COMMIT reached the current primary.
        if let Some(a) = self.acked.get_mut(&write_id) {
            if a.txn.is_some() && a.key != key && pos > a.pos {
                a.pos = pos;
                a.key = key;
                a.earlier.clear();
            } else if a.txn.is_some() && a.key == key && pos != a.pos {
                let older = if pos > a.pos {
                    std::mem::replace(&mut a.pos, pos)
                } else {
                    pos
                };
                if older.index > 0 && !a.earlier.contains(&older) {
                    a.earlier.push(older);
                }
            }
        }
    }

    pub(crate) fn on_epoch(
        &mut self,
        c: &CheckCtx,
        key: ShardKey,
        epoch: Epoch,
        primary: DcId,
        old: Option<DcId>,
    ) {
        // One primary per shard and epoch: a second DC promoted in the newest epoch (only a
        // broken failover does that) is checked like a new primary, since it serves and
        // ships its own log.
        let (newer, second) = match self.latest_epoch.get(&key) {
            // The placement's own primary leads the initial epoch.
            None => {
                let first = c.placement.replicas(key.1).first().copied();
                let second = first.filter(|&f| epoch == Epoch::default() && f != primary);
                (true, second)
            }
            Some(&(e, p)) if epoch == e && primary != p => (true, Some(p)),
            Some(&(e, _)) => (epoch > e, None),
        };
        if !newer {
            return;
        }
        self.latest_epoch.insert(key, (epoch, primary));
        // Every acknowledged write of this shard that the new primary lacks is gone.
        let Some(store) = c
            .nodes
            .get(&primary)
            .and_then(|n| n.durable.stores.get(&key))
        else {
            return;
        };
        let lost: Vec<u64> = self
            .acked
            .iter()
            .filter(|(_, a)| a.key == key && !a.held_by(store))
            .map(|(&w, _)| w)
            .collect();
        let cause = match (second, old) {
            (Some(p), _) => format!(
                "{}; {primary} took {} {} in {epoch}, which {p} already leads (two primaries in one epoch), holding entries up to #{}",
                self.fault_of(p),
                c.table_name(key.0),
                key.1,
                store.last_index()
            ),
            (None, Some(o)) => format!(
                "{}; {primary} promoted for {} {} in {epoch} holding entries up to #{}",
                self.fault_of(o),
                c.table_name(key.0),
                key.1,
                store.last_index()
            ),
            (None, None) => format!("{primary} promoted in {epoch}"),
        };
        let n_lost = lost.len();
        for w in lost {
            if let Some(a) = self.acked.remove(&w) {
                self.report_lost(c, w, &a, &cause, n_lost);
            }
        }
    }

    fn report_lost(&mut self, c: &CheckCtx, write_id: u64, a: &Acked, cause: &str, n: usize) {
        self.report_lost_as(c, write_id, a, cause, n, None);
    }

    /// `report_lost`, with the kind decided by the caller when it knows better than the
    /// table (a membership change that dropped a write an up replica held).
    fn report_lost_as(
        &mut self,
        c: &CheckCtx,
        write_id: u64,
        a: &Acked,
        cause: &str,
        n: usize,
        kind: Option<FindingKind>,
    ) {
        let mode = c
            .modes
            .get(a.key.0 .0 as usize)
            .copied()
            .unwrap_or(ReplicationMode::Async);
        // The promise table (docs/REPLICATION.md), row by row: a loss the table promises
        // against is a violation; only what the table names as the price is not.
        let kind_by_table = match mode {
            ReplicationMode::Async => FindingKind::AsyncWriteLost,
            // Fewer copies than a correct primary would have waited for.
            _ if a.copies < a.promised => FindingKind::Durability,
            ReplicationMode::Quorum(w) if w >= 2 && a.copies >= w => FindingKind::Durability,
            ReplicationMode::SemiSync if a.copies >= 2 => FindingKind::Durability,
            _ if (a.copies as usize) >= c.replication_factor => FindingKind::Durability,
            _ => FindingKind::DegradedWriteLost,
        };
        let kind = kind.unwrap_or(kind_by_table);
        // A write id names one row's write: only that row's entry can hold it (a walk
        // over every row's last write cost more than the rest of the report).
        self.last_write.forget(a.key.0, &a.pk, write_id);
        self.find(
            c.now,
            kind,
            format!(
                "{} to {} (acknowledged at t={} with {} cop{}) was lost; {n} acknowledged write(s) of this shard lost",
                write_label(write_id),
                pk_text(&a.pk),
                a.at,
                a.copies,
                if a.copies == 1 { "y" } else { "ies" }
            ),
            vec![pk_text(&a.pk)],
            None,
            cause.to_string(),
        );
    }

    /// A client operation completed (at its frontend): judged, then kept in the history
    /// as it completed (moved in, not copied).
    pub(crate) fn on_op_done(
        &mut self,
        c: &CheckCtx,
        req: ReqId,
        op: std::rc::Rc<ClientOp>,
        invoked: SimTime,
        result: OpResult,
        served_by: Option<DcId>,
    ) {
        // Read before the history closes the invocation.
        let invoked_seq = self.invocations.get(&req).map(|i| i.seq);
        let inv = self.invocations.remove(&req);
        self.judge_op(c, req, &op, invoked, &result, served_by, invoked_seq);
        if self.skip_history {
            return;
        }
        let txn_copies = match &result {
            OpResult::Committed { shards } => written_rows(&op)
                .iter()
                .map(|w| {
                    let key = (w.table, shard_of(c.placement, &w.pk));
                    shards.iter().find(|s| s.0 == key).map(|s| s.2)
                })
                .collect(),
            _ => Vec::new(),
        };
        let record = OpRecord {
            req,
            op,
            result,
            invoked,
            completed: c.now,
            served_by,
            home: inv.as_ref().map(|i| i.home),
            invoked_seq: inv.as_ref().map(|i| i.seq).unwrap_or(0),
            completed_seq: c.events,
            names: c.table_names.clone(),
            txn_copies,
        };
        // At the cap, the oldest record's box takes the new one unless a checkpoint still
        // shares it (an allocation and a free per operation saved).
        let oldest = if self.history.len() == HISTORY_CAP {
            self.history.pop_front()
        } else {
            None
        };
        let record = match oldest {
            Some(mut rc) => match std::rc::Rc::get_mut(&mut rc) {
                Some(slot) => {
                    *slot = record;
                    rc
                }
                None => std::rc::Rc::new(record),
            },
            None => std::rc::Rc::new(record),
        };
        self.history.push_back(record);
    }

    /// The judgements of a completed operation (`on_op_done`).
    #[allow(clippy::too_many_arguments)]
    fn judge_op(
        &mut self,
        c: &CheckCtx,
        req: ReqId,
        op: &ClientOp,
        invoked: SimTime,
        result: &OpResult,
        served_by: Option<DcId>,
        invoked_seq: Option<u64>,
    ) {
        match (op, result) {
            (
                ClientOp::Write(w),
                OpResult::Written {
                    pos,
                    write_id,
                    copies,
                },
            ) => {
                if let Some(cause) = self.lost_in_layout.remove(write_id) {
                    // Its entry did not survive a membership change made before this
                    // acknowledgement arrived.
                    let a = self.pending_loss(c, w, *pos, *copies);
                    self.report_lost(c, *write_id, &a, &cause, 1);
                    return;
                }
                // Where the write is now (a membership change may have moved it since it
                // was appended; the response still names the old position).
                let Some(&(key, pos, _)) = self.appended.get(write_id) else {
                    return;
                };
                let pos = &pos;
                let cap = self.layout_copies.remove(write_id);
                let copies = &cap.map_or(*copies, |made| (*copies).min(made));
                let live = c.stable_live.first().copied().unwrap_or(0);
                let promised = promised(c, key, live);
                let promised = cap.map_or(promised, |made| promised.min(made));
                let a = Acked {
                    key,
                    pk: w.pk.clone(),
                    pos: *pos,
                    copies: *copies,
                    at: c.now,
                    promised,
                    txn: None,
                    earlier: vec![],
                };
                if self.on_acked(c, *write_id, a) {
                    self.note_last_write(c, w.table, &w.pk, *pos, *write_id, *copies);
                }
            }
            (ClientOp::Txn(ws), OpResult::Committed { shards }) => {
                // Each row is a write acknowledged with the copies its shard's COMMIT had,
                // and checked exactly as a plain write is.
                for (i, w) in ws.iter().enumerate() {
                    let id = (req.0 << 8) | (i as u64 + 1);
                    let key = (w.table, shard_of(c.placement, &w.pk));
                    let pos = match self.appended.get(&id) {
                        Some(&(k, pos, _)) if k == key => pos,
                        _ => LogPos::default(),
                    };
                    let earlier: Vec<LogPos> = self
                        .earlier_commits
                        .remove(&id)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|&(k, p)| k == key && p != pos)
                        .map(|(_, p)| p)
                        .collect();
                    // What the mode promised when the shard voted, if that was less sure.
                    let now_live = c.stable_live.get(i).copied().unwrap_or(0);
                    let live = self
                        .vote_live
                        .get(&(TxnId(req.0), key))
                        .map_or(now_live, |&v| v.min(now_live));
                    let copies = shards.iter().find(|s| s.0 == key).map_or(0, |s| s.2);
                    let a = Acked {
                        key,
                        pk: w.pk.clone(),
                        pos,
                        copies,
                        at: c.now,
                        promised: promised(c, key, live),
                        txn: Some(TxnId(req.0)),
                        earlier,
                    };
                    // Not a `last_write` for the stale-read check yet: a row whose COMMIT
                    // must be re-applied by a new primary has no stable position to read.
                    self.on_acked(c, id, a);
                }
            }
            (ClientOp::Get { table, pk }, OpResult::Row(row)) => {
                self.reads += 1;
                let Some(&(pos, write_id, copies, acked_at, acked_seq)) =
                    self.last_write.get(*table, pk)
                else {
                    return;
                };
                // Only a write acknowledged before the read was invoked must be seen; in
                // the same millisecond, the event order decides.
                let concurrent = match invoked_seq {
                    Some(s) => acked_seq >= s,
                    None => acked_at >= invoked,
                };
                // Positions from before a membership change are not comparable.
                if concurrent || self.layout_at.is_some_and(|t| invoked <= t) {
                    return;
                }
                let seen = row.as_ref().map(|r| r.version.pos);
                if seen.is_some_and(|s| s >= pos) {
                    return;
                }
                self.stale_reads += 1;
                let text = format!(
                    "read of {} at {:?} (invoked t={invoked}) returned {} but {} at #{} was acknowledged at t={acked_at}",
                    pk_text(pk),
                    c.consistency,
                    seen.map(|s| format!("#{} ({})", s.index, s.epoch)).unwrap_or_else(|| "nothing".into()),
                    write_label(write_id),
                    pos.index
                );
                let by = served_by.map(|d| d.to_string()).unwrap_or_default();
                // At `One` staleness is expected and only counted; at `Quorum` and `Owner`
                // it is explained by the settings or it is a violation.
                let unexplained = (FindingKind::StaleRead, format!("served by {by}"));
                let verdict = match c.consistency {
                    ReadConsistency::One => None,
                    ReadConsistency::Quorum => {
                        let r = c.replication_factor / 2 + 1;
                        Some(if copies as usize + r <= c.replication_factor {
                            (FindingKind::StaleReadExplained, format!("the write had {copies} cop(ies) and a read quorum is {r} of {}: they need not overlap", c.replication_factor))
                        } else {
                            unexplained
                        })
                    }
                    ReadConsistency::Owner => {
                        let shard = shard_of(c.placement, pk);
                        let current = self.latest_epoch.get(&(*table, shard)).map(|&(_, p)| p);
                        let deposed = matches!((served_by, current), (Some(d), Some(p)) if d != p);
                        let cause = served_by.map(|d| self.fault_of(d)).unwrap_or_default();
                        // Only modes that fail over without a fencing round have no read
                        // lease (node::lease): elsewhere a deposed primary must refuse.
                        let mode = c.modes.get(table.0 as usize).copied();
                        let leased = !matches!(
                            mode,
                            Some(ReplicationMode::Async | ReplicationMode::Quorum(0 | 1))
                        );
                        Some(if deposed && !leased {
                            (FindingKind::StaleReadExplained, format!("served by {by}, a primary that had not yet learnt it was deposed (a {} table promotes without a fencing round, so its owner reads have no lease); {cause}", mode.map(|m| m.to_string()).unwrap_or_default()))
                        } else if deposed {
                            (FindingKind::StaleRead, format!("served by {by}, a primary deposed while it still counted a read lease; {cause}"))
                        } else {
                            unexplained
                        })
                    }
                };
                if let Some((kind, cause)) = verdict {
                    self.find(c.now, kind, text, vec![pk_text(pk)], None, cause);
                }
            }
            _ => {}
        }
    }

    /// Tracks an acknowledged write until every replica holds it; if the shard's current
    /// primary (newer than the one that acknowledged it, or lacking a transaction row)
    /// already does not hold it, it is lost now. True when it is tracked.
    fn on_acked(&mut self, c: &CheckCtx, write_id: u64, a: Acked) -> bool {
        let current = self.latest_epoch.get(&a.key).copied();
        // The DC to check, and the newer epoch that deposed the acknowledging primary (if
        // that is why): the cause's text is written only for a loss (a `format!` per
        // transaction row acknowledged cost more than the check).
        let check = match (current, a.txn) {
            (Some((e, p)), None) if e > a.pos.epoch => Some((p, Some(e))),
            (Some((_, p)), Some(_)) => Some((p, None)),
            (None, Some(_)) => Some((c.placement.replicas(a.key.1)[0], None)),
            _ => None,
        };
        if let Some((p, deposed_in)) = check {
            let store = c.nodes.get(&p).and_then(|n| n.durable.stores.get(&a.key));
            if !store.is_some_and(|s| a.held_by(s)) {
                let why = match deposed_in {
                    Some(e) => {
                        format!("acknowledged by a deposed primary after {p} took over in {e}")
                    }
                    None => format!("{p} leads the shard"),
                };
                let cause = format!("{why} without it; {}", self.fault_of(p));
                self.report_lost(c, write_id, &a, &cause, 1);
                return false;
            }
        }
        self.acked.insert(write_id, a);
        true
    }

    /// Remembers the newest acknowledged write of a row, for the stale-read check.
    fn note_last_write(
        &mut self,
        c: &CheckCtx,
        table: TableId,
        pk: &Pk,
        pos: LogPos,
        write_id: u64,
        copies: u8,
    ) {
        let now = (pos, write_id, copies, c.now, c.events);
        self.last_write.note(table, pk, now);
    }

    /// Shard `key` voted YES for `txn` with `live` replicas surely live.
    pub(crate) fn on_vote_live(&mut self, txn: TxnId, key: ShardKey, live: usize) {
        // A vote after the client heard (a late PREPARE, a repeated YES) is never read.
        if !self.invocations.contains_key(&ReqId(txn.0)) {
            return;
        }
        let v = self.vote_live.entry((txn, key)).or_insert(live);
        *v = (*v).min(live);
    }

    /// `tables`: the run's tables, to name shards as the page does (`<table> s<n>`).
    pub(crate) fn on_part(
        &mut self,
        now: SimTime,
        key: ShardKey,
        txn: TxnId,
        state: PartState,
        tables: &[crate::config::TableSpec],
    ) {
        if state.is_unresolved() {
            self.in_doubt.entry((txn, key)).or_insert(now);
            return;
        }
        self.in_doubt.remove(&(txn, key));
        let o = self.outcomes.entry(txn).or_default();
        if state == PartState::Committed {
            o.0.insert(key)
        } else {
            o.1.insert(key)
        };
        if !o.0.is_empty() && !o.1.is_empty() {
            let shards = |s: &VecSet<ShardKey>| {
                s.iter()
                    .map(|(t, sh)| match tables.get(t.0 as usize) {
                        Some(spec) => format!("{} {sh}", spec.name),
                        None => format!("table#{} {sh}", t.0),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let text = format!(
                "{txn} committed at {} but aborted at {}",
                shards(&o.0),
                shards(&o.1)
            );
            self.find(
                now,
                FindingKind::Atomicity,
                text,
                vec![],
                Some(txn),
                "the coordinator's decision was not unanimous".into(),
            );
        }
    }

    /// Checks that hold once every DC is up, every link healed, since `healthy_since`.
    pub(crate) fn check_settled(&mut self, c: &CheckCtx, healthy_since: SimTime, settle_ms: u64) {
        if c.now.since(healthy_since) < settle_ms {
            return;
        }
        // Liveness: nothing prepared before the heal is still undecided. An intent counts
        // while a primary still holds it: one truncated from a deposed primary's log (it
        // never reached a replica) was never a vote the coordinator needed.
        self.in_doubt.retain(|(txn, key), _| {
            c.nodes.values().any(|n| {
                n.is_up()
                    && n.is_primary(*key)
                    && n.durable
                        .stores
                        .get(key)
                        .is_some_and(|s| s.intents.contains_key(txn))
            })
        });
        let stuck: Vec<((TxnId, ShardKey), SimTime)> = self
            .in_doubt
            .iter()
            .filter(|(k, &t)| {
                c.now.since(t.max(healthy_since)) >= settle_ms && !self.reported_stuck.contains(k)
            })
            .map(|(k, t)| (*k, *t))
            .collect();
        for ((txn, key), since) in stuck {
            self.reported_stuck.insert((txn, key));
            let dc = c.placement.replicas(key.1)[0];
            let leader = c
                .nodes
                .values()
                .find(|n| n.is_up() && n.is_primary(key))
                .map(|n| n.id)
                .unwrap_or(dc);
            self.find(c.now, FindingKind::StuckInDoubt,
                format!("{txn} is still in doubt at {} {} led by {leader} (prepared at t={since}) although every DC has been up and healed since t={healthy_since}", c.table_name(key.0), key.1),
                vec![], Some(txn), self.fault_of(leader));
        }
        // Durability at rest: every acknowledged write still tracked is held by its shard's
        // current primary. Failovers and late acknowledgements are judged where they
        // happen (`on_promoted`, `on_acked`); a write missing here went without one — a
        // primary that held it (or its transaction's PREPARE) dropped it — which no mode
        // allows.
        let missing: Vec<(u64, DcId)> = self
            .acked
            .iter()
            .filter_map(|(&w, a)| {
                let p = self
                    .latest_epoch
                    .get(&a.key)
                    .map_or_else(|| c.placement.replicas(a.key.1)[0], |&(_, p)| p);
                let store = c.nodes.get(&p)?.durable.stores.get(&a.key)?;
                (!a.held_by(store)).then_some((w, p))
            })
            .collect();
        let n_missing = missing.len();
        for (w, p) in missing {
            if let Some(a) = self.acked.remove(&w) {
                let cause = format!(
                    "{p} leads the shard without it, with every DC up and healed since t={healthy_since}"
                );
                self.report_lost_as(c, w, &a, &cause, n_missing, Some(FindingKind::Durability));
            }
        }
        // Convergence: each replica's log is a prefix of its primary's.
        let mut diverged = Vec::new();
        for (&dc, node) in c.nodes {
            for (key, store) in &node.durable.stores {
                let primary = node.primary_of(*key);
                if primary == dc {
                    continue;
                }
                let Some(p) = c
                    .nodes
                    .get(&primary)
                    .and_then(|n| n.durable.stores.get(key))
                else {
                    continue;
                };
                // Contents, not only positions: the same position holding another write
                // (or the same log implying other rows) is a divergence too.
                let n = store.last_index().min(p.last_index());
                let bad = (1..=n).rev().take(64).any(|i| !store.same_at(p, i))
                    || store.last_index() > p.last_index()
                    || (store.last_index() == p.last_index() && store.rows != p.rows);
                if bad && !self.reported_divergence.contains(&(*key, dc)) {
                    diverged.push((*key, dc, primary));
                }
            }
        }
        for (key, dc, primary) in diverged {
            self.reported_divergence.insert((key, dc));
            self.find(
                c.now,
                FindingKind::Divergence,
                format!(
                    "{dc}'s copy of {} {} is not a prefix of primary {primary}'s log after heal",
                    c.table_name(key.0),
                    key.1
                ),
                vec![],
                None,
                self.fault_of(dc),
            );
        }
    }

    /// 2PC state is derived from the log, snapshots included: a copy that holds an
    /// undecided transaction's PREPARE at the position its primary does (the same entry,
    /// so the same prefix) and no decision for it must hold its intent and locks. A copy
    /// without them (a snapshot that dropped them) would let a promoted primary forget
    /// the PREPARE it voted YES on.
    pub(crate) fn check_intents(&mut self, c: &CheckCtx) {
        let mut found = Vec::new();
        for (&pd, pn) in c.nodes {
            for (key, p) in &pn.durable.stores {
                if p.intents.is_empty() || !pn.is_primary(*key) {
                    continue;
                }
                for d in c.placement.replicas(key.1) {
                    let Some(s) = c.nodes.get(&d).and_then(|n| n.durable.stores.get(key)) else {
                        continue;
                    };
                    // A copy whose log is a prefix of the primary's cannot have decided
                    // what the primary holds undecided.
                    let prefix = s.last_index() <= p.last_index() && s.same_at(p, s.last_index());
                    for (txn, i) in &p.intents {
                        let holds_prepare = s.pos_at(i.pos.index) == Some(i.pos);
                        // (A copy ahead of the primary that decided it and forgot the
                        // decision under a newer low-water mark has moved on past it: not
                        // this divergence.)
                        if d != pd
                            && holds_prepare
                            && !s.resolved.contains_key(txn)
                            && (prefix || !s.resolved.ended(i.coordinator, *txn))
                            && !s.intents.contains_key(txn)
                            && !self.reported_divergence.contains(&(*key, d))
                        {
                            found.push((*key, d, pd, *txn, i.pos));
                        }
                    }
                }
            }
        }
        for (key, d, primary, txn, pos) in found {
            if !self.reported_divergence.insert((key, d)) {
                continue;
            }
            self.find(
                c.now,
                FindingKind::Divergence,
                format!(
                    "{d}'s copy of {} {} holds {txn}'s PREPARE (#{} {}) like primary {primary}, but not its intent and locks",
                    c.table_name(key.0),
                    key.1,
                    pos.index,
                    pos.epoch
                ),
                vec![],
                Some(txn),
                self.fault_of(d),
            );
        }
    }

    /// Forgets acknowledged writes every replica already holds (they can no longer be lost
    /// by failover), and old bookkeeping.
    /// `in_play`: the transactions a shard may still report a decision for
    /// (`Sim::txns_in_play`).
    pub(crate) fn prune(&mut self, c: &CheckCtx, in_play: &VecSet<TxnId>) {
        let replicas = |s: ShardId| c.placement.replicas(s);
        self.acked.retain(|_, a| {
            !replicas(a.key.1).iter().all(|d| {
                c.nodes
                    .get(d)
                    .and_then(|n| n.durable.stores.get(&a.key))
                    .is_some_and(|s| match a.txn {
                        // Pruned once applied everywhere (an intent alone can still go).
                        Some(t) => a.committed_at(s, t),
                        None => a.held_by(s),
                    })
            })
        });
        let horizon = c.now.0.saturating_sub(120_000);
        // What `appended.retain(|_, e| e.2 >= horizon)` kept: the clock never goes back,
        // so the records are in time order and the expired ones are at the front.
        while let Some(&(t, w)) = self.appended_order.front() {
            if t.0 >= horizon {
                break;
            }
            self.appended_order.pop_front();
            if self.appended.get(&w).is_some_and(|e| e.2 == t) {
                self.appended.remove(&w);
            }
        }
        let appended = &self.appended;
        self.earlier_commits.retain(|w, _| appended.contains_key(w));
        // A transaction's vote counts are read when its client hears: not after.
        let open = &self.invocations;
        self.vote_live
            .retain(|(t, _), _| open.contains_key(&ReqId(t.0)));
        // Outcomes are compared when a shard reports a decision: kept while one may still
        // come (`in_play`: a coordinator not ended, a copy holding the intent, a message or
        // batch on the wire naming it, a shard in doubt) — no age bounds that, as 2PC
        // blocks as long as a coordinator is down. Past that, every shard's decision is in.
        let in_doubt = &self.in_doubt;
        self.outcomes.retain(|t, _| {
            in_play.contains(t)
                || in_doubt
                    .range_from(&(*t, (TableId(0), ShardId(0))))
                    .next()
                    .is_some_and(|((d, _), _)| d == t)
        });
    }

    /// The transactions whose outcomes are kept (what `prune` asks `in_play` about).
    pub(crate) fn outcome_txns(&self) -> impl Iterator<Item = TxnId> + '_ {
        self.outcomes.keys().copied()
    }

    /// An acknowledgement arriving for a write whose position is no longer tracked.
    fn pending_loss(
        &self,
        c: &CheckCtx,
        w: &crate::table::WriteOp,
        pos: LogPos,
        copies: u8,
    ) -> Acked {
        let shard = shard_of(c.placement, &w.pk);
        Acked {
            key: (w.table, shard),
            pk: w.pk.clone(),
            pos,
            copies,
            at: c.now,
            promised: copies,
            txn: None,
            earlier: vec![],
        }
    }

    /// A membership or placement change (`c` still shows the old layout): shard ids change
    /// meaning, so everything tracked is moved to where the change put it, by write id.
    /// An acknowledged write is present if its entry is in the copy the change took for
    /// its old shard: it then lives on in its row's new entry (or was overwritten by a
    /// later write of that log, which is not a loss). Absent, it is lost, graded by the
    /// promise table like a failover loss, with the change named as the cause.
    pub(crate) fn relayout(&mut self, c: &CheckCtx, r: &Relayout) {
        let present_at = |key: ShardKey, pos: LogPos| {
            r.sources.get(&key).and_then(|s| s.pos_at(pos.index)) == Some(pos)
        };
        let present = |a: &Acked| r.sources.get(&a.key).is_some_and(|s| a.held_by(s));
        let acked = std::mem::take(&mut self.acked);
        let mut lost = Vec::new();
        for (w, mut a) in acked {
            if !present(&a) {
                lost.push((w, a));
                continue;
            }
            if let Some(&(key, pos)) = r.placed.get(&w) {
                let made = r.copies.get(&key).copied().unwrap_or(0);
                a.key = key;
                a.pos = pos;
                a.copies = made;
                a.promised = a.promised.min(made);
                // In the new layout a transaction's row is a plain entry of its own.
                a.txn = None;
                self.acked.insert(w, a);
            }
        }
        let n = lost.len();
        for (w, a) in lost {
            // A change may only lose what no up replica held (the table's price); dropping
            // a copy that was there to take is a broken promise whatever the mode.
            let holder = c.nodes.iter().find(|(_, node)| {
                node.is_up()
                    && node
                        .durable
                        .stores
                        .get(&a.key)
                        .and_then(|s| s.pos_at(a.pos.index))
                        == Some(a.pos)
            });
            match holder {
                Some((&d, _)) => {
                    let cause = format!("{}; {d} was up and held it", r.cause);
                    let kind = Some(FindingKind::Durability);
                    self.report_lost_as(c, w, &a, &cause, n, kind)
                }
                None => self.report_lost(c, w, &a, &r.cause, n),
            }
        }
        // Positions from before the change are not comparable (rows become plain entries).
        self.earlier_commits.clear();
        let appended = std::mem::take(&mut self.appended);
        for (w, (key, pos, at)) in appended {
            if let Some(&(k, p)) = r.placed.get(&w) {
                self.appended.insert(w, (k, p, at));
                self.layout_copies
                    .insert(w, r.copies.get(&k).copied().unwrap_or(0));
            } else if !present_at(key, pos) {
                self.lost_in_layout.insert(w, r.cause.clone());
            }
        }
        // Each row's last acknowledged write is tracked again in its new place, even if
        // it had been pruned as safe: the new layout may hold it on fewer replicas.
        let mut slots = std::mem::take(&mut self.last_write);
        slots.retain(|pk, slot| match r.placed.get(&slot.1) {
            Some(&(key, p)) => {
                slot.0 = p;
                let made = r.copies.get(&key).copied().unwrap_or(0);
                slot.2 = slot.2.min(made);
                self.acked.entry(slot.1).or_insert_with(|| Acked {
                    key,
                    pk: pk.clone(),
                    pos: p,
                    copies: made,
                    at: slot.3,
                    promised: made,
                    txn: None,
                    earlier: vec![],
                });
                true
            }
            None => false,
        });
        self.last_write = slots;
        self.latest_epoch = r
            .primaries
            .iter()
            .map(|(&k, &p)| (k, (r.epoch, p)))
            .collect();
        self.reported_divergence.clear();
        self.layout_at = Some(c.now);
    }
}

/// What a membership or placement change did, for `Checker::relayout`.
pub(crate) struct Relayout<'a> {
    /// Each old shard's copy the change took its rows from.
    pub(crate) sources: &'a VecMap<ShardKey, ShardStore>,
    /// Where each row's surviving write now sits: new shard and position, by write id.
    pub(crate) placed: &'a BTreeMap<u64, (ShardKey, LogPos)>,
    /// How many up replicas received each new shard's copy.
    pub(crate) copies: &'a VecMap<ShardKey, u8>,
    /// Each new shard's primary.
    pub(crate) primaries: &'a VecMap<ShardKey, DcId>,
    /// The new layout's epoch.
    pub(crate) epoch: Epoch,
    /// The change, as a finding names it.
    pub(crate) cause: String,
}

/// Copies `key`'s mode promised for a write acknowledged now, given `live` replicas (besides
/// the primary) that any correct primary counted live.
fn promised(c: &CheckCtx, key: ShardKey, live: usize) -> u8 {
    (match c
        .modes
        .get(key.0 .0 as usize)
        .copied()
        .unwrap_or(ReplicationMode::Async)
    {
        ReplicationMode::Async => 1,
        ReplicationMode::SemiSync => 1 + live.min(1),
        ReplicationMode::Sync => 1 + live,
        ReplicationMode::Quorum(w) => w as usize,
    }) as u8
}

/// A row's shard, through the placement's per-key cache (as the nodes route: the checker
/// placed every written row again, a SHA-1 and a key text each).
fn shard_of(p: &Placement, pk: &Pk) -> ShardId {
    with_partition_text(pk, |t| p.shard_of_cached(t))
}

/// The row keys an operation touches, as text.
/// The rows `op` writes, in its order (what `images` makes `RowWrite`s of).
fn written_rows(op: &ClientOp) -> &[WriteOp] {
    match op {
        ClientOp::Write(w) => std::slice::from_ref(w),
        ClientOp::Txn(ws) => ws,
        _ => &[],
    }
}

fn op_keys(op: &ClientOp) -> Vec<String> {
    match op {
        ClientOp::Get { pk, .. } => vec![pk_text(pk)],
        ClientOp::Write(w) => vec![pk_text(&w.pk)],
        ClientOp::Range { start, end, .. } => {
            vec![format!("{}..{}", pk_text(start), pk_text(end))]
        }
        ClientOp::Txn(ws) => ws.iter().map(|w| pk_text(&w.pk)).collect(),
    }
}

/// A write as people know it: the client request, and the row within a transaction.
pub fn write_label(write_id: u64) -> String {
    match write_id & 0xff {
        0 => format!("the write of req {}", write_id >> 8),
        i => format!("row {i} of transaction T{}", write_id >> 8),
    }
}

impl Checker {
    /// How many items each of the checker's collections holds (see `Sim::memory_stats`).
    /// Its biggest collections apart, then the rest (`Sim::heap_parts`: a measurement).
    pub(crate) fn into_parts(mut self) -> Vec<(&'static str, Box<dyn std::any::Any>)> {
        use std::mem::take;
        vec![
            ("checker.history", Box::new(take(&mut self.history))),
            ("checker.last_write", Box::new(take(&mut self.last_write))),
            ("checker.acked", Box::new(take(&mut self.acked))),
            ("checker.appended", Box::new(take(&mut self.appended))),
            ("checker.invocations", Box::new(take(&mut self.invocations))),
            ("checker.findings", Box::new(take(&mut self.findings))),
            ("checker.other", Box::new(self)),
        ]
    }

    pub(crate) fn sizes(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("checker.findings", self.findings.len()),
            ("checker.history", self.history.len()),
            ("checker.faults", self.faults.len()),
            ("checker.acked", self.acked.len()),
            ("checker.appended", self.appended.len()),
            ("checker.earlier_commits", self.earlier_commits.len()),
            ("checker.lost_in_layout", self.lost_in_layout.len()),
            ("checker.layout_copies", self.layout_copies.len()),
            ("checker.latest_epoch", self.latest_epoch.len()),
            ("checker.last_write", self.last_write.len()),
            ("checker.outcomes", self.outcomes.len()),
            ("checker.vote_live", self.vote_live.len()),
            ("checker.in_doubt", self.in_doubt.len()),
            (
                "checker.reported_divergence",
                self.reported_divergence.len(),
            ),
            ("checker.reported_stuck", self.reported_stuck.len()),
            ("checker.invocations", self.invocations.len()),
        ]
    }
}
