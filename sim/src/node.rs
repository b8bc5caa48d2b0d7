//! A datacenter as a sans-IO state machine.
//!
//! Invariants: a `Node` changes only in `on_message`, `on_timer`, `on_client`, `crash` and
//! `recover`; it never sends anything itself, it pushes `Out` commands that the world
//! routes. State is split in two: `Durable` survives a crash (shard logs, epochs, 2PC
//! records), `Volatile` does not and is rebuilt from `Durable` on recovery.

use super::config::{ReadConsistency, ReplicationMode, SimConfig};
use super::detector::{Detector, PeerState};
use super::ids::{DcId, ReqId, ShardId, TableId, TxnId};
use super::msg::{Msg, OpError, OpResult, ServerOp, ShardInfo};
use super::placement::Placement;
use super::table::{Epoch, LogPos, Pk, Row, ShardStore, WriteOp};
use super::time::SimTime;
use super::txn::{CoordRecord, CoordVolatile, PartRecord};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub type ShardKey = (TableId, ShardId);

/// An operation a client hands to the frontend of its home DC.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientOp {
    Get {
        table: TableId,
        pk: Pk,
    },
    Write(WriteOp),
    Range {
        table: TableId,
        start: Pk,
        end: Pk,
        limit: u32,
    },
    Txn(Vec<WriteOp>),
}

impl ClientOp {
    pub fn label(&self) -> &'static str {
        use super::table::WriteKind;
        match self {
            ClientOp::Get { .. } => "GetRow",
            ClientOp::Write(w) => match w.kind {
                WriteKind::Put(_) => "PutRow",
                WriteKind::Update { .. } => "UpdateRow",
                WriteKind::Delete => "DeleteRow",
            },
            ClientOp::Range { .. } => "GetRange",
            ClientOp::Txn(_) => "Transaction",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Timer {
    Heartbeat,
    ReplicationTick,
    Request(ReqId),
    TxnVotes(TxnId),
    TxnInDoubt(TxnId),
    TxnResend(TxnId),
}

/// Coordinator-side state of a transaction.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CoordState {
    /// PREPARE sent, collecting votes.
    Working,
    Committed,
    Aborted,
    /// Every participant acknowledged the decision; the END record is written.
    Ended,
}

/// Participant-side state of a transaction.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PartState {
    /// Voted YES; rows locked; waiting for the decision.
    Prepared,
    /// Voted YES and the decision is overdue: may not decide alone, keeps its locks.
    InDoubt,
    Committed,
    Aborted,
}

/// Facts a node reports to the world: the event log, the checker and the UI read them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fact {
    View {
        target: DcId,
        from: PeerState,
        to: PeerState,
    },
    FailoverIssued {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
        old: DcId,
        new: DcId,
    },
    Promoted {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
        last: LogPos,
    },
    SteppedDown {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
    },
    Appended {
        table: TableId,
        shard: ShardId,
        pos: LogPos,
        write_id: u64,
    },
    Truncated {
        table: TableId,
        shard: ShardId,
        dropped: Vec<(LogPos, u64)>,
    },
    OpDone {
        req: ReqId,
        op: ClientOp,
        invoked: SimTime,
        result: OpResult,
        served_by: Option<DcId>,
    },
    Coord {
        txn: TxnId,
        state: CoordState,
        participants: Vec<DcId>,
    },
    Part {
        txn: TxnId,
        state: PartState,
        coordinator: DcId,
        locks: usize,
    },
    Recovered {
        in_doubt: usize,
        redo_decisions: usize,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Out {
    Send { dst: DcId, msg: Msg },
    Timer { after: u64, timer: Timer },
    Fact(Fact),
}

/// Everything a node may read besides its own state: configuration, placement, and the
/// latency table (a stand-in for RTTs a real DC would measure).
pub struct Ctx<'a> {
    pub now: SimTime,
    pub cfg: &'a SimConfig,
    pub placement: &'a Placement,
    pub latency: &'a BTreeMap<(DcId, DcId), u32>,
}

impl Ctx<'_> {
    pub fn mode(&self, table: TableId) -> ReplicationMode {
        self.cfg
            .tables
            .get(table.0 as usize)
            .map(|t| t.mode)
            .unwrap_or(ReplicationMode::Async)
    }

    pub fn shard_of(&self, pk: &Pk) -> ShardId {
        let text = pk.first().map(|v| v.hash_text()).unwrap_or_default();
        self.placement.shard_of(&text)
    }

    pub fn latency(&self, a: DcId, b: DcId) -> u32 {
        if a == b {
            0
        } else {
            self.latency.get(&(a, b)).copied().unwrap_or(u32::MAX)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShardMeta {
    pub epoch: Epoch,
    pub primary: DcId,
}

/// What survives a crash.
#[derive(Clone, Debug, Default)]
pub struct Durable {
    pub stores: BTreeMap<ShardKey, ShardStore>,
    pub meta: BTreeMap<ShardKey, ShardMeta>,
    pub coord: BTreeMap<TxnId, CoordRecord>,
    pub part: BTreeMap<TxnId, PartRecord>,
}

/// The primary's bookkeeping for one shard.
#[derive(Clone, Debug, Default)]
pub struct PrimaryState {
    /// Highest index each replica is known to hold.
    pub match_index: BTreeMap<DcId, u64>,
    /// Client writes waiting for enough copies, by log index.
    pub pending: BTreeMap<u64, PendingAck>,
    /// Replicas that have acknowledged this primary in its epoch (until then they are
    /// sent a batch even when nothing is new, so they can drop a stale suffix).
    pub confirmed: BTreeSet<DcId>,
}

/// Who is waiting for a write to reach enough copies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AckTo {
    /// A client request (through its frontend DC).
    Client { dst: DcId, req: ReqId },
    /// This participant's DecisionAck for a committed transaction.
    Txn(TxnId),
}

#[derive(Clone, Debug)]
pub struct PendingAck {
    pub to: AckTo,
    pub pos: LogPos,
    pub write_id: u64,
}

#[derive(Clone, Debug)]
pub enum PendingKind {
    Single {
        target: DcId,
        tries: u8,
    },
    Quorum {
        need: usize,
        asked: usize,
        got: Vec<(DcId, Option<Row>)>,
        failed: usize,
    },
    Scatter {
        waiting: BTreeSet<DcId>,
        rows: Vec<(Pk, Row)>,
    },
    Txn(TxnId),
}

#[derive(Clone, Debug)]
pub struct PendingReq {
    pub op: ClientOp,
    pub invoked: SimTime,
    pub kind: PendingKind,
}

/// What a crash forgets.
#[derive(Clone, Debug, Default)]
pub struct Volatile {
    pub detector: Detector,
    /// The latest view each peer gossiped.
    pub gossip: BTreeMap<DcId, BTreeMap<DcId, PeerState>>,
    /// Each peer's last gossiped log positions (sorted by shard).
    pub progress: BTreeMap<DcId, std::rc::Rc<[(ShardKey, LogPos)]>>,
    pub primaries: BTreeMap<ShardKey, PrimaryState>,
    pub pending: BTreeMap<ReqId, PendingReq>,
    pub outstanding: BTreeMap<DcId, u32>,
    pub round_robin: u64,
    pub coord: BTreeMap<TxnId, CoordVolatile>,
    pub locks: BTreeMap<(TableId, Pk), TxnId>,
    /// Committed transactions whose writes are still replicating here: (coordinator, n).
    pub txn_waiting: BTreeMap<TxnId, (DcId, usize)>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeStatus {
    Up,
    Down,
}

pub struct Node {
    pub id: DcId,
    pub status: NodeStatus,
    /// Bumped on every crash so timers armed before it are ignored.
    pub incarnation: u32,
    pub durable: Durable,
    pub vol: Volatile,
    /// Deliberate protocol bugs, used only to prove the checker can see them.
    pub bugs: super::Bugs,
}

impl Node {
    pub fn new(id: DcId, ctx: &Ctx, bugs: super::Bugs) -> Node {
        let mut n = Node {
            id,
            status: NodeStatus::Up,
            incarnation: 0,
            durable: Durable::default(),
            vol: Volatile::default(),
            bugs,
        };
        n.install_placement(ctx);
        n
    }

    /// (Re)builds routing knowledge and empty copies for a placement.
    pub fn install_placement(&mut self, ctx: &Ctx) {
        self.durable.meta.clear();
        for t in 0..ctx.cfg.tables.len() as u16 {
            for s in 0..ctx.placement.shard_count() {
                let key = (TableId(t), ShardId(s));
                let reps = ctx.placement.replicas(ShardId(s));
                self.durable.meta.insert(
                    key,
                    ShardMeta {
                        epoch: Epoch::default(),
                        primary: reps[0],
                    },
                );
                if reps.contains(&self.id) {
                    self.durable.stores.entry(key).or_default();
                }
            }
        }
    }

    pub fn is_up(&self) -> bool {
        self.status == NodeStatus::Up
    }

    pub fn peers<'a>(&self, ctx: &'a Ctx) -> impl Iterator<Item = DcId> + 'a {
        let me = self.id;
        ctx.placement
            .members
            .iter()
            .map(|m| m.id)
            .filter(move |&d| d != me)
    }

    /// Timers every running node keeps.
    pub fn start(&mut self, ctx: &Ctx, out: &mut Vec<Out>) {
        self.vol.detector = Detector::new(ctx.now, self.peers(ctx));
        // Stagger by id so heartbeats do not all leave at the same millisecond.
        let hb = ctx.cfg.heartbeat_interval_ms;
        out.push(Out::Timer {
            after: 1 + (self.id.0 as u64 * 37) % hb,
            timer: Timer::Heartbeat,
        });
        let ri = ctx.cfg.replication_interval_ms;
        out.push(Out::Timer {
            after: 1 + (self.id.0 as u64 * 53) % ri,
            timer: Timer::ReplicationTick,
        });
    }

    pub fn crash(&mut self) {
        self.status = NodeStatus::Down;
        self.incarnation += 1;
        self.vol = Volatile::default();
    }

    /// Restarts from the durable state: the detector starts fresh, 2PC records are
    /// replayed (see `txn::recover`).
    pub fn recover(&mut self, ctx: &Ctx, out: &mut Vec<Out>) {
        self.status = NodeStatus::Up;
        self.vol = Volatile::default();
        self.start(ctx, out);
        if !self.bugs.skip_log_replay_on_revive {
            self.replay_txn_log(ctx, out);
        }
    }

    pub fn meta(&self, key: ShardKey) -> Option<&ShardMeta> {
        self.durable.meta.get(&key)
    }

    pub fn is_primary(&self, key: ShardKey) -> bool {
        self.meta(key)
            .map(|m| m.primary == self.id)
            .unwrap_or(false)
    }

    pub fn primary_of(&self, key: ShardKey) -> DcId {
        self.meta(key).map(|m| m.primary).unwrap_or(self.id)
    }

    pub fn view_of(&self, peer: DcId) -> PeerState {
        if peer == self.id {
            PeerState::Alive
        } else {
            self.vol.detector.state(peer)
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Vec<Out>) {
        match timer {
            Timer::Heartbeat => {
                self.heartbeat_tick(ctx, out);
                self.failover_tick(ctx, out);
                out.push(Out::Timer {
                    after: ctx.cfg.heartbeat_interval_ms,
                    timer: Timer::Heartbeat,
                });
            }
            Timer::ReplicationTick => {
                self.replication_tick(ctx, out);
                out.push(Out::Timer {
                    after: ctx.cfg.replication_interval_ms,
                    timer: Timer::ReplicationTick,
                });
            }
            Timer::Request(req) => {
                if let Some(p) = self.vol.pending.remove(&req) {
                    if let PendingKind::Single { target, .. } = p.kind {
                        self.dec_outstanding(target);
                    }
                    out.push(Out::Fact(Fact::OpDone {
                        req,
                        op: p.op,
                        invoked: p.invoked,
                        result: OpResult::Err(OpError::Timeout),
                        served_by: None,
                    }));
                }
            }
            Timer::TxnVotes(txn) => self.coord_vote_timeout(ctx, txn, out),
            Timer::TxnInDoubt(txn) => self.part_in_doubt_tick(ctx, txn, out),
            Timer::TxnResend(txn) => self.coord_resend(ctx, txn, out),
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: DcId, msg: Msg, out: &mut Vec<Out>) {
        match msg {
            Msg::Heartbeat {
                view,
                epochs,
                positions,
            } => self.on_heartbeat(ctx, from, view, epochs, positions, out),
            Msg::Replicate {
                table,
                shard,
                epoch,
                prev,
                entries,
                last,
            } => self.on_replicate(ctx, from, (table, shard), epoch, prev, entries, last, out),
            Msg::ReplicateAck {
                table,
                shard,
                epoch,
                primary,
                ok,
                last,
            } => self.on_replicate_ack(ctx, from, (table, shard), epoch, primary, ok, last, out),
            Msg::Request { req, op } => self.serve(ctx, from, req, op, out),
            Msg::Response { req, result } => self.on_response(ctx, from, req, result, out),
            Msg::Prepare { txn, writes } => self.on_prepare(ctx, from, txn, writes, out),
            Msg::Vote { txn, yes, .. } => self.on_vote(ctx, from, txn, yes, out),
            Msg::Decision { txn, commit } => self.on_decision(ctx, from, txn, commit, out),
            Msg::DecisionAck { txn } => self.on_decision_ack(ctx, from, txn, out),
            Msg::QueryDecision { txn } => self.on_query_decision(ctx, from, txn, out),
            Msg::NewEpoch {
                table,
                shard,
                epoch,
                primary,
            } => self.adopt_epoch(ctx, (table, shard), epoch, primary, out),
        }
    }

    // ---------------------------------------------------------------- frontend

    /// A client at this DC invokes `op`.
    pub fn on_client(&mut self, ctx: &Ctx, req: ReqId, op: ClientOp, out: &mut Vec<Out>) {
        out.push(Out::Timer {
            after: ctx.cfg.request_timeout_ms,
            timer: Timer::Request(req),
        });
        let invoked = ctx.now;
        match &op {
            ClientOp::Get { table, pk } => {
                let key = (*table, ctx.shard_of(pk));
                match ctx.cfg.read_consistency {
                    ReadConsistency::Owner => {
                        let target = self.primary_of(key);
                        self.send_single(req, op.clone(), target, invoked, true, out);
                    }
                    ReadConsistency::One => {
                        let target = self.choose_replica(ctx, key, pk);
                        self.send_single(req, op.clone(), target, invoked, false, out);
                    }
                    ReadConsistency::Quorum => {
                        let reps = self.ranked_replicas(ctx, key, pk);
                        let need = ctx.placement.replicas(key.1).len() / 2 + 1;
                        for &d in &reps {
                            out.push(Out::Send {
                                dst: d,
                                msg: Msg::Request {
                                    req,
                                    op: ServerOp::Read {
                                        table: *table,
                                        pk: pk.clone(),
                                        need_primary: false,
                                    },
                                },
                            });
                        }
                        self.vol.pending.insert(
                            req,
                            PendingReq {
                                op: op.clone(),
                                invoked,
                                kind: PendingKind::Quorum {
                                    need,
                                    asked: reps.len(),
                                    got: vec![],
                                    failed: 0,
                                },
                            },
                        );
                    }
                }
            }
            ClientOp::Write(w) => {
                let key = (w.table, ctx.shard_of(&w.pk));
                let target = self.primary_of(key);
                self.send_single(req, op.clone(), target, invoked, true, out);
            }
            ClientOp::Range {
                table,
                start,
                end,
                limit,
            } => {
                let mut targets = BTreeSet::new();
                for (k, m) in &self.durable.meta {
                    if k.0 == *table {
                        targets.insert(m.primary);
                    }
                }
                for &d in &targets {
                    out.push(Out::Send {
                        dst: d,
                        msg: Msg::Request {
                            req,
                            op: ServerOp::Range {
                                table: *table,
                                start: start.clone(),
                                end: end.clone(),
                                limit: *limit,
                            },
                        },
                    });
                }
                self.vol.pending.insert(
                    req,
                    PendingReq {
                        op: op.clone(),
                        invoked,
                        kind: PendingKind::Scatter {
                            waiting: targets,
                            rows: vec![],
                        },
                    },
                );
            }
            ClientOp::Txn(writes) => {
                let writes = writes.clone();
                self.vol.pending.insert(
                    req,
                    PendingReq {
                        op: op.clone(),
                        invoked,
                        kind: PendingKind::Txn(TxnId(req.0)),
                    },
                );
                self.begin_txn(ctx, req, writes, out);
            }
        }
    }

    fn send_single(
        &mut self,
        req: ReqId,
        op: ClientOp,
        target: DcId,
        invoked: SimTime,
        primary: bool,
        out: &mut Vec<Out>,
    ) {
        let server_op = match &op {
            ClientOp::Get { table, pk } => ServerOp::Read {
                table: *table,
                pk: pk.clone(),
                need_primary: primary,
            },
            ClientOp::Write(w) => ServerOp::Write {
                op: w.clone(),
                write_id: req.0 << 8,
            },
            _ => return,
        };
        *self.vol.outstanding.entry(target).or_insert(0) += 1;
        out.push(Out::Send {
            dst: target,
            msg: Msg::Request { req, op: server_op },
        });
        let tries = match self.vol.pending.get(&req) {
            Some(PendingReq {
                kind: PendingKind::Single { tries, .. },
                ..
            }) => tries + 1,
            _ => 1,
        };
        self.vol.pending.insert(
            req,
            PendingReq {
                op,
                invoked,
                kind: PendingKind::Single { target, tries },
            },
        );
    }

    fn dec_outstanding(&mut self, d: DcId) {
        if let Some(c) = self.vol.outstanding.get_mut(&d) {
            *c = c.saturating_sub(1);
        }
    }

    fn on_response(
        &mut self,
        _ctx: &Ctx,
        from: DcId,
        req: ReqId,
        result: OpResult,
        out: &mut Vec<Out>,
    ) {
        let Some(mut p) = self.vol.pending.remove(&req) else {
            return;
        };
        let done = |p: PendingReq, result: OpResult, by: Option<DcId>, out: &mut Vec<Out>| {
            out.push(Out::Fact(Fact::OpDone {
                req,
                op: p.op,
                invoked: p.invoked,
                result,
                served_by: by,
            }));
        };
        match &mut p.kind {
            PendingKind::Single { target, tries } => {
                if *target != from {
                    self.vol.pending.insert(req, p);
                    return;
                }
                self.dec_outstanding(from);
                if let OpResult::Err(OpError::NotPrimary { hint }) = &result {
                    if *tries < 3 && *hint != from {
                        let (hint, op, inv) = (*hint, p.op.clone(), p.invoked);
                        self.vol.pending.insert(req, p);
                        self.send_single(req, op, hint, inv, true, out);
                        return;
                    }
                }
                done(p, result, Some(from), out);
            }
            PendingKind::Quorum {
                need,
                asked,
                got,
                failed,
            } => {
                match result {
                    OpResult::Row(r) => got.push((from, r)),
                    _ => *failed += 1,
                }
                if got.len() >= *need || (self.bugs.quorum_read_takes_first && !got.is_empty()) {
                    // Newest version wins.
                    let best = got
                        .iter()
                        .max_by(|a, b| {
                            let pa = a.1.as_ref().map(|r| r.version.pos);
                            let pb = b.1.as_ref().map(|r| r.version.pos);
                            pa.cmp(&pb)
                        })
                        .cloned();
                    let (by, row) = best.unwrap_or((from, None));
                    done(p, OpResult::Row(row), Some(by), out);
                } else if *asked - *failed < *need {
                    done(
                        p,
                        OpResult::Err(OpError::Unavailable("no read quorum".into())),
                        None,
                        out,
                    );
                } else {
                    self.vol.pending.insert(req, p);
                }
            }
            PendingKind::Scatter { waiting, rows } => {
                if !waiting.remove(&from) {
                    self.vol.pending.insert(req, p);
                    return;
                }
                match result {
                    OpResult::Rows(mut rs) => rows.append(&mut rs),
                    OpResult::Err(e) => {
                        done(p, OpResult::Err(e), Some(from), out);
                        return;
                    }
                    _ => {}
                }
                if waiting.is_empty() {
                    let limit = match &p.op {
                        ClientOp::Range { limit, .. } => *limit as usize,
                        _ => usize::MAX,
                    };
                    let mut rows = std::mem::take(rows);
                    rows.sort_by(|a, b| a.0.cmp(&b.0));
                    rows.truncate(limit);
                    done(p, OpResult::Rows(rows), None, out);
                } else {
                    self.vol.pending.insert(req, p);
                }
            }
            PendingKind::Txn(_) => {
                self.vol.pending.insert(req, p);
            }
        }
    }

    /// Completes a transaction's client request (called by the coordinator).
    pub(crate) fn finish_txn_request(&mut self, req: ReqId, result: OpResult, out: &mut Vec<Out>) {
        if let Some(p) = self.vol.pending.remove(&req) {
            out.push(Out::Fact(Fact::OpDone {
                req,
                op: p.op,
                invoked: p.invoked,
                result,
                served_by: Some(self.id),
            }));
        }
    }

    // ---------------------------------------------------------------- server

    fn serve(&mut self, ctx: &Ctx, from: DcId, req: ReqId, op: ServerOp, out: &mut Vec<Out>) {
        let reply = |result: OpResult, out: &mut Vec<Out>| {
            out.push(Out::Send {
                dst: from,
                msg: Msg::Response { req, result },
            });
        };
        match op {
            ServerOp::Read {
                table,
                pk,
                need_primary,
            } => {
                let key = (table, ctx.shard_of(&pk));
                let primary = self.primary_of(key);
                if need_primary && primary != self.id {
                    return reply(OpResult::Err(OpError::NotPrimary { hint: primary }), out);
                }
                match self.durable.stores.get(&key) {
                    Some(st) => reply(OpResult::Row(st.rows.get(&pk).cloned()), out),
                    None => reply(OpResult::Err(OpError::NotPrimary { hint: primary }), out),
                }
            }
            ServerOp::Write { op, write_id } => {
                let key = (op.table, ctx.shard_of(&op.pk));
                let primary = self.primary_of(key);
                if primary != self.id {
                    return reply(OpResult::Err(OpError::NotPrimary { hint: primary }), out);
                }
                if let Some(&txn) = self.vol.locks.get(&(op.table, op.pk.clone())) {
                    return reply(OpResult::Err(OpError::Locked { txn }), out);
                }
                self.primary_write(
                    ctx,
                    key,
                    op,
                    write_id,
                    Some(AckTo::Client { dst: from, req }),
                    out,
                );
            }
            ServerOp::Range {
                table,
                start,
                end,
                limit,
            } => {
                let mut rows = Vec::new();
                for (k, st) in self
                    .durable
                    .stores
                    .range((table, ShardId(0))..=(table, ShardId(u32::MAX)))
                {
                    if self.primary_of(*k) != self.id {
                        continue;
                    }
                    for (pk, r) in st.rows.range(start.clone()..end.clone()) {
                        if !r.deleted {
                            rows.push((pk.clone(), r.clone()));
                        }
                    }
                }
                rows.sort_by(|a, b| a.0.cmp(&b.0));
                rows.truncate(limit as usize);
                reply(OpResult::Rows(rows), out);
            }
        }
    }

    /// Shards whose primary a failover moved (their epoch was issued by a DC, not by the
    /// initial placement or a reconfiguration), for gossip.
    pub fn shard_infos(&self) -> Vec<ShardInfo> {
        self.durable
            .meta
            .iter()
            .filter(|(_, m)| m.epoch.term > 0 && m.epoch.by != u16::MAX)
            .map(|(k, m)| ShardInfo {
                table: k.0,
                shard: k.1,
                epoch: m.epoch,
                primary: m.primary,
            })
            .collect()
    }

    /// The last log position of every shard this DC stores, sorted by shard.
    pub fn positions(&self) -> Vec<(ShardKey, LogPos)> {
        self.durable
            .stores
            .iter()
            .map(|(k, s)| (*k, s.last()))
            .collect()
    }
}
