//! Recording: what the world makes visible of a run — the event log, the trace hash, the
//! counters, the per-second metrics and the 2PC traces the sequence diagram draws.
//!
//! Invariants: recording only observes; nothing here feeds back into the simulation except
//! the breakpoint flag that stops `advance_to`. Every recorded event is folded into the
//! trace hash in order, and the hash is computed identically on 32- and 64-bit targets
//! (every length and discriminant is widened to 64 bits before hashing). Every buffer is
//! bounded (`EVENT_LOG_CAP`, `METRIC_POINTS`, `TXN_TRACE_CAP`; over the last, ended
//! transactions are dropped before unresolved ones); what is dropped stays counted
//! (`Counters`, with events by category).
//!
//! Events, metric points and 2PC traces are held behind `Arc`, so a snapshot copies
//! pointers, not their contents: an event or a point never changes once recorded, and a
//! trace still changing is copied on write (`Arc::make_mut`) only while a snapshot holds it.

use crate::checker::FindingKind;
use crate::ids::{DcId, ReqId, ShardId, TableId, TxnId};
use crate::net::{DropReason, Envelope};
use crate::time::SimTime;
use crate::vecmap::VecMap;
use crate::vocab::{ClientOp, CoordState, Msg, MsgKind, OpResult, PartState, PeerState};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The most events the log keeps (older ones are dropped first).
pub const EVENT_LOG_CAP: usize = 4_000;
/// The most transactions traced for the 2PC diagram.
pub const TXN_TRACE_CAP: usize = 200;
/// The most one-second metric points kept.
pub const METRIC_POINTS: usize = 600;
/// The most messages traced per transaction.
const TXN_MSGS_CAP: usize = 400;

/// Where `advance_to` may stop early, so a person can act at the interesting instant.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Breakpoint {
    /// A 2PC coordinator has durably decided (commit or abort) but not yet sent it.
    TxnDecision,
    /// A DC issued a failover.
    Failover,
    /// The checker reported a finding.
    Finding,
    /// A client's single-row write (PutRow, UpdateRow, DeleteRow) was acknowledged OK —
    /// the moment to kill its primary to lose an async write.
    WriteAcked,
    /// A 2PC coordinator wrote its record and sent PREPARE to every participant.
    PrepareSent,
}

impl Breakpoint {
    /// Whether recording `kind` hits this breakpoint.
    pub fn hit_by(self, kind: &EventKind) -> bool {
        match (self, kind) {
            (Breakpoint::TxnDecision, EventKind::Coord { state, .. }) => {
                matches!(state, CoordState::Committed | CoordState::Aborted)
            }
            (Breakpoint::Failover, EventKind::FailoverIssued { .. }) => true,
            (Breakpoint::Finding, EventKind::Finding { .. }) => true,
            (Breakpoint::WriteAcked, EventKind::Op { ok, label, .. }) => {
                *ok && ClientOp::is_write_label(label)
            }
            // `Working` is reported once per transaction, in the reaction that sends its
            // PREPAREs (`Node::begin_txn`).
            (Breakpoint::PrepareSent, EventKind::Coord { state, .. }) => {
                *state == CoordState::Working
            }
            _ => false,
        }
    }

    /// Whether a hit points at a transaction the 2PC view should show.
    pub fn is_txn(self) -> bool {
        matches!(self, Breakpoint::TxnDecision | Breakpoint::PrepareSent)
    }
}

/// What happened, for the event log (and the trace hash).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// The DC was killed.
    Killed,
    /// The DC was revived.
    Revived,
    /// One direction of a link was cut.
    LinkCut {
        /// Sending side.
        from: DcId,
        /// Receiving side.
        to: DcId,
    },
    /// One direction of a link was healed.
    LinkHealed {
        /// Sending side.
        from: DcId,
        /// Receiving side.
        to: DcId,
    },
    /// A one-way latency was set.
    LatencySet {
        /// Sending side.
        from: DcId,
        /// Receiving side.
        to: DcId,
        /// The new latency.
        ms: u32,
    },
    /// A message was dropped.
    Dropped {
        /// Its sender.
        src: DcId,
        /// Its destination.
        dst: DcId,
        /// What it was.
        kind: MsgKind,
        /// Why it was dropped.
        reason: DropReason,
    },
    /// A DC's view of a peer changed.
    View {
        /// The peer.
        target: DcId,
        /// The view before.
        from: PeerState,
        /// The view after.
        to: PeerState,
    },
    /// A DC issued a failover of a shard.
    FailoverIssued {
        /// The shard's table.
        table: TableId,
        /// The shard.
        shard: ShardId,
        /// The new epoch's term.
        term: u32,
        /// The primary declared dead.
        old: DcId,
        /// The replica promoted.
        new: DcId,
    },
    /// A DC became primary of a shard.
    Promoted {
        /// The shard's table.
        table: TableId,
        /// The shard.
        shard: ShardId,
        /// Its epoch's term.
        term: u32,
        /// The last index of its log when promoted.
        last_index: u64,
    },
    /// A DC left the primary role of a shard.
    SteppedDown {
        /// The shard's table.
        table: TableId,
        /// The shard.
        shard: ShardId,
        /// The newer epoch's term.
        term: u32,
    },
    /// A replica dropped a diverged suffix of its log.
    Truncated {
        /// The shard's table.
        table: TableId,
        /// The shard.
        shard: ShardId,
        /// How many entries it dropped.
        entries: u64,
    },
    /// A replica behind the primary's compaction point installed its snapshot.
    SnapshotInstalled {
        /// The shard's table.
        table: TableId,
        /// The shard.
        shard: ShardId,
        /// The snapshot's last included index.
        index: u64,
        /// Its epoch's term.
        term: u32,
        /// The copy's last index after the install (snapshot plus the log sent with it).
        last_index: u64,
    },
    /// A client operation completed.
    Op {
        /// The request.
        req: ReqId,
        /// The API name (`PutRow`, …): `ClientOp::label`'s static text (a `String` per
        /// operation cost an allocation and a free), owned only when read from a file.
        label: std::borrow::Cow<'static, str>,
        /// Whether it succeeded.
        ok: bool,
        /// What it returned, as text.
        detail: String,
        /// From invocation to completion.
        latency_ms: u64,
    },
    /// A coordinator's transaction state changed.
    Coord {
        /// The transaction.
        txn: TxnId,
        /// Its new state.
        state: CoordState,
    },
    /// A participant's transaction state changed.
    Part {
        /// The transaction.
        txn: TxnId,
        /// Its new state.
        state: PartState,
    },
    /// A revived DC replayed its 2PC records.
    Recovered {
        /// Participant records found in doubt.
        in_doubt: usize,
        /// Coordinator records finished again.
        redo: usize,
    },
    /// The checker reported a finding.
    Finding {
        /// Its number in the run, from 0 (`Sim::finding`).
        index: usize,
        /// Its kind.
        kind: FindingKind,
    },
    /// A membership or placement change waits for open transactions to finish (a drain).
    AdminWaiting {
        /// Which change waits, and for what (or why it was refused once it could run).
        text: String,
    },
    /// Membership or placement changed.
    Reconfigured {
        /// What changed and how many rows moved.
        text: String,
    },
    /// Settings changed.
    Setting {
        /// What changed.
        text: String,
    },
}

impl EventKind {
    /// Every category `category` returns, in a fixed order.
    pub const CATEGORIES: [&'static str; 9] = [
        "fault",
        "network",
        "detector",
        "failover",
        "replication",
        "client",
        "2pc",
        "checker",
        "config",
    ];

    /// A coarse category for filtering the log.
    pub fn category(&self) -> &'static str {
        Self::CATEGORIES[self.category_index()]
    }

    /// `category`'s index in `CATEGORIES` (counted per recorded event: no string
    /// comparisons).
    pub fn category_index(&self) -> usize {
        match self {
            EventKind::Killed | EventKind::Revived => 0,
            EventKind::LinkCut { .. }
            | EventKind::LinkHealed { .. }
            | EventKind::LatencySet { .. } => 0,
            EventKind::Dropped { .. } => 1,
            EventKind::View { .. } => 2,
            EventKind::FailoverIssued { .. }
            | EventKind::Promoted { .. }
            | EventKind::SteppedDown { .. } => 3,
            EventKind::Truncated { .. } | EventKind::SnapshotInstalled { .. } => 4,
            EventKind::Op { .. } => 5,
            EventKind::Coord { .. } | EventKind::Part { .. } | EventKind::Recovered { .. } => 6,
            EventKind::Finding { .. } => 7,
            EventKind::Reconfigured { .. }
            | EventKind::AdminWaiting { .. }
            | EventKind::Setting { .. } => 8,
        }
    }
}

/// One entry of the event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// 1 for the first event of the run, then consecutive.
    pub seq: u64,
    /// When it happened.
    pub at: SimTime,
    /// The DC it happened at, if any.
    pub dc: Option<DcId>,
    /// What happened.
    pub kind: EventKind,
}

/// Running totals since the start of the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Client operations that succeeded.
    pub ops_ok: u64,
    /// Client operations that failed (refused, aborted, timed out, fenced).
    pub ops_failed: u64,
    /// Completed reads (GetRow, GetRange).
    pub reads: u64,
    /// Completed single-row writes.
    pub writes: u64,
    /// Transactions the coordinator committed.
    pub txns_committed: u64,
    /// Transactions the coordinator aborted.
    pub txns_aborted: u64,
    /// Reads the checker found stale.
    pub stale_reads: u64,
    /// Messages sent (dropped ones included).
    pub msgs_sent: u64,
    /// Messages delivered.
    pub msgs_delivered: u64,
    /// Messages dropped.
    pub msgs_dropped: u64,
    /// Failovers issued.
    pub failovers: u64,
    /// Events recorded.
    pub events: u64,
    /// Events recorded by category (`EventKind::category`), in `EventKind::CATEGORIES`'
    /// order: totals of the whole run, while the log keeps only the newest events.
    #[serde(default)]
    pub events_by_category: [u64; 9],
}

/// One second of simulated time, for the plots.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricPoint {
    /// The end of the second.
    pub t: SimTime,
    /// Operations that succeeded in it.
    pub ops_ok: u32,
    /// Operations that failed in it.
    pub ops_failed: u32,
    /// Median latency of its successful operations.
    pub p50_ms: u32,
    /// 99th-percentile latency of its successful operations.
    pub p99_ms: u32,
    /// Stale reads found in it.
    pub stale_reads: u32,
    /// Transactions aborted in it.
    pub aborted: u32,
    /// Participant records prepared or in doubt at its end.
    pub in_doubt: u32,
    /// Worst replication lag (ms) of any shard replica at each DC.
    pub lag_ms: Vec<(DcId, u64)>,
}

/// One message of a transaction, for the sequence diagram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnMsg {
    /// What it is.
    pub kind: MsgKind,
    /// Its sender.
    pub src: DcId,
    /// Its destination.
    pub dst: DcId,
    /// When it left.
    pub send_at: SimTime,
    /// When it arrives (or would have).
    pub deliver_at: SimTime,
    /// For a decision: commit (true) or abort.
    pub commit: Option<bool>,
    /// For a vote: YES (true) or NO.
    pub yes: Option<bool>,
    /// None while in flight.
    pub delivered: Option<bool>,
}

/// Everything the 2PC diagram draws for one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnTrace {
    /// The transaction.
    pub id: TxnId,
    /// Its coordinator (the client's home DC).
    pub coordinator: DcId,
    /// When the coordinator began it.
    pub started: SimTime,
    /// The DCs asked to prepare.
    pub participants: Vec<DcId>,
    /// The coordinator's states, in order.
    pub coord_states: Vec<(SimTime, CoordState)>,
    /// Each participant's states, in order.
    pub part_states: VecMap<DcId, Vec<(SimTime, PartState)>>,
    /// Row locks each participant held at its last state change.
    pub locks: VecMap<DcId, usize>,
    /// The participant shards each DC acted for ("users s3"): a participant is a shard's
    /// replica group, so a DC promoted after a failover takes over its shard's part.
    #[serde(default)]
    pub shards: VecMap<DcId, Vec<String>>,
    /// Its messages.
    pub msgs: Vec<TxnMsg>,
}

/// The one state the page shows for a transaction (a transaction never shows two).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TxnStatus {
    /// Not decided yet, and no participant in doubt.
    Pending,
    /// Not ended, and some participant's latest state is `PartState::InDoubt`: it voted
    /// YES, has not learned the decision, and its decision is overdue.
    InDoubt,
    /// The coordinator decided COMMIT and no participant is in doubt.
    Committed,
    /// The coordinator decided ABORT and no participant is in doubt.
    Aborted,
}

impl TxnTrace {
    /// Participant `d`'s latest state (None: no vote yet).
    pub fn part_state(&self, d: DcId) -> Option<PartState> {
        self.part_states.get(&d).and_then(|v| v.last()).map(|x| x.1)
    }

    /// The coordinator's latest state.
    pub fn coord_state(&self) -> CoordState {
        self.coord_states
            .last()
            .map(|x| x.1)
            .unwrap_or(CoordState::Working)
    }

    /// The coordinator's decision, once logged: `Some(true)` COMMIT, `Some(false)` ABORT.
    pub fn decision(&self) -> Option<bool> {
        self.coord_states.iter().rev().find_map(|(_, s)| match s {
            CoordState::Committed => Some(true),
            CoordState::Aborted => Some(false),
            _ => None,
        })
    }

    /// The transaction's one state: ended ⇒ its decision; else a participant in doubt ⇒
    /// `InDoubt` (even if the coordinator has decided: that participant has not learned
    /// it); else the decision, or `Pending`.
    pub fn status(&self) -> TxnStatus {
        let decided = match self.decision() {
            Some(true) => TxnStatus::Committed,
            Some(false) => TxnStatus::Aborted,
            None => TxnStatus::Pending,
        };
        if self.coord_state() == CoordState::Ended {
            return decided;
        }
        let doubt = self
            .part_states
            .values()
            .any(|v| v.last().is_some_and(|x| x.1 == PartState::InDoubt));
        if doubt {
            TxnStatus::InDoubt
        } else {
            decided
        }
    }
}

/// The recording half of a `Sim`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Recorder {
    pub(crate) events: VecDeque<Arc<Event>>,
    pub(crate) trace: TraceHasher,
    pub(crate) counters: Counters,
    pub(crate) metrics: VecDeque<Arc<MetricPoint>>,
    /// Stale reads already attributed to a metric point (the points themselves roll off).
    stale_seen: u64,
    /// The metric point of the second under way, and its successful ops' latencies.
    bucket: MetricPoint,
    bucket_latencies: Vec<u32>,
    /// At most `TXN_TRACE_CAP` (a `VecMap`: small, and one B-tree fewer in the page).
    pub(crate) txns: VecMap<TxnId, Arc<TxnTrace>>,
    pub(crate) breakpoint: Option<Breakpoint>,
    /// Set when an event hits the breakpoint; `take_hit` clears it.
    hit: bool,
    /// Texts of op events the log dropped (emptied), reused by the next ones
    /// (`text_buf`): an allocation and a free per operation saved. Not part of the state.
    spare_text: Vec<String>,
}

impl Recorder {
    /// Logs `kind`, folds it into the trace hash, and notes a breakpoint hit.
    pub(crate) fn record(&mut self, now: SimTime, dc: Option<DcId>, kind: EventKind) {
        self.hit |= self.breakpoint.is_some_and(|bp| bp.hit_by(&kind));
        self.counters.events += 1;
        self.counters.events_by_category[kind.category_index()] += 1;
        self.trace.event(now, dc, &kind);
        let e = Event {
            seq: self.counters.events,
            at: now,
            dc,
            kind,
        };
        // At the cap, the oldest event's box takes the new one unless a snapshot still
        // holds it (an allocation and a free per event saved).
        let oldest = if self.events.len() == EVENT_LOG_CAP {
            self.events.pop_front()
        } else {
            None
        };
        let e = match oldest {
            Some(mut a) => match Arc::get_mut(&mut a) {
                Some(slot) => {
                    if let EventKind::Op { detail, .. } = &mut slot.kind {
                        if self.spare_text.len() < 4 {
                            self.spare_text.push(std::mem::take(detail));
                        }
                    }
                    *slot = e;
                    a
                }
                None => Arc::new(e),
            },
            None => Arc::new(e),
        };
        self.events.push_back(e);
    }

    /// A buffer for an op event's text: a dropped op event's (its old text still in it),
    /// or a new one.
    pub(crate) fn text_buf(&mut self) -> String {
        self.spare_text.pop().unwrap_or_default()
    }

    /// Whether an event hit the breakpoint since the last call.
    pub(crate) fn take_hit(&mut self) -> bool {
        std::mem::take(&mut self.hit)
    }

    /// Counts a completed client operation.
    pub(crate) fn count_op(&mut self, op: &ClientOp, result: &OpResult, latency: u64) {
        if result.is_ok() {
            self.counters.ops_ok += 1;
            self.bucket.ops_ok += 1;
            self.bucket_latencies
                .push(latency.min(u64::from(u32::MAX)) as u32);
        } else {
            self.counters.ops_failed += 1;
            self.bucket.ops_failed += 1;
        }
        match op {
            ClientOp::Get { .. } | ClientOp::Range { .. } => self.counters.reads += 1,
            ClientOp::Write(_) => self.counters.writes += 1,
            ClientOp::Txn(_) => {}
        }
    }

    /// Counts a coordinator's state change.
    pub(crate) fn count_coord(&mut self, state: CoordState) {
        match state {
            CoordState::Committed => self.counters.txns_committed += 1,
            CoordState::Aborted => {
                self.counters.txns_aborted += 1;
                self.bucket.aborted += 1;
            }
            _ => {}
        }
    }

    /// Closes the second under way at `now`: latency percentiles, the stale reads found in
    /// it (of `stale_total` so far), `in_doubt` records and the replicas' `lag`.
    pub(crate) fn close_second(
        &mut self,
        now: SimTime,
        in_doubt: usize,
        stale_total: u64,
        lag: Vec<(DcId, u64)>,
    ) {
        let mut lat = std::mem::take(&mut self.bucket_latencies);
        lat.sort_unstable();
        let pct = |p: usize| {
            if lat.is_empty() {
                0
            } else {
                lat[((lat.len() - 1) * p) / 100]
            }
        };
        let mut point = std::mem::take(&mut self.bucket);
        point.t = now;
        point.p50_ms = pct(50);
        point.p99_ms = pct(99);
        point.in_doubt = in_doubt as u32;
        point.stale_reads = stale_total
            .saturating_sub(self.stale_seen)
            .min(u64::from(u32::MAX)) as u32;
        self.stale_seen = self.stale_seen.max(stale_total);
        point.lag_ms = lag;
        if self.metrics.len() == METRIC_POINTS {
            self.metrics.pop_front();
        }
        self.metrics.push_back(Arc::new(point));
    }

    // ------------------------------------------------------------ 2PC traces

    /// A coordinator's state change; the first one starts the transaction's trace.
    pub(crate) fn note_coord(
        &mut self,
        now: SimTime,
        dc: DcId,
        txn: TxnId,
        state: CoordState,
        participants: Vec<DcId>,
    ) {
        let t = self.txns.entry(txn).or_insert_with(|| {
            Arc::new(TxnTrace {
                id: txn,
                coordinator: dc,
                started: now,
                participants,
                coord_states: vec![],
                part_states: VecMap::new(),
                locks: VecMap::new(),
                shards: VecMap::new(),
                msgs: vec![],
            })
        });
        Arc::make_mut(t).coord_states.push((now, state));
        // Over the cap, the oldest ended trace goes first: an unresolved transaction (one
        // a person watches block in doubt) outlives the ones that finished after it.
        while self.txns.len() > TXN_TRACE_CAP {
            let ended = self
                .txns
                .iter()
                .find(|(_, t)| t.coord_states.last().map(|x| x.1) == Some(CoordState::Ended))
                .map(|(id, _)| *id);
            match ended {
                Some(id) => {
                    self.txns.remove(&id);
                }
                None => {
                    self.txns.pop_first();
                }
            }
        }
    }

    /// A participant's state change.
    pub(crate) fn note_part(
        &mut self,
        now: SimTime,
        dc: DcId,
        txn: TxnId,
        shard: String,
        state: PartState,
        locks: usize,
    ) {
        if let Some(t) = self.txns.get_mut(&txn) {
            let t = Arc::make_mut(t);
            if !t.participants.contains(&dc) {
                t.participants.push(dc);
            }
            let shards = t.shards.entry(dc).or_default();
            if !shards.contains(&shard) {
                shards.push(shard);
            }
            t.part_states.entry(dc).or_default().push((now, state));
            t.locks.insert(dc, locks);
        }
    }

    /// A 2PC message left.
    pub(crate) fn note_txn_msg_sent(&mut self, env: &Envelope) {
        if let Some((txn, m)) = txn_msg(env) {
            if let Some(t) = self.txns.get_mut(&txn) {
                if t.msgs.len() < TXN_MSGS_CAP {
                    Arc::make_mut(t).msgs.push(m);
                }
            }
        }
    }

    /// A 2PC message arrived (`delivered`) or was dropped.
    pub(crate) fn note_txn_msg(&mut self, env: &Envelope, delivered: bool) {
        if let Some((txn, mut m)) = txn_msg(env) {
            if let Some(t) = self.txns.get_mut(&txn) {
                let t = Arc::make_mut(t);
                if let Some(existing) = t.msgs.iter_mut().find(|x| {
                    x.src == m.src
                        && x.dst == m.dst
                        && x.send_at == m.send_at
                        && x.kind == m.kind
                        && x.delivered.is_none()
                }) {
                    existing.delivered = Some(delivered);
                } else if t.msgs.len() < TXN_MSGS_CAP {
                    m.delivered = Some(delivered);
                    t.msgs.push(m);
                }
            }
        }
    }
}

fn txn_msg(env: &Envelope) -> Option<(TxnId, TxnMsg)> {
    let txn = env.msg.txn()?;
    let (commit, yes) = match &env.msg {
        Msg::Decision { commit, .. } => (Some(*commit), None),
        Msg::Vote { yes, .. } => (None, Some(*yes)),
        _ => (None, None),
    };
    Some((
        txn,
        TxnMsg {
            kind: env.msg.kind(),
            src: env.src,
            dst: env.dst,
            send_at: env.send_at,
            deliver_at: env.deliver_at,
            commit,
            yes,
            delivered: None,
        },
    ))
}

// ------------------------------------------------------------ the trace hash

/// The run's fingerprint: FNV-1a, 64-bit, with platform-independent integer widths.
/// It depends only on what happened (events and deliveries, in order).
#[derive(Clone, Debug)]
pub(crate) struct TraceHasher {
    h: u64,
}

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher { h: OFFSET }
    }
}

impl TraceHasher {
    pub(crate) fn value(&self) -> u64 {
        self.h
    }

    fn event(&mut self, at: SimTime, dc: Option<DcId>, kind: &EventKind) {
        self.write_u64(1);
        at.hash(self);
        dc.hash(self);
        kind.hash(self);
    }

    /// A message was delivered.
    pub(crate) fn delivery(&mut self, env: &Envelope) {
        self.write_u64(2);
        self.write_u64(env.seq);
        self.write_u64(env.deliver_at.0);
        self.write_u64(u64::from(env.src.0));
        self.write_u64(u64::from(env.dst.0));
        env.msg.kind().hash(self);
    }
}

impl Hasher for TraceHasher {
    fn finish(&self) -> u64 {
        self.h
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.h ^= u64::from(b);
            self.h = self.h.wrapping_mul(PRIME);
        }
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.write_i64(i as i64);
    }

    fn write_u64(&mut self, i: u64) {
        self.write(&i.to_le_bytes());
    }
}
