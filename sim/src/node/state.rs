//! A node's state, as data: what survives a crash (`Durable`) and what does not
//! (`Volatile`), with the sub-state each mechanism keeps.
//!
//! Invariants: `Volatile` is always rebuildable from `Durable` (recovery starts from
//! `Volatile::default()`); nothing here has behaviour — the mechanisms in the sibling
//! modules change it, only from a node's handlers. Kept apart from `Node` so the
//! mechanisms and the node import it without importing each other.

use super::detector::Detector;
use crate::fp::Shared;
use crate::ids::{DcId, ReqId, TxnId};
use crate::table::{Epoch, LogPos, Pk, Row, ShardStore};
use crate::time::SimTime;
pub(crate) use crate::vecmap::{DequeMap, ShardMap, VecMap, VecSet};
use crate::vocab::{ClientOp, CoordState, PeerState, ShardInfo, ShardKey};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// Who leads a shard, as one DC knows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShardMeta {
    /// The epoch the primary leads in.
    pub epoch: Epoch,
    /// The shard's primary.
    pub primary: DcId,
}

/// The shard metadata (`ShardMap<ShardMeta>`), with a generation counter bumped by every
/// mutable access: a cache of something computed from the metadata (see
/// `heartbeat::HbCache`) is still valid while the generation it was computed at is
/// current. Reads go through `Deref`; the counter is not part of the state (not hashed),
/// only a witness that the map has not changed.
#[derive(Clone, Debug, Default)]
pub(crate) struct MetaMap {
    map: ShardMap<ShardMeta>,
    gen: u64,
}

impl MetaMap {
    /// Bumped by every mutable access (never goes back in one node's lineage).
    pub(crate) fn gen(&self) -> u64 {
        self.gen
    }

    pub(crate) fn get_mut(&mut self, key: &ShardKey) -> Option<&mut ShardMeta> {
        self.gen += 1;
        self.map.get_mut(key)
    }

    pub(crate) fn insert(&mut self, key: ShardKey, value: ShardMeta) -> Option<ShardMeta> {
        self.gen += 1;
        self.map.insert(key, value)
    }

    pub(crate) fn clear(&mut self) {
        self.gen += 1;
        self.map.clear();
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&ShardKey, &mut ShardMeta)> {
        self.gen += 1;
        self.map.iter_mut()
    }
}

impl std::ops::Deref for MetaMap {
    type Target = ShardMap<ShardMeta>;

    fn deref(&self) -> &ShardMap<ShardMeta> {
        &self.map
    }
}

/// Hashed as the map alone (the explorer's fingerprints do not see the counter).
impl Hash for MetaMap {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.map.hash(state);
    }
}

/// What survives a crash.
#[derive(Clone, Debug, Default, Hash)]
pub(crate) struct Durable {
    /// Each copy shared copy-on-write (`Shared`): a clone of the node (a timeline
    /// checkpoint, an explorer branch) copies only the shards it later changes.
    /// (`ShardMap`: looked up per message, a few shards of hundreds.)
    pub(crate) stores: ShardMap<Shared<ShardStore>>,
    pub(crate) meta: MetaMap,
    /// The coordinator's records of transactions not yet ended (see `Node::forget_ended`).
    pub(crate) coord: VecMap<TxnId, CoordRecord>,
    /// Transactions this coordinator committed and ended: all that is left of their
    /// records, because a participant may still ask (see `Node::forget_ended`) — with,
    /// per participant shard, who acknowledged the decision and its entry's position,
    /// until every copy holds it (`Node::forget_replicated`).
    pub(crate) committed: VecMap<TxnId, Vec<(ShardKey, DcId, LogPos)>>,
    /// Failover fences this DC promised (see `failover`): no entry of an older epoch is
    /// accepted for the shard before the instant given. Durable: a promise survives a crash.
    pub(crate) fences: ShardMap<(Epoch, SimTime)>,
    /// Shard copies of earlier layouts, kept when a membership change found this DC down
    /// (a down DC's durable state is never erased; nothing serves from these).
    pub(crate) retired: Vec<ShardMap<Shared<ShardStore>>>,
}

/// What a crash forgets.
#[derive(Clone, Debug, Default, Hash)]
pub(crate) struct Volatile {
    pub(crate) detector: Detector,
    /// The latest view each peer gossiped, as received (sorted by DC, one entry each; the
    /// heartbeat's shared list, not a copy).
    pub(crate) gossip: VecMap<DcId, std::rc::Rc<[(DcId, PeerState)]>>,
    /// Each peer's last gossiped log positions (sorted by shard).
    pub(crate) progress: VecMap<DcId, std::rc::Rc<[(ShardKey, LogPos)]>>,
    pub(crate) primaries: ShardMap<PrimaryState>,
    /// Requests in flight from this frontend (`DequeMap`: ids grow, the oldest leave first).
    pub(crate) pending: DequeMap<ReqId, PendingReq>,
    pub(crate) outstanding: VecMap<DcId, u32>,
    pub(crate) round_robin: u64,
    pub(crate) coord: VecMap<TxnId, CoordVolatile>,
    /// Intents of shards this DC leads whose decision is overdue: when it last asked the
    /// coordinator (the participant is in doubt from the first ask on).
    pub(crate) asked: VecMap<(ShardKey, TxnId), SimTime>,
    /// Failovers this DC leads that wait for enough fenced replicas (see `failover`).
    pub(crate) promotions: VecMap<ShardKey, Promotion>,
    /// Per shard, the newest term a refused fencing round reported: the next round's
    /// epoch goes above it.
    pub(crate) term_floor: VecMap<ShardKey, u32>,
    /// When this DC (re)started: it answers no fencing round for a lease after.
    pub(crate) booted: SimTime,
    /// Per peer, when its newest heartbeat arrived and when that heartbeat was sent.
    pub(crate) hb_recv: VecMap<DcId, (SimTime, SimTime)>,
    /// Per peer, the shards its newest heartbeat said it is fenced for.
    pub(crate) peer_fenced: VecMap<DcId, std::rc::Rc<[ShardKey]>>,
    /// Per (shard this DC leads, replica): the epoch and the echoed send instant the
    /// replica vouched for (see `lease`).
    pub(crate) lease_echo: VecMap<(ShardKey, DcId), (Epoch, SimTime)>,
    /// Derived from the state above, never part of it (see `HbCache`).
    pub(crate) hb_cache: HbCache,
}

/// What the heartbeat handlers computed from the shard metadata, kept so an unchanged
/// input is not walked again (every DC hears 2 × (N − 1) heartbeats a second, each of
/// which walked every shard's metadata twice: hundreds of shards at 16 DCs). Not part of
/// the state: not hashed, and every entry is a pure function of what it is keyed by
/// (a list's contents, `MetaMap::gen`, `lease_echo`'s length, which only grows while
/// this cache lives: both live in `Volatile`), so using it changes no behaviour.
#[derive(Clone, Debug, Default)]
pub(crate) struct HbCache {
    /// The gossiped epochs this DC last sent, and the metadata generation they were
    /// built at: sent again, the same list (`Rc`), while the metadata is unchanged.
    pub(crate) sent_epochs: Option<(u64, Rc<[ShardInfo]>)>,
    /// Per peer, its last heartbeat that brought no newer epoch.
    pub(crate) seen: VecMap<DcId, HbSeen>,
}

/// A peer's heartbeat that brought no newer epoch, and the `lease_echo` slots its echo
/// updated (`note_echo`): the same lists at the same generation update the same slots.
#[derive(Clone, Debug)]
pub(crate) struct HbSeen {
    pub(crate) epochs: Rc<[ShardInfo]>,
    pub(crate) fenced: Rc<[ShardKey]>,
    pub(crate) gen: u64,
    pub(crate) echo_len: usize,
    /// Index into `lease_echo` and this DC's epoch of each shard the heartbeat vouched for.
    pub(crate) slots: Vec<(u32, Epoch)>,
}

impl Hash for HbCache {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// Up or down; a down node handles nothing.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum NodeStatus {
    Up,
    Down,
}

// ------------------------------------------------------------------ replication

/// The primary's bookkeeping for one shard.
#[derive(Clone, Debug, Default, Hash)]
pub(crate) struct PrimaryState {
    /// Highest index each replica is known to hold: raised only by a successful answer,
    /// which covers exactly what that batch proved to match. Copies are counted from it.
    pub(crate) match_index: VecMap<DcId, u64>,
    /// Where to probe a replica after it refused a batch (Raft's nextIndex − 1): its own
    /// log end or divergence point. A hint, never counted as held — the replica's log up
    /// to there may be a deposed primary's entries.
    pub(crate) probe: VecMap<DcId, u64>,
    /// Client writes waiting for enough copies, by log index.
    pub(crate) pending: VecMap<u64, PendingAck>,
    /// Replicas that have acknowledged this primary in its epoch (until then they are
    /// sent a batch even when nothing is new, so they can drop a stale suffix).
    pub(crate) confirmed: VecSet<DcId>,
    /// Replicas that answered this primary in its epoch: one whose answer put it below
    /// the compaction point is sent a snapshot, one never heard is probed first.
    pub(crate) heard: VecSet<DcId>,
    /// Replicas that reported a copy diverged below their own compaction point.
    pub(crate) need_snapshot: VecSet<DcId>,
    /// When each replica was last sent a snapshot (resent after a round trip).
    pub(crate) snapshot_sent: VecMap<DcId, SimTime>,
}

/// Who is waiting for a write to reach enough copies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum AckTo {
    /// A client request (through its frontend DC).
    Client { dst: DcId, req: ReqId },
    /// This participant shard's YES vote, once its PREPARE entry is durable.
    Vote { txn: TxnId, coordinator: DcId },
    /// This participant shard's DecisionAck, once its COMMIT / ABORT entry is durable.
    Decided { txn: TxnId, coordinator: DcId },
}

/// A write waiting for copies.
#[derive(Clone, Debug, Hash)]
pub(crate) struct PendingAck {
    pub(crate) to: AckTo,
    pub(crate) pos: LogPos,
    pub(crate) write_id: u64,
    /// Acknowledgements received covering it, duplicates included (counted only with
    /// `Bugs::duplicate_ack_counted_twice`).
    pub(crate) acks: u8,
}

// ------------------------------------------------------------------ failover

/// A failover in its fencing round: the epoch it will issue, the primary it replaces, and
/// each fenced replica's last position and how long its fence holds.
#[derive(Clone, Debug, Hash)]
pub(crate) struct Promotion {
    pub(crate) epoch: Epoch,
    pub(crate) old: DcId,
    pub(crate) heard: VecMap<DcId, (LogPos, SimTime)>,
}

// ------------------------------------------------------------------ client front end

/// What a frontend waits for, per kind of request.
#[derive(Clone, Debug, Hash)]
pub(crate) enum PendingKind {
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
        waiting: VecSet<DcId>,
        rows: Vec<(Pk, Row)>,
    },
    /// A transaction: the coordinator here answers when it ends.
    Txn,
}

/// A client request the frontend has not answered yet.
#[derive(Clone, Debug, Hash)]
pub(crate) struct PendingReq {
    /// Shared with the checker's invocation record (see `Sim::issue`).
    pub(crate) op: Rc<ClientOp>,
    pub(crate) invoked: SimTime,
    pub(crate) kind: PendingKind,
}

// ------------------------------------------------------------------ two-phase commit

/// The coordinator's durable record of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CoordRecord {
    pub(crate) req: ReqId,
    pub(crate) started: SimTime,
    /// The participant shards and the writes each gets.
    pub(crate) participants: VecMap<ShardKey, crate::table::TxnWrites>,
    pub(crate) state: CoordState,
    /// The decision, once there is one (kept after `Ended`).
    pub(crate) commit: Option<bool>,
}

/// What the coordinator forgets in a crash.
#[derive(Clone, Debug, Default, Hash)]
pub(crate) struct CoordVolatile {
    /// Each shard's vote, the copies its PREPARE had when it voted YES, and who voted.
    pub(crate) votes: VecMap<ShardKey, (bool, u8, DcId)>,
    /// Shards that acknowledged the decision: who did, the copies its entry had, and
    /// where the entry is (see `Msg::DecisionAck`).
    pub(crate) acks: VecMap<ShardKey, (DcId, u8, LogPos)>,
    /// A decision already sent but not yet in the durable record (only with
    /// `Bugs::decision_sent_before_persisted`).
    pub(crate) unlogged: Option<bool>,
}
