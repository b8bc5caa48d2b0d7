//! A datacenter as a sans-IO state machine.
//!
//! Invariants: a `Node` changes only in its own methods — the handlers `on_message`,
//! `on_timer`, `on_client`, the lifecycle `start`, `crash` and `recover`, and the
//! administrative `adopt_layout` and `forget_peer` the world calls on a membership change;
//! it never sends anything itself, it appends effects to an `Out` that the world routes.
//! State is split in two (see `state`): `Durable` survives a crash (shard logs, epochs,
//! 2PC records), `Volatile` does not and is rebuilt from `Durable` on recovery.
//!
//! One child per mechanism, each an `impl Node` block over the shared state:
//! `client` (front end and serving), `replication`, `heartbeat`, `failover`, `txn` (2PC),
//! `balancer` (read routing); `detector` and `state` are plain data they share.

mod balancer;
mod client;
mod detector;
mod failover;
mod heartbeat;
mod lease;
mod replication;
mod state;
mod txn;

pub use state::ShardMeta;

use crate::config::{ReplicationMode, SimConfig};
use crate::ids::{DcId, ShardId, TableId, TxnId};
use crate::placement::Placement;
use crate::table::{with_partition_text, Epoch, Pk, ShardStore};
use crate::time::SimTime;
use crate::vecmap::VecMap;
use crate::vocab::{Msg, OpError, OpResult, Out, PeerState, ShardKey, Timer};
use detector::Detector;
use serde::{Deserialize, Serialize};
use state::{Durable, NodeStatus, PendingKind, Volatile};

/// Deliberately broken protocol variants. They exist only so tests can show the checker
/// catches each kind of bug; the page never turns them on.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
// A scenario file or lesson names only the flags it sets.
#[serde(default, deny_unknown_fields)]
pub struct Bugs {
    /// The coordinator commits on the first YES vote.
    pub commit_without_all_votes: bool,
    /// Primaries acknowledge writes before replicating them, whatever the mode.
    pub ack_before_sync: bool,
    /// A revived DC does not replay its 2PC records.
    pub skip_log_replay_on_revive: bool,
    /// Replicas append whatever they are sent without checking the entry before it.
    pub replica_skips_prev_check: bool,
    /// A quorum read returns the first answer instead of the newest of a majority.
    pub quorum_read_takes_first: bool,
    /// A 2PC participant votes YES as soon as its PREPARE is in its own log, before the
    /// entry has the copies its table's mode needs (a participant that is one DC).
    pub vote_before_prepare_is_durable: bool,
    /// A membership or placement change copies each shard from any up DC that believes it
    /// is the primary (a deposed one may), not from the newest copy by (epoch, index).
    pub copy_from_any_believed_primary: bool,
    /// Failover promotes at once from gossiped positions in every mode, without a fencing
    /// round that hears from enough replicas to intersect every write quorum.
    pub promote_without_quorum_intersection: bool,
    /// A primary serves `Owner` reads without a read lease (a deposed primary that has not
    /// heard of its successor serves stale rows).
    pub owner_reads_without_lease: bool,
    /// A snapshot install carries the rows of the compacted prefix but not its prepared
    /// intents and their locks: a replica that installs it while a transaction is
    /// undecided forgets that transaction's PREPARE.
    pub snapshot_without_intents: bool,
    /// At END the coordinator forgets a COMMIT whole, as it forgets an ABORT: a
    /// participant copy that kept the PREPARE but lost the COMMIT entry in a failover asks
    /// again and hears ABORT (presumed abort) for a committed transaction.
    pub forget_commits: bool,
    /// The coordinator forgets a committed id once the primary that acknowledged each
    /// shard's COMMIT is seen holding it, not every replica: a replica that kept only the
    /// PREPARE, promoted after that primary dies, asks and hears ABORT (presumed abort).
    pub forget_commit_when_primary_holds_it: bool,
    /// A primary applies an answer to its query (`Msg::Decision { asked }`) although it
    /// holds the intent no more: an answer delayed past the coordinator's
    /// `forget_replicated` (presumed ABORT) is reported as the shard aborting a
    /// transaction it committed.
    pub stale_decision_applied: bool,
    /// A PREPARE's low-water mark makes the primary forget that coordinator's intents
    /// below it as well as its decisions: a copy that kept only the PREPARE of an ended,
    /// committed transaction through a failover drops it instead of asking.
    pub mark_forgets_intents: bool,
    /// A prepared participant whose decision is overdue commits on its own instead of
    /// staying in doubt and asking the coordinator (breaks: having voted YES, a shard
    /// never decides alone).
    pub participant_commits_on_timeout: bool,
    /// The coordinator sends its COMMIT / ABORT before the decision is in its durable
    /// record (logged on the next event): a crash in between forgets it, and recovery
    /// presumes abort for a transaction a participant may already have committed (breaks:
    /// the decision is written durably before it is sent).
    pub decision_sent_before_persisted: bool,
    /// A primary counts a write's copies by the acknowledgements it received, not by the
    /// distinct replicas that hold it: a replica that answers a resent batch again counts
    /// twice toward the mode's copies (breaks: copies are counted per replica).
    pub duplicate_ack_counted_twice: bool,
    /// A replica that sees its shard's primary dead (a cut link suffices) takes over at
    /// once in the same epoch: no majority of views, no fencing round, no new epoch — so
    /// two DCs act as primary of the shard in one epoch (breaks: a failover needs a
    /// majority and issues a new epoch, one primary per shard and epoch).
    pub two_primaries_after_cut: bool,
    /// The seed's replication (`_replicate_data` in its Python sketch: `for data_center
    /// in self.data_centers: if data_center != self.data_centers[0]:
    /// data_center.store(data)`, run on a thread nobody waits for): a primary never ships
    /// its log to DC0 and counts DC0 as holding every entry (breaks: a copy counts only
    /// once the replica holding it has acknowledged it).
    pub replication_skips_dc0: bool,
}

impl Bugs {
    /// The names of the flags set (their scenario-file keys), alphabetically: what
    /// the page shows so a broken run never passes for the real protocol.
    pub fn set_names(&self) -> Vec<String> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m
                .into_iter()
                .filter(|(_, v)| v.as_bool() == Some(true))
                .map(|(k, _)| k)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A new layout, as a membership or placement change installs it on every node.
pub(crate) struct Layout {
    /// The layout's epoch: above every epoch that exists anywhere.
    pub(crate) epoch: Epoch,
    /// Each new shard's copy (the newest copy of each of its rows).
    pub(crate) copies: VecMap<ShardKey, ShardStore>,
    /// Each new shard's primary: a replica that is up and receives the copy.
    pub(crate) primaries: VecMap<ShardKey, DcId>,
}

/// Everything a node may read besides its own state: configuration, placement, and the
/// latency table (a stand-in for RTTs a real DC would measure).
pub(crate) struct Ctx<'a> {
    pub(crate) now: SimTime,
    pub(crate) cfg: &'a SimConfig,
    pub(crate) placement: &'a Placement,
    latency: &'a crate::net::Latency,
}

impl<'a> Ctx<'a> {
    /// The one way a context is made (the world borrows just these parts of itself).
    pub(crate) fn new(
        now: SimTime,
        cfg: &'a SimConfig,
        placement: &'a Placement,
        latency: &'a crate::net::Latency,
    ) -> Ctx<'a> {
        Ctx {
            now,
            cfg,
            placement,
            latency,
        }
    }

    pub(crate) fn mode(&self, table: TableId) -> ReplicationMode {
        self.cfg
            .tables
            .get(table.0 as usize)
            .map(|t| t.mode)
            .unwrap_or(ReplicationMode::Async)
    }

    pub(crate) fn shard_of(&self, pk: &Pk) -> ShardId {
        with_partition_text(pk, |t| self.placement.shard_of_cached(t))
    }

    pub(crate) fn latency(&self, a: DcId, b: DcId) -> u32 {
        if a == b {
            0
        } else {
            self.latency.get(&(a, b)).unwrap_or(u32::MAX)
        }
    }
}

/// One datacenter (Clone for the timeline's checkpoints and the explorer's branches;
/// Hash for the explorer: a state is the nodes' state).
#[derive(Clone, Hash)]
pub(crate) struct Node {
    pub(crate) id: DcId,
    status: NodeStatus,
    /// Bumped on every crash so timers armed before it are ignored.
    pub(crate) incarnation: u32,
    pub(crate) durable: Durable,
    pub(crate) vol: Volatile,
    /// Deliberate protocol bugs, used only to prove the checker can see them.
    bugs: Bugs,
}

impl Node {
    /// A node that knows the placement but has not started its timers (see `start`).
    pub(crate) fn new(id: DcId, ctx: &Ctx, bugs: Bugs) -> Node {
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
    fn install_placement(&mut self, ctx: &Ctx) {
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

    pub(crate) fn is_up(&self) -> bool {
        self.status == NodeStatus::Up
    }

    pub(crate) fn peers<'a>(&self, ctx: &'a Ctx) -> impl Iterator<Item = DcId> + 'a {
        let me = self.id;
        ctx.placement
            .members
            .iter()
            .map(|m| m.id)
            .filter(move |&d| d != me)
    }

    /// Timers every running node keeps.
    pub(crate) fn start(&mut self, ctx: &Ctx, out: &mut Out) {
        self.vol.detector = Detector::new(ctx.now, self.peers(ctx));
        self.vol.booted = ctx.now;
        // Stagger by id so heartbeats do not all leave at the same millisecond.
        let hb = ctx.cfg.heartbeat_interval_ms;
        out.timer(1 + (self.id.0 as u64 * 37) % hb, Timer::Heartbeat);
        let ri = ctx.cfg.replication_interval_ms;
        out.timer(1 + (self.id.0 as u64 * 53) % ri, Timer::ReplicationTick);
    }

    pub(crate) fn crash(&mut self) {
        self.status = NodeStatus::Down;
        self.incarnation += 1;
        self.vol = Volatile::default();
    }

    /// Restarts from the durable state: the detector starts fresh, 2PC records are
    /// replayed (see `txn::replay_txn_log`).
    pub(crate) fn recover(&mut self, ctx: &Ctx, out: &mut Out) {
        self.status = NodeStatus::Up;
        self.vol = Volatile::default();
        self.start(ctx, out);
        if !self.bugs.skip_log_replay_on_revive {
            self.replay_txn_log(ctx, out);
        }
    }

    /// A membership or placement change (stop-the-world, see `admin`): leave every
    /// primary role (clients still waiting for copies are told `Fenced`: outcome unknown,
    /// their write may be in the new layout), adopt the new placement in `layout.epoch`
    /// with the primaries it names, and take the new copies. A DC that is up replaces its
    /// old copies (their newest content is in the new copies); a DC that is down keeps its
    /// old copies aside, untouched (`retired`), and starts the new shards empty — it
    /// catches up by log shipping when revived, and an empty log can never pose as the
    /// layout's log because the primaries are up DCs that hold the copies.
    pub(crate) fn adopt_layout(&mut self, ctx: &Ctx, layout: &Layout, out: &mut Out) {
        let leading: Vec<ShardKey> = self.vol.primaries.keys().copied().collect();
        for key in leading {
            self.step_down(ctx, key, layout.epoch, self.id, out);
        }
        let old = std::mem::take(&mut self.durable.stores);
        if !self.is_up() && old.values().any(|s| s.last_index() > 0) {
            self.durable.retired.push(old);
        }
        self.install_placement(ctx);
        for (key, m) in self.durable.meta.iter_mut() {
            m.epoch = layout.epoch;
            if let Some(&p) = layout.primaries.get(key) {
                m.primary = p;
            }
        }
        if self.is_up() {
            for (key, store) in self.durable.stores.iter_mut() {
                *store = layout
                    .copies
                    .get(key)
                    .cloned()
                    .map(crate::fp::Shared::new)
                    .unwrap_or_default();
            }
        }
        // A DC that joins is introduced as alive (as a removed one is forgotten): unknown
        // peers count as dead, which would make Sync primaries skip the new replica and
        // the failover leader fail its shards over before its first heartbeat.
        if self.is_up() {
            let joined: Vec<DcId> = self.peers(ctx).collect();
            for p in joined {
                if !self.vol.detector.knows(p) {
                    let _ = self.vol.detector.heard(ctx.now, p);
                }
            }
        }
        // Fences, rounds and gossip were about the old shards (and below this epoch).
        self.durable.fences.clear();
        self.vol.promotions.clear();
        self.vol.term_floor.clear();
        self.vol.primaries.clear();
        self.vol.progress.clear();
        let mine = self.led_shards();
        if self.is_up() {
            for key in mine {
                self.vol
                    .primaries
                    .insert(key, state::PrimaryState::default());
            }
        }
    }

    /// The newest term this DC has seen anywhere in its durable state (epochs it follows,
    /// fences it promised, entries it stores, retired copies included).
    pub(crate) fn max_term(&self) -> u32 {
        let metas = self.durable.meta.values().map(|m| m.epoch.term);
        let fences = self.durable.fences.values().map(|f| f.0.term);
        let logs = self
            .durable
            .stores
            .values()
            .chain(self.durable.retired.iter().flat_map(|r| r.values()))
            .map(|s| s.max_term());
        metas.chain(fences).chain(logs).max().unwrap_or(0)
    }

    /// Transactions this DC still has work for: as coordinator (not yet ended — which
    /// covers a commit still replicating at a participant), or an intent (a PREPARE
    /// without its decision) in any shard copy it holds.
    pub(crate) fn open_txns(&self) -> Vec<TxnId> {
        let coord = self
            .durable
            .coord
            .iter()
            .filter(|(_, r)| r.state != crate::vocab::CoordState::Ended)
            .map(|(t, _)| *t);
        let intents = self
            .durable
            .stores
            .values()
            .flat_map(|s| s.intents.keys().copied());
        coord.chain(intents).collect()
    }

    /// `peer` left the membership: stop watching it and drop what it gossiped.
    pub(crate) fn forget_peer(&mut self, peer: DcId) {
        self.vol.detector.forget(peer);
        self.vol.gossip.remove(&peer);
    }

    pub(crate) fn meta(&self, key: ShardKey) -> Option<&ShardMeta> {
        self.durable.meta.get(&key)
    }

    /// The shards this DC believes it leads.
    pub(crate) fn led_shards(&self) -> Vec<ShardKey> {
        self.durable
            .meta
            .iter()
            .filter(|(_, m)| m.primary == self.id)
            .map(|(k, _)| *k)
            .collect()
    }

    pub(crate) fn is_primary(&self, key: ShardKey) -> bool {
        self.meta(key)
            .map(|m| m.primary == self.id)
            .unwrap_or(false)
    }

    pub(crate) fn primary_of(&self, key: ShardKey) -> DcId {
        self.meta(key).map(|m| m.primary).unwrap_or(self.id)
    }

    pub(crate) fn view_of(&self, peer: DcId) -> PeerState {
        if peer == self.id {
            PeerState::Alive
        } else {
            self.vol.detector.state(peer)
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out) {
        match timer {
            Timer::Heartbeat => {
                self.heartbeat_tick(ctx, out);
                self.failover_tick(ctx, out);
                self.txn_tick(ctx, out);
                self.forget_replicated(ctx);
                out.timer(ctx.cfg.heartbeat_interval_ms, Timer::Heartbeat);
            }
            Timer::ReplicationTick => {
                self.replication_tick(ctx, out);
                out.timer(ctx.cfg.replication_interval_ms, Timer::ReplicationTick);
            }
            Timer::Request(req) => {
                if let Some(p) = self.vol.pending.remove(&req) {
                    if let PendingKind::Single { target, .. } = p.kind {
                        self.dec_outstanding(target);
                    }
                    out.fact(crate::vocab::Fact::OpDone {
                        req,
                        op: p.op,
                        invoked: p.invoked,
                        result: OpResult::Err(OpError::Timeout),
                        served_by: None,
                    });
                }
            }
            Timer::TxnVotes(txn) => self.coord_vote_timeout(txn, out),
            Timer::TxnResend(txn) => self.coord_resend(ctx, txn, out),
        }
    }

    pub(crate) fn on_message(&mut self, ctx: &Ctx, from: DcId, msg: Msg, out: &mut Out) {
        match msg {
            Msg::Heartbeat(hb) => self.on_heartbeat(ctx, from, hb, out),
            Msg::Replicate {
                table,
                shard,
                epoch,
                prev,
                entries,
                last,
                compact,
            } => self.on_replicate(
                ctx,
                from,
                (table, shard),
                epoch,
                prev,
                entries,
                last,
                compact,
                out,
            ),
            Msg::InstallSnapshot {
                table,
                shard,
                epoch,
                store,
            } => self.on_install_snapshot(ctx, from, (table, shard), epoch, store, out),
            Msg::ReplicateAck {
                table,
                shard,
                epoch,
                primary,
                ok,
                last,
                need_snapshot,
            } => self.on_replicate_ack(
                ctx,
                from,
                (table, shard),
                epoch,
                primary,
                ok,
                last,
                need_snapshot,
                out,
            ),
            Msg::Request { req, op } => self.serve(ctx, from, req, op, out),
            Msg::Response { req, result } => self.on_response(ctx, from, req, result, out),
            Msg::Prepare {
                txn,
                key,
                writes,
                low,
            } => self.on_prepare(ctx, from, txn, key, writes, low, out),
            Msg::Vote {
                txn,
                key,
                yes,
                copies,
                ..
            } => self.on_vote(from, txn, key, yes, copies, out),
            Msg::Decision {
                txn,
                key,
                commit,
                asked,
            } => self.on_decision(ctx, from, txn, key, commit, asked, out),
            Msg::DecisionAck {
                txn,
                key,
                copies,
                at,
            } => self.on_decision_ack(from, txn, key, copies, at, out),
            Msg::QueryDecision { txn, key } => self.on_query_decision(from, txn, key, out),
            Msg::NewEpoch {
                table,
                shard,
                epoch,
                primary,
            } => self.adopt_epoch(ctx, (table, shard), epoch, primary, out),
            Msg::FenceQuery {
                table,
                shard,
                epoch,
            } => self.on_fence_query(ctx, from, (table, shard), epoch, out),
            Msg::FenceReply {
                table,
                shard,
                epoch,
                ok,
                last,
                until,
            } => self.on_fence_reply(ctx, from, (table, shard), epoch, ok, last, until, out),
            Msg::FenceStatus {
                table,
                shard,
                epoch,
            } => self.on_fence_status(from, (table, shard), epoch, out),
            Msg::FenceRelease {
                table,
                shard,
                epoch,
            } => self.on_fence_release((table, shard), epoch),
        }
    }
}
