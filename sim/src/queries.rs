//! Read-only questions about a running simulation (the UI's snapshot is in `snapshot`).
//!
//! Invariant: nothing here changes the simulation; every answer is computed from the
//! world as it is now.

use crate::checker::{Checker, Finding, FindingCounts};
use crate::config::{DcSpec, SimConfig};
use crate::ids::{DcId, ReqId, ShardId, TableId, TxnId};
use crate::net::{Envelope, Network};
use crate::node::{Node, ShardMeta};
use crate::placement::{MoveReport, Placement};
use crate::record::{Breakpoint, Counters, Event, MetricPoint, TxnTrace};
use crate::sim::Sim;
use crate::table::{Epoch, Pk, Row, ShardStore};
use crate::time::SimTime;
use crate::vocab::{PartState, PeerState, ShardKey};
use std::sync::Arc;

/// One DC's share of the shards and of 2PC (see `Sim::dc_loads`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DcLoad {
    /// The DC.
    pub dc: DcId,
    /// Shards it is the live primary of.
    pub primaries: usize,
    /// 2PC participants (in those shards) prepared and waiting for a decision not yet
    /// overdue.
    pub prepared: usize,
    /// 2PC participants (in those shards) in doubt: decision overdue, asking the
    /// coordinator.
    pub in_doubt: usize,
    /// Row locks held for 2PC in those shards.
    pub locks: usize,
}

impl Sim {
    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.world.now
    }

    /// Instant of the next pending event.
    pub fn next_event_at(&self) -> Option<SimTime> {
        self.world.next_at()
    }

    /// Stop `advance_to` at the next instance of `bp` (None: never stop early).
    pub fn set_breakpoint(&mut self, bp: Option<Breakpoint>) {
        self.rec.breakpoint = bp;
    }

    /// The breakpoint set, if any.
    pub fn breakpoint(&self) -> Option<Breakpoint> {
        self.rec.breakpoint
    }

    /// Events processed since the start (for benchmarks).
    pub fn steps(&self) -> u64 {
        self.world.steps
    }

    /// The settings in force.
    pub fn config(&self) -> &SimConfig {
        &self.world.cfg
    }

    /// The run's fingerprint so far.
    pub fn trace_hash(&self) -> u64 {
        self.rec.trace.value()
    }

    /// The live invariant checker.
    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// The checker's newest findings (at most `checker::FINDINGS_CAP`), oldest first;
    /// `finding_counts` counts every one.
    pub fn findings(&self) -> &[Arc<Finding>] {
        &self.checker.findings
    }

    /// Keep the client history for the run report (the default) or not: the page never
    /// reports, so it saves the memory (`checker::HISTORY_CAP` entries).
    pub fn set_keep_history(&mut self, keep: bool) {
        self.checker.skip_history = !keep;
        if !keep {
            self.checker.history = Default::default();
        }
    }

    /// Every finding of the run, counted by kind (dropped ones included).
    pub fn finding_counts(&self) -> &FindingCounts {
        &self.checker.counts
    }

    /// Finding number `index` of the run (as `EventKind::Finding` names it), if still kept.
    pub fn finding(&self, index: usize) -> Option<&Finding> {
        self.checker.finding(index as u64)
    }

    /// Running totals.
    pub fn counters(&self) -> &Counters {
        &self.rec.counters
    }

    /// The event log (the most recent `EVENT_LOG_CAP` events), oldest first.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.rec.events.iter().map(|e| &**e)
    }

    /// The placement in force.
    pub fn placement(&self) -> &Placement {
        &self.world.placement
    }

    /// Every DC of the run, in id order.
    pub fn dc_ids(&self) -> Vec<DcId> {
        self.world.nodes.keys().copied().collect()
    }

    /// Whether DC `d` exists and is up.
    pub fn is_up(&self, d: DcId) -> bool {
        self.world.is_up(d)
    }

    /// `observer`'s own view of `target` (None while `observer` is down or unknown).
    pub fn view(&self, observer: DcId, target: DcId) -> Option<PeerState> {
        let n = self.world.nodes.get(&observer)?;
        if !n.is_up() {
            return None;
        }
        Some(n.view_of(target))
    }

    /// Who `dc` believes leads shard `key`, in which epoch.
    pub fn shard_meta(&self, dc: DcId, key: (TableId, ShardId)) -> Option<&ShardMeta> {
        self.world.nodes.get(&dc)?.meta(key)
    }

    /// The 2PC trace of transaction `t` (if still kept).
    pub fn txn(&self, t: TxnId) -> Option<&TxnTrace> {
        self.rec.txns.get(&t).map(|t| &**t)
    }

    /// The kept 2PC traces, oldest first.
    pub fn txns(&self) -> impl DoubleEndedIterator<Item = &TxnTrace> {
        self.rec.txns.values().map(|t| &**t)
    }

    /// What the last membership change moved.
    pub fn last_moves(&self) -> Option<&MoveReport> {
        self.last_moves.as_ref()
    }

    /// One point per simulated second (the most recent `METRIC_POINTS`).
    pub fn metrics(&self) -> impl Iterator<Item = &MetricPoint> {
        self.rec.metrics.iter().map(|m| &**m)
    }

    /// The messages in flight, by sequence number.
    pub fn in_flight(&self) -> impl Iterator<Item = &Envelope> {
        self.world.net.in_flight.values().map(|e| &**e)
    }

    /// The network: latencies, cut links, messages in flight.
    pub fn network(&self) -> &Network {
        &self.world.net
    }

    /// DC `d`'s name and map position.
    pub fn dc_spec(&self, d: DcId) -> Option<&DcSpec> {
        self.world.dcs.get(&d)
    }

    /// The shard a row with primary key `pk` lives in (in any table).
    pub fn shard_of(&self, pk: &Pk) -> ShardId {
        crate::table::with_partition_text(pk, |t| self.world.placement.shard_of_cached(t))
    }

    /// `dc`'s copy of shard `key` (its retained log, snapshot and rows), if it stores one.
    pub fn store_at(&self, dc: DcId, key: (TableId, ShardId)) -> Option<&ShardStore> {
        self.world
            .nodes
            .get(&dc)?
            .durable
            .stores
            .get(&key)
            .map(|s| &**s)
    }

    /// Over every shard copy every DC stores: the log entries retained, and the entries
    /// the logs would hold without compaction (the sum of their last indexes).
    pub fn log_entries(&self) -> (u64, u64) {
        let stores = self
            .world
            .nodes
            .values()
            .flat_map(|n| n.durable.stores.values());
        stores.fold((0, 0), |(kept, all), s| {
            (kept + s.log.len() as u64, all + s.last_index())
        })
    }

    /// The copy of a row that `dc` stores, if any.
    pub fn row_at(&self, dc: DcId, table: TableId, pk: &Pk) -> Option<&Row> {
        let key = (table, self.shard_of(pk));
        self.world
            .nodes
            .get(&dc)?
            .durable
            .stores
            .get(&key)?
            .rows
            .get(pk)
    }

    /// The shard's primary and epoch as the live DCs know it (newest epoch wins).
    pub fn primary_for(&self, table: TableId, pk: &Pk) -> (DcId, Epoch) {
        let (epoch, primary) = self.current_primary((table, self.shard_of(pk)));
        (primary, epoch)
    }

    /// The shard's primary as the page shows it: the DC the cluster's current epoch names
    /// (`current_primary`: the newest epoch any live DC knows), if that DC is up. `None`
    /// while the named primary is down and no failover has named a live one yet. The one
    /// answer to "who is primary" for every figure the page shows: a down DC is primary
    /// of nothing, and per-DC counts of primaries plus the shards answered `None` add up
    /// to the shard count.
    pub fn live_primary(&self, key: (TableId, ShardId)) -> Option<(Epoch, DcId)> {
        let (epoch, primary) = self.current_primary(key);
        self.world.is_up(primary).then_some((epoch, primary))
    }

    /// Per DC (every DC, in id order): the shards it is live primary of (`live_primary`),
    /// and in those shards the 2PC participants prepared and waiting, the ones in doubt,
    /// and the row locks held. A participant is *in doubt* only once its decision is
    /// overdue (it has prepared, has not learned the decision, its timeout passed and it
    /// is asking the coordinator: the core's `PartState::InDoubt`); before that it is
    /// merely prepared. The one computation behind the DC table and the map; the
    /// per-second in-doubt metric takes `in_doubt_total`, which debug builds check
    /// against this.
    pub fn dc_loads(&self) -> Vec<DcLoad> {
        let mut out: Vec<DcLoad> = self
            .world
            .nodes
            .keys()
            .map(|&dc| DcLoad {
                dc,
                primaries: 0,
                prepared: 0,
                in_doubt: 0,
                locks: 0,
            })
            .collect();
        let p = self.placement();
        let primaries = self.current_primaries();
        for t in 0..self.config().tables.len() as u16 {
            for s in 0..p.shard_count() {
                let key = (TableId(t), ShardId(s));
                let (_, dc) = primaries[t as usize * p.shard_count() as usize + s as usize];
                if !self.world.is_up(dc) {
                    continue;
                }
                let (Some(n), Some(load)) = (
                    self.world.nodes.get(&dc),
                    out.iter_mut().find(|l| l.dc == dc),
                ) else {
                    continue;
                };
                load.primaries += 1;
                for (_, state) in n.intent_states(key) {
                    match state {
                        PartState::InDoubt => load.in_doubt += 1,
                        _ => load.prepared += 1,
                    }
                }
                load.locks += n.durable.stores.get(&key).map_or(0, |st| st.locks.len());
            }
        }
        out
    }

    /// The participants in doubt, summed over every DC: what `dc_loads` counts as
    /// `in_doubt`, from each DC's asked intents rather than a primary search per shard
    /// (the per-second tick reads only this).
    pub(crate) fn in_doubt_total(&self) -> usize {
        let tables = self.config().tables.len() as u16;
        let shards = self.placement().shard_count();
        let n = self
            .world
            .nodes
            .values()
            .filter(|n| n.is_up())
            .flat_map(|n| n.vol.asked.keys().map(move |k| (n, k)))
            .filter(|(n, &(key, txn))| {
                key.0 .0 < tables
                    && key.1 .0 < shards
                    && self.live_primary(key).is_some_and(|(_, dc)| dc == n.id)
                    && n.durable
                        .stores
                        .get(&key)
                        .is_some_and(|s| s.intents.contains_key(&txn))
            })
            .count();
        debug_assert_eq!(n, self.dc_loads().iter().map(|l| l.in_doubt).sum::<usize>());
        n
    }

    /// A client request id's next value (the next op issued gets this id).
    pub fn next_req(&self) -> ReqId {
        ReqId(self.next_req)
    }

    /// How long after a full heal the settled-state invariants must hold: long enough
    /// for every detector to see everyone alive again, decisions to be re-asked, and
    /// replicas to catch up.
    pub fn settle_ms(&self) -> u64 {
        let c = &self.world.cfg;
        2 * c.dead_after_ms + 3 * c.txn_timeout_ms + 3 * c.replication_interval_ms + 2_000
    }

    /// Every transaction some DC still has work for (a coordinator that has not ended
    /// it, a participant prepared or in doubt, or committed writes still replicating), up
    /// or down, in id order. The one answer to "is any transaction unresolved, which ones"
    /// (a membership change is refused while this is not empty).
    pub fn unresolved_txns(&self) -> Vec<TxnId> {
        let mut all: Vec<TxnId> = self
            .world
            .nodes
            .values()
            .flat_map(|n| n.open_txns())
            .collect();
        crate::sort::sort(&mut all);
        all.dedup();
        all
    }

    // ------------------------------------------------------------ for the crate

    /// The authoritative primary of a shard: the newest epoch any live DC knows (the
    /// placement's owner in the initial epoch when no live DC knows one).
    pub(crate) fn current_primary(&self, key: ShardKey) -> (Epoch, DcId) {
        self.newest_claim(key, |n, _| n.is_up())
            .unwrap_or_else(|| (Epoch::default(), self.world.placement.replicas_of(key.1)[0]))
    }

    /// `current_primary` of every shard at once, indexed `table × shard_count + shard`:
    /// one pass over each live DC's shard metadata instead of a search over every DC per
    /// shard (a ring of 16 DCs has a thousand shards, and the page's snapshot asks for
    /// all of them several times a second).
    pub(crate) fn current_primaries(&self) -> Vec<(Epoch, DcId)> {
        let p = &self.world.placement;
        let shards = p.shard_count() as usize;
        let tables = self.config().tables.len();
        let mut best: Vec<Option<(Epoch, DcId)>> = vec![None; tables * shards];
        for n in self.world.nodes.values().filter(|n| n.is_up()) {
            for (key, m) in &*n.durable.meta {
                let (t, s) = (key.0 .0 as usize, key.1 .0 as usize);
                if t < tables && s < shards {
                    let slot = &mut best[t * shards + s];
                    // `None` orders below every claim: the newest claim wins, as in `max`.
                    *slot = (*slot).max(Some((m.epoch, m.primary)));
                }
            }
        }
        let out: Vec<(Epoch, DcId)> = best
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                b.unwrap_or_else(|| {
                    let shard = ShardId((i % shards) as u32);
                    (Epoch::default(), p.replicas_of(shard)[0])
                })
            })
            .collect();
        debug_assert!(out.iter().enumerate().all(|(i, &c)| {
            let key = (TableId((i / shards) as u16), ShardId((i % shards) as u32));
            c == self.current_primary(key)
        }));
        out
    }

    /// The newest (epoch, primary) of a shard among the claims `accept` lets through —
    /// the one way every "who leads this shard" question is answered.
    pub(crate) fn newest_claim(
        &self,
        key: ShardKey,
        accept: impl Fn(&Node, &ShardMeta) -> bool,
    ) -> Option<(Epoch, DcId)> {
        self.world
            .nodes
            .values()
            .filter_map(|n| {
                n.meta(key)
                    .filter(|m| accept(n, m))
                    .map(|m| (m.epoch, m.primary))
            })
            .max()
    }

    /// Roughly how many heap bytes this run holds (a clone that has since diverged from
    /// the live run holds at most about as much: unchanged shard copies and row cells
    /// stay shared): ≈ 230 B per stored row (a live row and its compacted twin share
    /// their cells) and 200 B per other counted item (`memory_stats`), fitted to a
    /// counting allocator's live bytes (`examples/soak_bytes.rs`, `make soak-bytes`) for
    /// 16 DCs at 500 ops/s over 10 000 keys at 120, 1 200 and 6 000 simulated s
    /// (within ~5 %).
    pub fn approx_bytes(&self) -> usize {
        self.memory_stats()
            .iter()
            .map(|&(name, n)| match name {
                "store.rows" | "store.compacted.rows" => n.saturating_mul(230),
                _ => n.saturating_mul(200),
            })
            .fold(0, usize::saturating_add)
    }

    /// Roughly the heap bytes this run holds that `next` — the same run later (a later
    /// checkpoint, or the live run) — does not share; all it holds when `next` is None.
    /// Nodes and shard copies are shared whole (`fp::Shared`) until written, a copied
    /// shard shares the cells of rows not written since (`ShardStore::bytes_beyond`); the
    /// rest (queue, recorder, checker, a node's own maps) counts whole at
    /// `approx_bytes`' 200 B per item. So a timeline's checkpoints hold about the sum of
    /// each one's bytes beyond the next, plus the newest's beyond the live run (at most
    /// about the live run's own). It walks every row of the shard copies not shared
    /// whole: ~15 ms natively for the soak's world, so the byte budget decides from
    /// `bytes_beyond_estimate` and this is what that estimate is checked against.
    pub fn bytes_beyond(&self, next: Option<&Sim>) -> usize {
        self.beyond_by(next, ShardStore::bytes_beyond)
    }

    /// `bytes_beyond` estimated from sizes without walking a row
    /// (`ShardStore::bytes_beyond_estimate`): O(shard copies), for a decision that
    /// cannot wait for a walk.
    pub fn bytes_beyond_estimate(&self, next: Option<&Sim>) -> usize {
        self.beyond_by(next, ShardStore::bytes_beyond_estimate)
    }

    /// What `bytes_beyond` and its estimate share: the lists outside the nodes, each node
    /// not shared whole with `next`'s own items, and `per_copy` of each shard copy not
    /// shared whole with `next`'s (given `next`'s copy of that shard, if any).
    fn beyond_by(
        &self,
        next: Option<&Sim>,
        per_copy: impl Fn(&ShardStore, Option<&ShardStore>) -> usize,
    ) -> usize {
        let mut bytes = self.bytes_beyond_lists();
        for (dc, node) in self.world.nodes.iter() {
            let later = next.and_then(|n| n.world.nodes.get(dc));
            if later.is_some_and(|l| crate::fp::Shared::ptr_eq(node, l)) {
                continue;
            }
            bytes += own_items(node).saturating_mul(200);
            for (key, st) in node.durable.stores.iter() {
                let same = later.and_then(|l| l.durable.stores.get(key));
                if same.is_some_and(|l| crate::fp::Shared::ptr_eq(st, l)) {
                    continue;
                }
                bytes += per_copy(st, same.map(|l| &**l));
            }
        }
        bytes
    }

    /// `bytes_beyond`'s part outside the nodes (queue, recorder, checker: 200 B per
    /// item, counted whole). Cheap: it reads collection sizes.
    pub fn bytes_beyond_lists(&self) -> usize {
        let mut bytes = 0;
        for (name, n) in self.memory_stats() {
            if !(name.starts_with("node.")
                || name.starts_with("store.")
                || name.starts_with("primary."))
            {
                bytes += n.saturating_mul(200);
            }
        }
        bytes
    }

    /// This run taken apart into pieces to free one at a time (a checkpoint a thinning
    /// dropped, freed as the run moves on: `Timeline`), each with about how many rows it
    /// frees (what freeing it costs): each shard
    /// copy this run alone holds, then each node's rest, then the rest of the run. A
    /// piece shared with another owner frees nothing now (its last owner frees it).
    pub(crate) fn into_pieces(self) -> Vec<(usize, Box<dyn std::any::Any>)> {
        use std::mem::take;
        let lists = self.bytes_beyond_lists() / 200;
        let Sim {
            mut world,
            rec,
            checker,
            workload,
            ..
        } = self;
        let mut pieces: Vec<(usize, Box<dyn std::any::Any>)> = Vec::new();
        for (_, n) in take(&mut world.nodes) {
            let mut n = match n.try_unwrap() {
                Ok(n) => n,
                Err(shared) => {
                    pieces.push((0, Box::new(shared)));
                    continue;
                }
            };
            for (_, st) in take(&mut n.durable.stores) {
                pieces.push(match st.try_unwrap() {
                    Ok(st) => (st.rows.len() + st.compacted.rows.len(), Box::new(st)),
                    Err(shared) => (0, Box::new(shared)),
                });
            }
            pieces.push((0, Box::new(n)));
        }
        pieces.push((lists, Box::new((world, rec, checker, workload))));
        pieces
    }

    /// The heap bytes each part of this run holds alone, measured by taking it apart:
    /// `live()` is the process's live heap bytes (a counting allocator's), read before and
    /// after each part is dropped; parts shared with another owner (a clone, a
    /// checkpoint) count where their last owner drops them. A measurement for
    /// `examples/soak_bytes.rs`, not for a running page. (name, bytes), names summed
    /// over DCs and shard copies, in the order dropped.
    #[doc(hidden)]
    pub fn heap_parts(self, live: &dyn Fn() -> usize) -> Vec<(&'static str, usize)> {
        use std::any::Any;
        use std::mem::take;
        let Sim {
            mut world,
            rec,
            checker,
            workload,
            ..
        } = self;
        let mut parts: Vec<(&'static str, Box<dyn Any>)> = Vec::new();
        for (_, n) in take(&mut world.nodes) {
            let mut n = match n.try_unwrap() {
                Ok(n) => n,
                Err(shared) => {
                    parts.push(("node.shared", Box::new(shared)));
                    continue;
                }
            };
            for (_, st) in take(&mut n.durable.stores) {
                let mut st = match st.try_unwrap() {
                    Ok(st) => st,
                    Err(shared) => {
                        parts.push(("store.shared", Box::new(shared)));
                        continue;
                    }
                };
                parts.push(("store.log", Box::new(take(&mut st.log))));
                parts.push(("store.rows", Box::new(take(&mut st.rows))));
                let c = take(&mut st.compacted);
                parts.push(("store.compacted.rows", Box::new(c.rows)));
                parts.push(("store.other", Box::new(st)));
                parts.push((
                    "store.other",
                    Box::new((c.epochs, c.intents, c.locks, c.resolved)),
                ));
            }
            parts.push(("node.retired", Box::new(take(&mut n.durable.retired))));
            parts.push(("node.durable.other", Box::new(take(&mut n.durable))));
            parts.push(("node.volatile", Box::new(take(&mut n.vol))));
            parts.push(("node.other", Box::new(n)));
        }
        parts.push(("net.in_flight", Box::new(take(&mut world.net.in_flight))));
        parts.push(("world.queue+other", Box::new(world)));
        let mut r = rec;
        parts.push(("rec.events", Box::new(take(&mut r.events))));
        parts.push(("rec.metrics", Box::new(take(&mut r.metrics))));
        parts.push(("rec.txns", Box::new(take(&mut r.txns))));
        parts.push(("rec.other", Box::new(r)));
        parts.extend(checker.into_parts());
        parts.push(("workload", Box::new(workload)));
        let mut out: Vec<(&'static str, usize)> = Vec::new();
        for (name, p) in parts {
            let before = live();
            drop(p);
            let freed = before.saturating_sub(live());
            match out.iter_mut().find(|e| e.0 == name) {
                Some(e) => e.1 += freed,
                None => out.push((name, freed)),
            }
        }
        out
    }

    /// How many items each growing collection holds, summed over DCs and shard copies
    /// (name, count): what to watch for memory that grows with the run's length.
    pub fn memory_stats(&self) -> Vec<(&'static str, usize)> {
        let mut v = vec![
            ("world.queue", self.world.queued()),
            ("net.in_flight", self.world.net.in_flight.len()),
            ("rec.events", self.rec.events.len()),
            ("rec.metrics", self.rec.metrics.len()),
            ("rec.txns", self.rec.txns.len()),
        ];
        v.extend(self.checker.sizes());
        let mut add = |name: &'static str, n: usize| match v.iter_mut().find(|e| e.0 == name) {
            Some(e) => e.1 += n,
            None => v.push((name, n)),
        };
        for n in self.world.nodes.values() {
            let d = &n.durable;
            add("node.coord", d.coord.len());
            add("node.committed", d.committed.len());
            add("node.fences", d.fences.len());
            add("node.retired", d.retired.iter().map(|r| r.len()).sum());
            for s in d.stores.values() {
                add("store.log", s.log.len());
                add("store.rows", s.rows.len());
                add("store.intents", s.intents.len());
                add("store.locks", s.locks.len());
                add("store.resolved", s.resolved.len());
                add("store.compacted.rows", s.compacted.rows.len());
                add("store.compacted.intents", s.compacted.intents.len());
                add("store.compacted.resolved", s.compacted.resolved.len());
                add("store.compacted.epochs", s.compacted.epochs.len());
            }
            let v = &n.vol;
            add("node.v.coord", v.coord.len());
            add("node.v.pending", v.pending.len());
            add("node.v.asked", v.asked.len());
            add("node.v.lease_echo", v.lease_echo.len());
            for p in v.primaries.values() {
                add("primary.pending", p.pending.len());
                add("primary.snapshot_sent", p.snapshot_sent.len());
            }
        }
        v
    }
}

/// The items of a node's own maps (not its shard copies), which `bytes_beyond` and its
/// estimate count at 200 B each.
fn own_items(node: &Node) -> usize {
    let d = &node.durable;
    let v = &node.vol;
    d.coord.len()
        + d.committed.len()
        + d.fences.len()
        + d.retired.iter().map(|r| r.len()).sum::<usize>()
        + v.coord.len()
        + v.pending.len()
        + v.asked.len()
        + v.lease_echo.len()
        + v.primaries
            .values()
            .map(|p| p.pending.len() + p.snapshot_sent.len())
            .sum::<usize>()
}
