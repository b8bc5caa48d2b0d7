//! The live invariant checker.
//!
//! Invariants of the checker itself: it reads facts the nodes report and, god's-eye, their
//! stores; it never changes the simulation. Every finding names the time, the keys or the
//! transaction, and the fault(s) that explain it. A finding is a `Violation` when the
//! protocol promised otherwise, `Expected` when it is the documented price of the chosen
//! setting (e.g. `Async` losing unshipped writes on failover) — reported, never silent.

use crate::config::{ReadConsistency, ReplicationMode};
use crate::ids::{DcId, ReqId, ShardId, TableId, TxnId};
use crate::node::Node;
use crate::placement::Placement;
use crate::table::{partition_text, pk_text, Epoch, LogPos, Pk, ShardStore};
use crate::time::SimTime;
use crate::vocab::{ClientOp, OpResult, PartState, ShardKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

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

#[derive(Clone, Debug)]
struct Acked {
    key: ShardKey,
    pk: Pk,
    pos: LogPos,
    copies: u8,
    at: SimTime,
    /// Copies the mode promised at acknowledgement, given the replicas surely live then.
    promised: u8,
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
}

/// The most history entries kept.
pub const HISTORY_CAP: usize = 20_000;

/// The live invariant checker.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// Every finding so far.
    pub findings: Vec<Finding>,
    /// The most recent client operations (at most `HISTORY_CAP`).
    pub history: std::collections::VecDeque<HistoryEntry>,
    /// The most recent injected faults (at most 512), to explain findings.
    pub faults: Vec<FaultNote>,
    /// Acknowledged writes not yet known safe, by write id.
    acked: BTreeMap<u64, Acked>,
    /// Where each write was appended by a primary: (shard, position, when).
    appended: BTreeMap<u64, (ShardKey, LogPos, SimTime)>,
    /// Committed transactions' writes, acknowledged before their positions are known.
    txn_writes: BTreeMap<u64, (Pk, SimTime)>,
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
    latest_epoch: BTreeMap<ShardKey, (Epoch, DcId)>,
    /// Last acknowledged plain write per row: (pos, write id, copies, acked at).
    last_write: BTreeMap<(TableId, Pk), (LogPos, u64, u8, SimTime)>,
    outcomes: BTreeMap<TxnId, (BTreeSet<DcId>, BTreeSet<DcId>)>,
    in_doubt: BTreeMap<(TxnId, DcId), SimTime>,
    reported_divergence: BTreeSet<(ShardKey, DcId)>,
    reported_stuck: BTreeSet<(TxnId, DcId)>,
    /// Reads found stale.
    pub stale_reads: u64,
    /// Reads checked.
    pub reads: u64,
}

pub(crate) struct CheckCtx<'a> {
    pub(crate) now: SimTime,
    pub(crate) nodes: &'a BTreeMap<DcId, Node>,
    pub(crate) modes: &'a [ReplicationMode],
    pub(crate) placement: &'a Placement,
    pub(crate) replication_factor: usize,
    pub(crate) consistency: ReadConsistency,
    /// For a write's completion: replicas (besides the one that acknowledged it) that had
    /// been up and reachable long enough that any correct primary counted them live.
    pub(crate) stable_live: Option<usize>,
    pub(crate) table_names: &'a [String],
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
        self.findings.push(Finding {
            at,
            kind,
            text,
            keys,
            txn,
            cause,
        });
    }

    /// How many findings are violations.
    pub fn violations(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.kind.is_violation())
            .count()
    }

    /// How many findings are of `kind`.
    pub fn count(&self, kind: FindingKind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    pub(crate) fn on_appended(&mut self, now: SimTime, key: ShardKey, pos: LogPos, write_id: u64) {
        self.appended.insert(write_id, (key, pos, now));
        if let Some((pk, at)) = self.txn_writes.remove(&write_id) {
            self.acked.insert(
                write_id,
                Acked {
                    key,
                    pk,
                    pos,
                    copies: 1,
                    at,
                    promised: 1,
                },
            );
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
        let newer = self
            .latest_epoch
            .get(&key)
            .map(|(e, _)| epoch > *e)
            .unwrap_or(true);
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
            .filter(|(_, a)| a.key == key && store.entry(a.pos.index).map(|e| e.pos) != Some(a.pos))
            .map(|(&w, _)| w)
            .collect();
        let cause = match old {
            Some(o) => format!(
                "{}; {primary} promoted for {} {} in {epoch} holding entries up to #{}",
                self.fault_of(o),
                c.table_name(key.0),
                key.1,
                store.last_index()
            ),
            None => format!("{primary} promoted in {epoch}"),
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
        self.last_write.retain(|_, v| v.1 != write_id);
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

    /// A client operation completed (at its frontend).
    pub(crate) fn on_op_done(
        &mut self,
        c: &CheckCtx,
        req: ReqId,
        op: &ClientOp,
        invoked: SimTime,
        result: &OpResult,
        served_by: Option<DcId>,
    ) {
        self.record_history(c.now, req, op, invoked, result, served_by);
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
                let live = c.stable_live.unwrap_or(0);
                let promised = match c
                    .modes
                    .get(key.0 .0 as usize)
                    .copied()
                    .unwrap_or(ReplicationMode::Async)
                {
                    ReplicationMode::Async => 1,
                    ReplicationMode::SemiSync => 1 + live.min(1),
                    ReplicationMode::Sync => 1 + live,
                    ReplicationMode::Quorum(w) => w as usize,
                } as u8;
                let promised = cap.map_or(promised, |made| promised.min(made));
                let a = Acked {
                    key,
                    pk: w.pk.clone(),
                    pos: *pos,
                    copies: *copies,
                    at: c.now,
                    promised,
                };
                // Acknowledged by a primary already deposed: check against the new one now.
                if let Some(&(e, p)) = self.latest_epoch.get(&key) {
                    if e > pos.epoch {
                        let have = c
                            .nodes
                            .get(&p)
                            .and_then(|n| n.durable.stores.get(&key))
                            .and_then(|s| s.entry(pos.index))
                            .map(|e| e.pos);
                        if have != Some(*pos) {
                            let cause = format!(
                                "acknowledged by a deposed primary after {p} took over in {e}; {}",
                                self.fault_of(p)
                            );
                            self.report_lost(c, *write_id, &a, &cause, 1);
                            return;
                        }
                    }
                }
                self.acked.insert(*write_id, a);
                let slot = self
                    .last_write
                    .entry((w.table, w.pk.clone()))
                    .or_insert((*pos, *write_id, *copies, c.now));
                if *pos >= slot.0 {
                    *slot = (*pos, *write_id, *copies, c.now);
                }
            }
            (ClientOp::Txn(ws), OpResult::Written { .. }) => {
                for (i, w) in ws.iter().enumerate() {
                    let id = (req.0 << 8) | (i as u64 + 1);
                    match self.appended.get(&id) {
                        Some(&(key, pos, _)) => {
                            self.acked.insert(
                                id,
                                Acked {
                                    key,
                                    pk: w.pk.clone(),
                                    pos,
                                    copies: 1,
                                    at: c.now,
                                    promised: 1,
                                },
                            );
                        }
                        None => {
                            self.txn_writes.insert(id, (w.pk.clone(), c.now));
                        }
                    }
                }
            }
            (ClientOp::Get { table, pk }, OpResult::Row(row)) => {
                self.reads += 1;
                let Some(&(pos, write_id, copies, acked_at)) =
                    self.last_write.get(&(*table, pk.clone()))
                else {
                    return;
                };
                if acked_at > invoked || self.layout_at.is_some_and(|t| invoked <= t) {
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
                        let shard = c.placement.shard_of(&partition_text(pk));
                        let current = self.latest_epoch.get(&(*table, shard)).map(|&(_, p)| p);
                        let deposed = matches!((served_by, current), (Some(d), Some(p)) if d != p);
                        let cause = served_by.map(|d| self.fault_of(d)).unwrap_or_default();
                        Some(if deposed {
                            (FindingKind::StaleReadExplained, format!("served by {by}, a primary that had not yet learnt it was deposed (no read lease); {cause}"))
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

    fn record_history(
        &mut self,
        now: SimTime,
        req: ReqId,
        op: &ClientOp,
        invoked: SimTime,
        result: &OpResult,
        served_by: Option<DcId>,
    ) {
        use crate::vocab::OpError;
        let keys = match op {
            ClientOp::Get { pk, .. } => vec![pk_text(pk)],
            ClientOp::Write(w) => vec![pk_text(&w.pk)],
            ClientOp::Range { start, end, .. } => {
                vec![format!("{}..{}", pk_text(start), pk_text(end))]
            }
            ClientOp::Txn(ws) => ws.iter().map(|w| pk_text(&w.pk)).collect(),
        };
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
            OpResult::Err(OpError::Timeout | OpError::Fenced) => (Outcome::Unknown, None),
            OpResult::Err(_) => (Outcome::Fail, None),
        };
        if self.history.len() == HISTORY_CAP {
            self.history.pop_front();
        }
        self.history.push_back(HistoryEntry {
            req,
            op: op.label().to_string(),
            keys,
            invoked,
            completed: now,
            outcome,
            value,
            served_by,
        });
    }

    pub(crate) fn on_part(&mut self, now: SimTime, dc: DcId, txn: TxnId, state: PartState) {
        if state.is_unresolved() {
            self.in_doubt.entry((txn, dc)).or_insert(now);
            return;
        }
        self.in_doubt.remove(&(txn, dc));
        let o = self.outcomes.entry(txn).or_default();
        if state == PartState::Committed {
            o.0.insert(dc)
        } else {
            o.1.insert(dc)
        };
        if !o.0.is_empty() && !o.1.is_empty() {
            let text = format!(
                "{txn} committed at {:?} but aborted at {:?}",
                o.0.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                o.1.iter().map(|d| d.to_string()).collect::<Vec<_>>()
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
        // Liveness: nothing prepared before the heal is still undecided.
        let stuck: Vec<((TxnId, DcId), SimTime)> = self
            .in_doubt
            .iter()
            .filter(|(k, &t)| {
                c.now.since(t.max(healthy_since)) >= settle_ms && !self.reported_stuck.contains(k)
            })
            .map(|(k, t)| (*k, *t))
            .collect();
        for ((txn, dc), since) in stuck {
            self.reported_stuck.insert((txn, dc));
            self.find(c.now, FindingKind::StuckInDoubt,
                format!("{txn} is still in doubt at {dc} (prepared at t={since}) although every DC has been up and healed since t={healthy_since}"),
                vec![], Some(txn), self.fault_of(dc));
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
                let bad = (1..=n).rev().take(64).any(|i| store.entry(i) != p.entry(i))
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

    /// Forgets acknowledged writes every replica already holds (they can no longer be lost
    /// by failover), and old bookkeeping.
    pub(crate) fn prune(&mut self, c: &CheckCtx) {
        let replicas = |s: ShardId| c.placement.replicas(s);
        self.acked.retain(|_, a| {
            !replicas(a.key.1).iter().all(|d| {
                c.nodes
                    .get(d)
                    .and_then(|n| n.durable.stores.get(&a.key))
                    .and_then(|s| s.entry(a.pos.index))
                    .map(|e| e.pos)
                    == Some(a.pos)
            })
        });
        let horizon = c.now.0.saturating_sub(120_000);
        self.appended.retain(|_, (_, _, t)| t.0 >= horizon);
        self.txn_writes.retain(|_, (_, t)| t.0 >= horizon);
        if self.outcomes.len() > 50_000 {
            let keep: Vec<TxnId> = self.outcomes.keys().rev().take(25_000).copied().collect();
            self.outcomes.retain(|k, _| keep.contains(k));
        }
    }

    /// An acknowledgement arriving for a write whose position is no longer tracked.
    fn pending_loss(
        &self,
        c: &CheckCtx,
        w: &crate::table::WriteOp,
        pos: LogPos,
        copies: u8,
    ) -> Acked {
        let shard = c.placement.shard_of(&partition_text(&w.pk));
        Acked {
            key: (w.table, shard),
            pk: w.pk.clone(),
            pos,
            copies,
            at: c.now,
            promised: copies,
        }
    }

    /// A membership or placement change (`c` still shows the old layout): shard ids change
    /// meaning, so everything tracked is moved to where the change put it, by write id.
    /// An acknowledged write is present if its entry is in the copy the change took for
    /// its old shard: it then lives on in its row's new entry (or was overwritten by a
    /// later write of that log, which is not a loss). Absent, it is lost, graded by the
    /// promise table like a failover loss, with the change named as the cause.
    pub(crate) fn relayout(&mut self, c: &CheckCtx, r: &Relayout) {
        let present = |key: ShardKey, pos: LogPos| {
            r.sources
                .get(&key)
                .and_then(|s| s.entry(pos.index))
                .map(|e| e.pos)
                == Some(pos)
        };
        let acked = std::mem::take(&mut self.acked);
        let mut lost = Vec::new();
        for (w, mut a) in acked {
            if !present(a.key, a.pos) {
                lost.push((w, a));
                continue;
            }
            if let Some(&(key, pos)) = r.placed.get(&w) {
                let made = r.copies.get(&key).copied().unwrap_or(0);
                a.key = key;
                a.pos = pos;
                a.copies = made;
                a.promised = a.promised.min(made);
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
                        .and_then(|s| s.entry(a.pos.index))
                        .map(|e| e.pos)
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
        let appended = std::mem::take(&mut self.appended);
        for (w, (key, pos, at)) in appended {
            if let Some(&(k, p)) = r.placed.get(&w) {
                self.appended.insert(w, (k, p, at));
                self.layout_copies
                    .insert(w, r.copies.get(&k).copied().unwrap_or(0));
            } else if !present(key, pos) {
                self.lost_in_layout.insert(w, r.cause.clone());
            }
        }
        // Each row's last acknowledged write is tracked again in its new place, even if
        // it had been pruned as safe: the new layout may hold it on fewer replicas.
        let mut slots = std::mem::take(&mut self.last_write);
        slots.retain(|(_, pk), slot| match r.placed.get(&slot.1) {
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
    pub(crate) sources: &'a BTreeMap<ShardKey, ShardStore>,
    /// Where each row's surviving write now sits: new shard and position, by write id.
    pub(crate) placed: &'a BTreeMap<u64, (ShardKey, LogPos)>,
    /// How many up replicas received each new shard's copy.
    pub(crate) copies: &'a BTreeMap<ShardKey, u8>,
    /// Each new shard's primary.
    pub(crate) primaries: &'a BTreeMap<ShardKey, DcId>,
    /// The new layout's epoch.
    pub(crate) epoch: Epoch,
    /// The change, as a finding names it.
    pub(crate) cause: String,
}

/// A write as people know it: the client request, and the row within a transaction.
pub fn write_label(write_id: u64) -> String {
    match write_id & 0xff {
        0 => format!("the write of request #{}", write_id >> 8),
        i => format!("row {i} of transaction T{}", write_id >> 8),
    }
}
