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

use crate::ids::{DcId, ReqId, TableId};
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

/// Slots the open requests' window keeps (requests newer than the oldest by fewer than
/// this many ids); an older request still open moves to the map.
const OPEN_WINDOW: usize = 2_048;

/// The requests invoked and not yet completed, by request id, as a map of them would
/// hold them: request ids are handed out in order and most requests complete within a
/// few hundred newer ones, so the recent ones sit in a window of slots indexed by id (an
/// invocation and a completion are an index each, where a B-tree searched and
/// rebalanced per operation); the few left open longer (a front end that crashed with
/// them) move to a map below it, so the window never grows past `OPEN_WINDOW`.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpenRequests {
    /// Requests below `base`, oldest first.
    old: std::collections::BTreeMap<ReqId, Invocation>,
    /// The id of `recent[0]`.
    base: u64,
    /// `recent[i]`: request `base + i`, if open. Never starts with `None`.
    recent: std::collections::VecDeque<Option<Invocation>>,
    /// Requests open.
    len: usize,
}

impl OpenRequests {
    fn slot(&self, req: ReqId) -> Option<usize> {
        let i = req.0.checked_sub(self.base)?;
        (i < self.recent.len() as u64).then_some(i as usize)
    }

    /// How many requests are open.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Request `req`, if open.
    pub(crate) fn get(&self, req: &ReqId) -> Option<&Invocation> {
        if req.0 < self.base || self.recent.is_empty() {
            return self.old.get(req);
        }
        self.recent.get(self.slot(*req)?)?.as_ref()
    }

    /// Whether request `req` is open.
    pub(crate) fn contains_key(&self, req: &ReqId) -> bool {
        self.get(req).is_some()
    }

    /// Opens request `req` (replacing an open one of the same id).
    pub(crate) fn insert(&mut self, req: ReqId, inv: Invocation) {
        // An empty window restarts at `req` unless the map holds a later request.
        if self.recent.is_empty() && self.old.last_key_value().map_or(true, |(k, _)| *k < req) {
            self.base = req.0;
        }
        if req.0 < self.base {
            if self.old.insert(req, inv).is_none() {
                self.len += 1;
            }
            return;
        }
        let i = (req.0 - self.base) as usize;
        if i >= self.recent.len() {
            self.recent.resize(i + 1, None);
        }
        if self.recent[i].replace(inv).is_none() {
            self.len += 1;
        }
        // Requests left open far behind the newest move to the map.
        while self.recent.len() > OPEN_WINDOW {
            if let Some(Some(inv)) = self.recent.pop_front() {
                self.old.insert(ReqId(self.base), inv);
            }
            self.base += 1;
        }
        self.trim_front();
    }

    /// Closes request `req`, returning it if it was open.
    pub(crate) fn remove(&mut self, req: &ReqId) -> Option<Invocation> {
        let inv = if req.0 < self.base || self.recent.is_empty() {
            self.old.remove(req)
        } else {
            let i = self.slot(*req)?;
            let inv = self.recent[i].take();
            self.trim_front();
            inv
        };
        if inv.is_some() {
            self.len -= 1;
        }
        inv
    }

    /// Closes the oldest open request.
    pub(crate) fn pop_first(&mut self) -> Option<(ReqId, Invocation)> {
        if let Some(first) = self.old.pop_first() {
            self.len -= 1;
            return Some(first);
        }
        let inv = self.recent.pop_front()??;
        let req = ReqId(self.base);
        self.base += 1;
        self.trim_front();
        self.len -= 1;
        Some((req, inv))
    }

    /// Drops the window's leading empty slots.
    fn trim_front(&mut self) {
        while let Some(None) = self.recent.front() {
            self.recent.pop_front();
            self.base += 1;
        }
    }

    /// The open requests in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (ReqId, &Invocation)> + '_ {
        let base = self.base;
        let recent = self
            .recent
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| s.as_ref().map(|inv| (ReqId(base + i as u64), inv)));
        self.old.iter().map(|(k, v)| (*k, v)).chain(recent)
    }

    /// The open requests' invocations in id order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Invocation> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::{Invocation, OpenRequests, OPEN_WINDOW};
    use crate::ids::{DcId, ReqId, TableId};
    use crate::rng::Rng;
    use crate::time::SimTime;
    use crate::vocab::ClientOp;
    use std::collections::BTreeMap;

    fn inv(seq: u64) -> Invocation {
        Invocation {
            home: DcId(0),
            seq,
            at: SimTime(seq),
            op: std::rc::Rc::new(ClientOp::Get {
                table: TableId(0),
                pk: vec![],
            }),
        }
    }

    /// Opened in id order, closed in any order (some never, some far behind the newest),
    /// the oldest dropped now and then: the open requests read as a map of them would.
    #[test]
    fn open_requests_read_as_a_map_of_them_would() {
        for seed in 0..20 {
            let mut rng = Rng::new(seed);
            let mut open = OpenRequests::default();
            let mut model: BTreeMap<ReqId, u64> = BTreeMap::new();
            let mut next = 1u64;
            for step in 0..20_000u64 {
                match rng.below(100) {
                    0..=49 => {
                        next += 1 + rng.below(3) * rng.below(2);
                        open.insert(ReqId(next), inv(step));
                        model.insert(ReqId(next), step);
                    }
                    50..=93 => {
                        // Mostly a recent request; now and then one far behind.
                        let back = if rng.below(20) == 0 {
                            rng.below(3 * OPEN_WINDOW as u64)
                        } else {
                            rng.below(300)
                        };
                        let req = ReqId(next.saturating_sub(back));
                        let got = open.remove(&req).map(|i| i.seq);
                        assert_eq!(got, model.remove(&req), "seed {seed}");
                    }
                    94..=96 => {
                        let got = open.pop_first().map(|(r, i)| (r, i.seq));
                        assert_eq!(got, model.pop_first(), "seed {seed}");
                    }
                    _ => {
                        let req = ReqId(next.saturating_sub(rng.below(4 * OPEN_WINDOW as u64)));
                        assert_eq!(open.get(&req).map(|i| i.seq), model.get(&req).copied());
                        assert_eq!(open.contains_key(&req), model.contains_key(&req));
                    }
                }
                assert_eq!(open.len(), model.len(), "seed {seed}");
                assert!(open.recent.len() <= OPEN_WINDOW);
            }
            let listed: Vec<(ReqId, u64)> = open.iter().map(|(r, i)| (r, i.seq)).collect();
            let want: Vec<(ReqId, u64)> = model.iter().map(|(r, s)| (*r, *s)).collect();
            assert_eq!(listed, want, "seed {seed}");
            let values: Vec<u64> = open.values().map(|i| i.seq).collect();
            assert_eq!(values, model.values().copied().collect::<Vec<_>>());
        }
    }
}
