//! The vocabulary every part of the core shares: what a client asks (`ClientOp`), what
//! crosses a link (`Msg`), what a node arms (`Timer`), what it reports (`Fact`), what it
//! asks the world to do (`Out`), and the state enums.
//!
//! Invariants: this module is a leaf — it imports nothing of the crate but the plain data
//! modules (`ids`, `time`, `table`), so every mechanism can use it without an import
//! circle. Messages: every byte of state that crosses a link travels in a `Msg`; a node
//! learns nothing about another node except through them. Effects are data: a handler
//! never acts, it appends to its `Out`, and the world carries the effects out in order.

use crate::ids::{DcId, ReqId, ShardId, TableId, TxnId};
use crate::table::{Epoch, LogEntry, LogPos, Pk, Row, ShardStore, WriteKind, WriteOp};
use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// A shard of a table: the unit of placement, replication and failover.
pub(crate) type ShardKey = (TableId, ShardId);

/// An operation a client hands to the frontend of its home DC.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientOp {
    /// GetRow: one row by primary key.
    Get {
        /// The table read.
        table: TableId,
        /// The row's primary key.
        pk: Pk,
    },
    /// PutRow, UpdateRow or DeleteRow.
    Write(WriteOp),
    /// GetRange: rows with `start <= pk < end`, at most `limit`.
    Range {
        /// The table read.
        table: TableId,
        /// First key (inclusive).
        start: Pk,
        /// Last key (exclusive).
        end: Pk,
        /// At most this many rows.
        limit: u32,
    },
    /// A multi-row transaction (2PC when it spans primaries).
    Txn(Vec<WriteOp>),
}

impl ClientOp {
    /// The Tablestore API name of the operation.
    pub fn label(&self) -> &'static str {
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

    /// Whether `label` (as `label` gives it, e.g. in `EventKind::Op`) names a single-row
    /// write.
    pub fn is_write_label(label: &str) -> bool {
        matches!(label, "PutRow" | "UpdateRow" | "DeleteRow")
    }
}

/// A timer a node arms; it fires back into the same node (unless the node crashed since).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) enum Timer {
    Heartbeat,
    ReplicationTick,
    Request(ReqId),
    TxnVotes(TxnId),
    TxnResend(TxnId),
}

/// Coordinator-side state of a transaction.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CoordState {
    /// PREPARE sent, collecting votes.
    Working,
    /// Decided commit (durably), before every participant acknowledged.
    Committed,
    /// Decided abort (durably), before every participant acknowledged.
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
    /// Applied the commit.
    Committed,
    /// Aborted (voted NO, or learned the abort).
    Aborted,
}

impl PartState {
    /// Voted YES and still waiting for the decision (holding its locks).
    pub fn is_unresolved(self) -> bool {
        matches!(self, PartState::Prepared | PartState::InDoubt)
    }
}

/// One DC's opinion of a peer, from the heartbeats it hears.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PeerState {
    /// Heard from recently.
    Alive,
    /// Silent longer than suspect-after.
    Suspect,
    /// Silent longer than dead-after.
    Dead,
}

impl PeerState {
    /// Lower-case name for the page.
    pub fn label(self) -> &'static str {
        match self {
            PeerState::Alive => "alive",
            PeerState::Suspect => "suspect",
            PeerState::Dead => "dead",
        }
    }
}

/// Facts a node reports to the world: the event log, the checker and the UI read them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Fact {
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
        /// Shared with the checker's invocation record and the front end's pending entry
        /// (one operation, never copied between them).
        op: Rc<ClientOp>,
        invoked: SimTime,
        result: OpResult,
        served_by: Option<DcId>,
    },
    Coord {
        txn: TxnId,
        state: CoordState,
        participants: Vec<DcId>,
    },
    /// A participant shard's state changed at the DC leading it.
    Part {
        txn: TxnId,
        key: ShardKey,
        state: PartState,
        coordinator: DcId,
        locks: usize,
    },
    Recovered {
        in_doubt: usize,
        redo_decisions: usize,
    },
    /// A replica replaced its copy of a shard by the primary's snapshot (its own log had
    /// fallen behind the primary's compaction point, or diverged below its own).
    SnapshotInstalled {
        table: TableId,
        shard: ShardId,
        /// The snapshot's last included position and the copy's last position after it.
        upto: LogPos,
        last: LogPos,
        /// What the replica's own log held that the snapshot does not.
        dropped: Vec<(LogPos, u64)>,
    },
}

/// One thing a handler asks the world to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Effect {
    Send { dst: DcId, msg: Msg },
    Timer { after: u64, timer: Timer },
    Fact(Fact),
}

/// A handler's effects, in the order it asked for them (as stateright's `Out`): the
/// helpers keep call sites to one line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Out(Vec<Effect>);

impl Out {
    /// Send `msg` to `dst` (to itself: delivered locally, at once).
    pub(crate) fn send(&mut self, dst: DcId, msg: Msg) {
        self.0.push(Effect::Send { dst, msg });
    }

    /// Fire `timer` back into this node after `after` ms.
    pub(crate) fn timer(&mut self, after: u64, timer: Timer) {
        self.0.push(Effect::Timer { after, timer });
    }

    /// Report `fact` to the world.
    pub(crate) fn fact(&mut self, fact: Fact) {
        self.0.push(Effect::Fact(fact));
    }
}

impl Out {
    /// An empty `Out` that reuses `buf`'s allocation.
    pub(crate) fn reusing(mut buf: Vec<Effect>) -> Out {
        buf.clear();
        Out(buf)
    }

    /// The effects, as the vector they were collected in (to drain and reuse).
    pub(crate) fn into_vec(self) -> Vec<Effect> {
        self.0
    }
}

impl IntoIterator for Out {
    type Item = Effect;
    type IntoIter = std::vec::IntoIter<Effect>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A shard whose primary a failover moved, gossiped in heartbeats so every DC — and a
/// revived one — learns the newest epoch.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct ShardInfo {
    pub(crate) table: TableId,
    pub(crate) shard: ShardId,
    pub(crate) epoch: Epoch,
    pub(crate) primary: DcId,
}

/// What a frontend asks a serving DC to do for a client request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum ServerOp {
    /// `need_primary`: refuse unless this DC is the shard's primary (reads at `Owner`).
    Read {
        table: TableId,
        pk: Pk,
        need_primary: bool,
    },
    Write {
        op: WriteOp,
        write_id: u64,
    },
    Range {
        table: TableId,
        start: Pk,
        end: Pk,
        limit: u32,
    },
}

/// Why a request failed, as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum OpError {
    /// The receiver is not the shard's primary; it believes `hint` is.
    NotPrimary { hint: DcId },
    /// A 2PC transaction holds a lock on the key.
    Locked { txn: TxnId },
    /// The primary lost its role (a newer epoch exists) before the write was acknowledged;
    /// the write may or may not survive.
    Fenced,
    /// Nothing answered in time.
    Timeout,
    /// The client's home DC is down or no replica is reachable.
    Unavailable(String),
    /// The transaction aborted, and why.
    Aborted(String),
}

/// The event log's words for a failed request: one plain sentence per variant, never
/// Rust's debug text (a test formats every variant).
impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpError::NotPrimary { hint } => {
                write!(f, "sent to a DC that is not the primary (it names {hint})")
            }
            OpError::Locked { txn } => write!(f, "the key is locked by transaction {txn}"),
            OpError::Fenced => f.write_str(
                "the primary was deposed by a newer epoch before acknowledging; the write may or may not survive",
            ),
            e => {
                let (head, why) = e.plain_text().unwrap_or_default();
                f.write_str(head)?;
                f.write_str(why)
            }
        }
    }
}

impl OpError {
    /// The text of the errors written without formatting — a fixed head and the reason —
    /// for a caller that pushes them (the op log writes one for four operations in ten
    /// under the bench's faults); None for those with numbers in them.
    pub(crate) fn plain_text(&self) -> Option<(&'static str, &str)> {
        match self {
            OpError::Timeout => Some(("no answer in time", "")),
            OpError::Unavailable(why) => Some(("unavailable: ", why)),
            OpError::Aborted(why) => Some(("aborted: ", why)),
            OpError::NotPrimary { .. } | OpError::Locked { .. } | OpError::Fenced => None,
        }
    }
}

/// What a request returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum OpResult {
    Row(Option<Row>),
    /// `copies`: how many DCs held the write when it was acknowledged.
    Written {
        pos: LogPos,
        write_id: u64,
        copies: u8,
    },
    Rows(Vec<(Pk, Row)>),
    /// A transaction committed: each participant shard, the DC that acknowledged its
    /// COMMIT entry, and the copies its rows are promised (the fewer of the PREPARE's when
    /// the shard voted YES and the COMMIT's when it acknowledged).
    Committed {
        shards: Vec<(ShardKey, DcId, u8)>,
    },
    Err(OpError),
}

impl OpResult {
    /// Anything but an error.
    pub(crate) fn is_ok(&self) -> bool {
        !matches!(self, OpResult::Err(_))
    }
}

/// A heartbeat's payload. The lists are shared (`Rc`), not copied, between the copies
/// sent to each peer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Heartbeat {
    /// The sender's detector view.
    pub(crate) view: Rc<[(DcId, PeerState)]>,
    /// Shards with a failover epoch, as the sender knows them.
    pub(crate) epochs: Rc<[ShardInfo]>,
    /// The sender's last log position of every shard it stores, sorted by shard.
    pub(crate) positions: Rc<[(ShardKey, LogPos)]>,
    /// When it was sent.
    pub(crate) sent: SimTime,
    /// The `sent` of the newest heartbeat the sender received from the destination
    /// (the destination's read lease, see `node::lease`).
    pub(crate) echo: Option<SimTime>,
    /// Shards the sender is fenced for by a failover round it answered.
    pub(crate) fenced: Rc<[ShardKey]>,
}

/// A message between DCs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Msg {
    Heartbeat(Heartbeat),
    Replicate {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
        prev: LogPos,
        entries: Vec<Rc<LogEntry>>,
        /// The primary's last index: a replica drops older-epoch entries beyond it.
        last: u64,
        /// The primary's compaction point (every replica it counts live holds the log up
        /// to it): a replica may compact its own log up to here.
        compact: u64,
    },
    /// Raft's InstallSnapshot: the primary's copy of a shard — the snapshot of its
    /// compacted prefix (rows, intents and locks of undecided transactions, decisions, the
    /// last included position) and the retained log after it — for a replica behind the
    /// compaction point. Shared, not copied, while in flight.
    InstallSnapshot {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
        store: Rc<ShardStore>,
    },
    ReplicateAck {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
        /// The primary of `epoch` as the replica knows it (for a deposed primary).
        primary: DcId,
        ok: bool,
        /// The replica's last index that agrees with the primary (or its log end on a
        /// mismatch), so the primary knows where to resume.
        last: u64,
        /// The replica's copy diverged below its own compaction point: it cannot drop the
        /// diverged entries and needs a snapshot install.
        need_snapshot: bool,
    },
    Request {
        req: ReqId,
        op: ServerOp,
    },
    Response {
        req: ReqId,
        result: OpResult,
    },
    /// To the primary of participant shard `key`.
    Prepare {
        txn: TxnId,
        key: ShardKey,
        writes: crate::table::TxnWrites,
        /// The coordinator's low-water mark: every transaction it coordinates below it
        /// has ended (`table::Decisions`).
        low: TxnId,
    },
    /// Shard `key`'s vote, sent once its PREPARE entry is durable under the table's mode.
    /// `copies`: how many DCs held the PREPARE entry when the shard voted YES.
    Vote {
        txn: TxnId,
        key: ShardKey,
        yes: bool,
        copies: u8,
        reason: String,
    },
    /// The decision; `asked`: the answer to a `QueryDecision` (only an intent matters to
    /// it: a copy that resolved since ignores it).
    Decision {
        txn: TxnId,
        key: ShardKey,
        commit: bool,
        asked: bool,
    },
    /// Shard `key` applied the decision; its entry is durable with `copies` copies, at
    /// position `at` (with no copy — nothing was prepared there — the primary's epoch at
    /// index 0). The coordinator keeps a committed id until every replica's gossiped log
    /// shows that position (`Node::forget_replicated`).
    DecisionAck {
        txn: TxnId,
        key: ShardKey,
        copies: u8,
        at: LogPos,
    },
    /// A primary holding `txn`'s intents on `key` asks for the overdue decision.
    QueryDecision {
        txn: TxnId,
        key: ShardKey,
    },
    NewEpoch {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
        primary: DcId,
    },
    /// A failover's first round (see `node::failover`): stop accepting entries of epochs
    /// below `epoch` and report your last log position.
    FenceQuery {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
    },
    /// A fenced replica whose fence has stood for its lease asks the round's issuer
    /// whether the round still stands (answered by `NewEpoch` or `FenceRelease`).
    FenceStatus {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
    },
    /// The issuer abandoned the round of `epoch` (and will never complete it): the fence
    /// may go.
    FenceRelease {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
    },
    /// The answer: fenced at `epoch` (asking the issuer again from `until`), holding up to `last` (`ok`), or refused
    /// because the replica already knows `epoch` or newer (then `epoch` is what it knows).
    FenceReply {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
        ok: bool,
        last: LogPos,
        until: SimTime,
    },
}

/// The kind of a message, for colouring and filtering in the UI.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MsgKind {
    /// Liveness, with the sender's view, epochs and log positions.
    Heartbeat,
    /// A batch of log entries from a primary.
    Replicate,
    /// A replica's answer to a batch.
    ReplicateAck,
    /// A client request forwarded by its frontend.
    Request,
    /// The answer to a request.
    Response,
    /// 2PC phase one.
    Prepare,
    /// A participant's YES or NO.
    Vote,
    /// 2PC phase two: commit or abort.
    Decision,
    /// A participant applied the decision.
    DecisionAck,
    /// An in-doubt participant asks for the decision.
    QueryDecision,
    /// A failover's new primary and epoch.
    NewEpoch,
    /// A primary's snapshot for a replica behind its log's compaction point.
    InstallSnapshot,
}

impl MsgKind {
    /// Every kind, in a fixed order (bit `i` of a filter mask is `ALL[i]`).
    pub const ALL: [MsgKind; 12] = [
        MsgKind::Heartbeat,
        MsgKind::Replicate,
        MsgKind::ReplicateAck,
        MsgKind::Request,
        MsgKind::Response,
        MsgKind::Prepare,
        MsgKind::Vote,
        MsgKind::Decision,
        MsgKind::DecisionAck,
        MsgKind::QueryDecision,
        MsgKind::NewEpoch,
        MsgKind::InstallSnapshot,
    ];

    /// The name the page shows.
    pub fn label(self) -> &'static str {
        match self {
            MsgKind::Heartbeat => "heartbeat",
            MsgKind::Replicate => "replicate",
            MsgKind::ReplicateAck => "replicate-ack",
            MsgKind::Request => "client request",
            MsgKind::Response => "client response",
            MsgKind::Prepare => "PREPARE",
            MsgKind::Vote => "VOTE",
            MsgKind::Decision => "COMMIT/ABORT",
            MsgKind::DecisionAck => "ACK",
            MsgKind::QueryDecision => "decision query",
            MsgKind::NewEpoch => "new epoch",
            MsgKind::InstallSnapshot => "install snapshot",
        }
    }
}

impl Msg {
    /// The message's kind.
    pub(crate) fn kind(&self) -> MsgKind {
        match self {
            Msg::Heartbeat { .. } => MsgKind::Heartbeat,
            Msg::Replicate { .. } => MsgKind::Replicate,
            Msg::ReplicateAck { .. } => MsgKind::ReplicateAck,
            Msg::InstallSnapshot { .. } => MsgKind::InstallSnapshot,
            Msg::Request { .. } => MsgKind::Request,
            Msg::Response { .. } => MsgKind::Response,
            Msg::Prepare { .. } => MsgKind::Prepare,
            Msg::Vote { .. } => MsgKind::Vote,
            Msg::Decision { .. } => MsgKind::Decision,
            Msg::DecisionAck { .. } => MsgKind::DecisionAck,
            Msg::QueryDecision { .. } => MsgKind::QueryDecision,
            // The fencing round is part of a failover: shown as epoch traffic.
            Msg::NewEpoch { .. }
            | Msg::FenceQuery { .. }
            | Msg::FenceReply { .. }
            | Msg::FenceStatus { .. }
            | Msg::FenceRelease { .. } => MsgKind::NewEpoch,
        }
    }

    /// The transaction a 2PC message belongs to.
    pub(crate) fn txn(&self) -> Option<TxnId> {
        match self {
            Msg::Prepare { txn, .. }
            | Msg::Vote { txn, .. }
            | Msg::Decision { txn, .. }
            | Msg::DecisionAck { txn, .. }
            | Msg::QueryDecision { txn, .. } => Some(*txn),
            _ => None,
        }
    }
}
