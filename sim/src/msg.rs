//! Messages between DCs. Invariant: every byte of state that crosses a link travels in one
//! of these; a node learns nothing about another node except through them.

use super::detector::PeerState;
use super::ids::{DcId, ReqId, ShardId, TableId, TxnId};
use super::table::{Epoch, LogEntry, LogPos, Pk, Row, WriteOp};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// A shard whose primary a failover moved, gossiped in heartbeats so every DC — and a
/// revived one — learns the newest epoch.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShardInfo {
    pub table: TableId,
    pub shard: ShardId,
    pub epoch: Epoch,
    pub primary: DcId,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServerOp {
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

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpError {
    /// The receiver is not the shard's primary; it believes `hint` is.
    NotPrimary {
        hint: DcId,
    },
    /// A 2PC transaction holds a lock on the key.
    Locked {
        txn: TxnId,
    },
    /// The primary lost its role (a newer epoch exists) before the write was acknowledged;
    /// the write may or may not survive.
    Fenced,
    /// Nothing answered in time.
    Timeout,
    /// The client's home DC is down or no replica is reachable.
    Unavailable(String),
    Aborted(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpResult {
    Row(Option<Row>),
    /// `copies`: how many DCs held the write when it was acknowledged.
    Written {
        pos: LogPos,
        write_id: u64,
        copies: u8,
    },
    Rows(Vec<(Pk, Row)>),
    Err(OpError),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// The payload is shared (`Rc`), not copied, between the copies sent to each peer.
    Heartbeat {
        /// The sender's detector view.
        view: Rc<[(DcId, PeerState)]>,
        /// Shards with a failover epoch, as the sender knows them.
        epochs: Rc<[ShardInfo]>,
        /// The sender's last log position of every shard it stores, sorted by shard.
        positions: Rc<[((TableId, ShardId), LogPos)]>,
    },
    Replicate {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
        prev: LogPos,
        entries: Vec<LogEntry>,
        /// The primary's last index: a replica drops older-epoch entries beyond it.
        last: u64,
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
    },
    Request {
        req: ReqId,
        op: ServerOp,
    },
    Response {
        req: ReqId,
        result: OpResult,
    },
    Prepare {
        txn: TxnId,
        writes: Vec<(WriteOp, u64)>,
    },
    Vote {
        txn: TxnId,
        yes: bool,
        reason: String,
    },
    Decision {
        txn: TxnId,
        commit: bool,
    },
    DecisionAck {
        txn: TxnId,
    },
    QueryDecision {
        txn: TxnId,
    },
    NewEpoch {
        table: TableId,
        shard: ShardId,
        epoch: Epoch,
        primary: DcId,
    },
}

/// The kind of a message, for colouring and filtering in the UI.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MsgKind {
    Heartbeat,
    Replicate,
    ReplicateAck,
    Request,
    Response,
    Prepare,
    Vote,
    Decision,
    DecisionAck,
    QueryDecision,
    NewEpoch,
}

impl MsgKind {
    pub const ALL: [MsgKind; 11] = [
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
    ];

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
        }
    }
}

impl Msg {
    pub fn kind(&self) -> MsgKind {
        match self {
            Msg::Heartbeat { .. } => MsgKind::Heartbeat,
            Msg::Replicate { .. } => MsgKind::Replicate,
            Msg::ReplicateAck { .. } => MsgKind::ReplicateAck,
            Msg::Request { .. } => MsgKind::Request,
            Msg::Response { .. } => MsgKind::Response,
            Msg::Prepare { .. } => MsgKind::Prepare,
            Msg::Vote { .. } => MsgKind::Vote,
            Msg::Decision { .. } => MsgKind::Decision,
            Msg::DecisionAck { .. } => MsgKind::DecisionAck,
            Msg::QueryDecision { .. } => MsgKind::QueryDecision,
            Msg::NewEpoch { .. } => MsgKind::NewEpoch,
        }
    }

    /// The transaction a 2PC message belongs to.
    pub fn txn(&self) -> Option<TxnId> {
        match self {
            Msg::Prepare { txn, .. }
            | Msg::Vote { txn, .. }
            | Msg::Decision { txn, .. }
            | Msg::DecisionAck { txn }
            | Msg::QueryDecision { txn } => Some(*txn),
            _ => None,
        }
    }
}
