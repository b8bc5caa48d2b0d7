//! Primary–replica log shipping, per shard.
//!
//! Invariants: only the DC that believes itself primary in the newest epoch it knows
//! appends; replicas accept entries only from an epoch at least as new as theirs and only
//! if the entry before them matches (same index, same epoch), truncating a diverged suffix
//! first — so replicas apply the primary's log in order and converge to it. A client write
//! is acknowledged once the table's mode is satisfied: `Async` at once, `SemiSync` after one
//! replica, `Sync` after every replica the primary does not consider dead, `Quorum(w)` after
//! w copies.
//!
//! Compaction (Raft's log compaction and InstallSnapshot): a primary compacts its log below
//! the index every replica it does not consider dead has acknowledged, less a tail of
//! `compact_keep` entries (`COMPACT_KEEP` by default); replicas compact to the primary's compaction point, never past
//! what this primary's batches proved. A compacted prefix lives on as the copy's snapshot
//! (`table::Compacted`: rows, undecided intents and their locks, decisions, the last
//! included position and the prefix's epochs), so the rows, the 2PC state and the
//! prev-check are the same as before compaction. A replica behind the primary's compaction
//! point, or diverged below its own, is sent the primary's copy whole
//! (`Msg::InstallSnapshot`) and replaces its own only if it lacks the snapshot's last
//! position — never with an older state of the same epoch. Failover compares copies by
//! `ShardStore::last()`, which is the snapshot's position when the retained log is empty.

use super::state::{AckTo, PendingAck};
use super::{Ctx, Node};
use crate::config::ReplicationMode;
use crate::ids::DcId;
use crate::table::{Body, Epoch, LogEntry, LogPos, ShardStore, WriteOp};
use crate::vocab::{Fact, Msg, OpError, OpResult, Out, PeerState, ShardKey};
use std::rc::Rc;

impl Node {
    /// Appends a client's plain write as primary and acknowledges it per the table's mode.
    pub(crate) fn primary_write(
        &mut self,
        ctx: &Ctx,
        key: ShardKey,
        op: WriteOp,
        write_id: u64,
        reply: AckTo,
        out: &mut Out,
    ) {
        let body = Body::Write { op, write_id };
        self.primary_append(ctx, key, body, write_id, Some(reply), out);
    }

    /// Appends an entry as primary; `reply` (if any) is told once the entry is durable
    /// under the table's mode (at once under `Async`). Returns where the entry sits.
    pub(crate) fn primary_append(
        &mut self,
        ctx: &Ctx,
        key: ShardKey,
        body: Body,
        write_id: u64,
        reply: Option<AckTo>,
        out: &mut Out,
    ) -> Option<LogPos> {
        let epoch = self.meta(key).map(|m| m.epoch).unwrap_or_default();
        let store = self.durable.stores.get_mut(&key)?;
        let pos = LogPos {
            epoch,
            index: store.last_index() + 1,
        };
        let entry = LogEntry::new(pos, body, self.id, ctx.now);
        for (pos, write_id) in entry.write_ids() {
            out.fact(Fact::Appended {
                table: key.0,
                shard: key.1,
                pos,
                write_id,
            });
        }
        let mark = match &entry.body {
            Body::Prepare {
                coordinator, low, ..
            } if self.bugs.mark_forgets_intents => Some((*coordinator, *low)),
            _ => None,
        };
        store.append(entry);
        if let Some((coordinator, low)) = mark {
            // Broken variant: the low-water mark also takes the intents below it.
            store.forget_intents_below(coordinator, low);
        }
        let mode = ctx.mode(key.0);
        let ack_now = matches!(mode, ReplicationMode::Async) || self.bugs.ack_before_sync;
        if let Some(to) = reply {
            let p = PendingAck {
                to,
                pos,
                write_id,
                acks: 0,
            };
            if ack_now {
                self.acknowledge(key, &p, 1, out);
            } else {
                let ps = self.vol.primaries.entry(key).or_default();
                ps.pending.insert(pos.index, p);
            }
        }
        if !ack_now {
            self.ship(ctx, key, out);
            self.check_pending(ctx, key, out);
        }
        Some(pos)
    }

    /// Whether entry `index` of `key` already has the copies its mode needs, and how many.
    pub(crate) fn durable_copies(&self, ctx: &Ctx, key: ShardKey, index: u64) -> Option<usize> {
        if matches!(ctx.mode(key.0), ReplicationMode::Async) || self.bugs.ack_before_sync {
            return Some(1);
        }
        let ps = self.vol.primaries.get(&key)?;
        let copies = 1 + ps.match_index.values().filter(|&&m| m >= index).count();
        (copies >= self.copies_needed(ctx, key)).then_some(copies)
    }

    /// Makes sure `reply` hears of entry `index` once it is durable (at once if it is).
    pub(crate) fn reply_when_durable(
        &mut self,
        ctx: &Ctx,
        key: ShardKey,
        index: u64,
        reply: AckTo,
        out: &mut Out,
    ) {
        // `pos_at`: the entry may be compacted (an intent's PREPARE, a decision).
        let Some(pos) = self
            .durable
            .stores
            .get(&key)
            .filter(|s| index >= 1 && index <= s.last_index())
            .and_then(|s| s.pos_at(index))
        else {
            return;
        };
        let p = PendingAck {
            to: reply,
            pos,
            write_id: 0,
            acks: 0,
        };
        match self.durable_copies(ctx, key, index) {
            Some(copies) => self.acknowledge(key, &p, copies, out),
            None => {
                self.vol
                    .primaries
                    .entry(key)
                    .or_default()
                    .pending
                    .insert(index, p);
                self.ship(ctx, key, out);
            }
        }
    }

    /// Copies (primary included) needed before acknowledging, given the current view.
    fn copies_needed(&self, ctx: &Ctx, key: ShardKey) -> usize {
        let live = ctx
            .placement
            .replicas_of(key.1)
            .iter()
            .filter(|&&d| d != self.id)
            .filter(|&&d| self.view_of(d) != PeerState::Dead)
            .count();
        match ctx.mode(key.0) {
            ReplicationMode::Async => 1,
            ReplicationMode::SemiSync => 1 + live.min(1),
            ReplicationMode::Sync => 1 + live,
            ReplicationMode::Quorum(w) => w as usize,
        }
    }

    /// Answers every pending write that now has enough copies.
    pub(crate) fn check_pending(&mut self, ctx: &Ctx, key: ShardKey, out: &mut Out) {
        let need = self.copies_needed(ctx, key);
        let by_acks = self.bugs.duplicate_ack_counted_twice;
        // One at a time, in index order: acknowledging reads neither the pending writes
        // nor the replicas' positions, so this answers the writes a list of them all
        // answered, with the same copies — without the list. (Copies fall as the index
        // rises, so without the broken variant the answered writes are a prefix: each
        // search stops at the first entry.)
        loop {
            let Some(ps) = self.vol.primaries.get_mut(&key) else {
                return;
            };
            let ready = ps.pending.iter().find_map(|(&idx, p)| {
                let copies = if by_acks {
                    // Broken variant: every acknowledgement counts, a repeated one too.
                    1 + p.acks as usize
                } else {
                    1 + ps.match_index.values().filter(|&&m| m >= idx).count()
                };
                (copies >= need).then_some((idx, copies))
            });
            let Some((idx, copies)) = ready else {
                return;
            };
            let Some(p) = ps.pending.remove(&idx) else {
                return;
            };
            self.acknowledge(key, &p, copies, out);
        }
    }

    fn acknowledge(&mut self, key: ShardKey, p: &PendingAck, copies: usize, out: &mut Out) {
        match p.to {
            AckTo::Client { dst, req } => out.send(
                dst,
                Msg::Response {
                    req,
                    result: OpResult::Written {
                        pos: p.pos,
                        write_id: p.write_id,
                        copies: copies as u8,
                    },
                },
            ),
            AckTo::Vote { txn, coordinator } => self.vote_yes(key, txn, coordinator, copies, out),
            AckTo::Decided { txn, coordinator } => out.send(
                coordinator,
                Msg::DecisionAck {
                    txn,
                    key,
                    copies: copies.min(u8::MAX as usize) as u8,
                    at: p.pos,
                },
            ),
        }
    }

    /// Sends each lagging replica the next batch after what it is known to hold; a replica
    /// known to be behind the compaction point (or diverged below its own) gets the
    /// snapshot instead, at most once per round trip.
    pub(crate) fn ship(&mut self, ctx: &Ctx, key: ShardKey, out: &mut Out) {
        let Some(meta) = self.meta(key) else { return };
        let epoch = meta.epoch;
        let Some(store) = self.durable.stores.get(&key) else {
            return;
        };
        let last = store.last_index();
        let snap = store.snapshot_index();
        let batch = ctx.cfg.replication_batch as u64;
        let without_intents = self.bugs.snapshot_without_intents;
        let skip_dc0 = self.bugs.replication_skips_dc0;
        let me = self.id;
        let ps = self.vol.primaries.entry(key).or_default();
        let mut shared: Option<Rc<ShardStore>> = None;
        for &d in ctx.placement.replicas_of(key.1) {
            if d == me {
                continue;
            }
            if skip_dc0 && d == DcId(0) {
                // Broken variant (`Bugs::replication_skips_dc0`): DC0 is sent nothing and
                // recorded as holding the whole log, as by an acknowledgement.
                ps.match_index.insert(d, last);
                ps.confirmed.insert(d);
                ps.heard.insert(d);
                continue;
            }
            let matched = *ps.match_index.entry(d).or_insert(0);
            if matched >= last && ps.confirmed.contains(&d) {
                continue;
            }
            let m = ps.probe.get(&d).copied().unwrap_or(matched).min(last);
            if ps.need_snapshot.contains(&d) || (m < snap && ps.heard.contains(&d)) {
                let rtt = 2 * ctx.latency(me, d) as u64 + ctx.cfg.replication_interval_ms;
                if ps
                    .snapshot_sent
                    .get(&d)
                    .is_some_and(|&t| ctx.now.since(t) < rtt)
                {
                    continue;
                }
                ps.snapshot_sent.insert(d, ctx.now);
                let store = shared
                    .get_or_insert_with(|| Rc::new(snapshot_of(store, without_intents)))
                    .clone();
                out.send(
                    d,
                    Msg::InstallSnapshot {
                        table: key.0,
                        shard: key.1,
                        epoch,
                        store,
                    },
                );
                continue;
            }
            // A replica not heard from yet is probed at the compaction point: a gap
            // answer tells where it is.
            let from = m.max(snap);
            let prev = store.pos_at(from).unwrap_or_default();
            let entries: Vec<Rc<LogEntry>> = store.entries_from(from + 1, batch).to_vec();
            out.send(
                d,
                Msg::Replicate {
                    table: key.0,
                    shard: key.1,
                    epoch,
                    prev,
                    entries,
                    last,
                    compact: snap,
                },
            );
        }
    }

    /// Compacts a led shard's log below what every replica this primary does not
    /// consider dead has acknowledged in its epoch, less `COMPACT_KEEP` entries. A replica
    /// not heard from yet holds it back; a dead one does not (it will get a snapshot).
    fn compact_led(&mut self, key: ShardKey, ctx: &Ctx) {
        let Some(store) = self.durable.stores.get(&key) else {
            return;
        };
        let ps = self.vol.primaries.get(&key);
        let mut floor = store.last_index();
        for &d in ctx.placement.replicas_of(key.1) {
            if d == self.id || self.view_of(d) == PeerState::Dead {
                continue;
            }
            let held = ps
                .filter(|p| p.confirmed.contains(&d))
                .and_then(|p| p.match_index.get(&d).copied())
                .unwrap_or(0);
            floor = floor.min(held);
        }
        let upto = floor.saturating_sub(ctx.cfg.compact_keep);
        if upto >= store.snapshot_index() + ctx.cfg.compact_every {
            if let Some(store) = self.durable.stores.get_mut(&key) {
                store.compact_to(upto);
            }
        }
    }

    /// Timer: ship every shard this DC is primary of. Resending from the last
    /// acknowledged index makes lost batches harmless.
    pub(crate) fn replication_tick(&mut self, ctx: &Ctx, out: &mut Out) {
        let keys: Vec<ShardKey> = self
            .durable
            .meta
            .iter()
            .filter(|(k, m)| m.primary == self.id && self.durable.stores.contains_key(k))
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            self.ship(ctx, key, out);
            self.check_pending(ctx, key, out);
            self.compact_led(key, ctx);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_replicate(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        key: ShardKey,
        epoch: Epoch,
        prev: LogPos,
        entries: Vec<Rc<LogEntry>>,
        leader_last: u64,
        compact: u64,
        out: &mut Out,
    ) {
        let mine = self.meta(key).map(|m| m.epoch).unwrap_or_default();
        let ack = |ok: bool, epoch: Epoch, primary: DcId, last: u64, out: &mut Out| {
            out.send(from, replicate_ack(key, epoch, primary, ok, last, false));
        };
        // Diverged below our compaction point: we cannot drop compacted entries, so we
        // keep everything and ask for the primary's copy (claiming nothing held).
        let need_snapshot = |out: &mut Out| {
            out.send(from, replicate_ack(key, epoch, from, false, 0, true));
        };
        if epoch < mine {
            // Fencing: a deposed primary learns it is deposed, and who replaced it.
            return ack(false, mine, self.primary_of(key), 0, out);
        }
        if self.fenced_below(ctx, key).is_some_and(|f| epoch < f) {
            // Promised to a failover round (see `failover`): no older epoch's entries. No
            // answer either: the old primary learns the new epoch when it is issued.
            return;
        }
        if epoch > mine || self.primary_of(key) != from {
            self.adopt_epoch(ctx, key, epoch, from, out);
        }
        let skip_prev_check = self.bugs.replica_skips_prev_check;
        let store = self.durable.stores.entry(key).or_default();
        if skip_prev_check {
            for e in entries {
                if e.pos.index == store.last_index() + 1 {
                    store.append(e);
                }
            }
            let last = store.last_index();
            return ack(true, epoch, from, last, out);
        }
        match store.epoch_at(prev.index) {
            None => {
                // Gap: we are shorter than `prev`.
                let last = store.last_index();
                return ack(false, epoch, from, last, out);
            }
            Some(e) if e != prev.epoch => {
                // Diverged: drop our suffix from `prev` on; the primary backs up.
                if !store.can_truncate_after(prev.index.saturating_sub(1)) {
                    return need_snapshot(out);
                }
                let dropped = store.truncate_after(prev.index.saturating_sub(1));
                let last = store.last_index();
                out.fact(Fact::Truncated {
                    table: key.0,
                    shard: key.1,
                    dropped: dropped.iter().flat_map(|e| e.write_ids()).collect(),
                });
                return ack(false, epoch, from, last, out);
            }
            Some(_) => {}
        }
        // Only what this batch proved to match may be acknowledged: our log beyond it may
        // still hold a deposed primary's entries.
        let mut verified = prev.index;
        for e in entries {
            let idx = e.pos.index;
            if idx <= store.snapshot_index() {
                // Compacted here: the same position is the same entry (log matching).
                if store.epoch_at(idx) != Some(e.pos.epoch) {
                    return need_snapshot(out);
                }
                verified = idx;
                continue;
            }
            match store.entry(idx) {
                Some(have) if have.pos == e.pos => {}
                Some(_) => {
                    let dropped = store.truncate_after(e.pos.index - 1);
                    out.fact(Fact::Truncated {
                        table: key.0,
                        shard: key.1,
                        dropped: dropped.iter().flat_map(|e| e.write_ids()).collect(),
                    });
                    store.append(e);
                }
                None if idx == store.last_index() + 1 => store.append(e),
                None => break,
            }
            verified = idx;
        }
        // Entries past the primary's log from an older epoch were never adopted by this
        // primary: they are a deposed primary's unshipped writes. Drop them. (A log's
        // epochs never decrease along it, so its last entry's epoch bounds them all.)
        if store.last_index() > leader_last && store.last().epoch < epoch {
            if !store.can_truncate_after(leader_last) {
                return need_snapshot(out);
            }
            let dropped = store.truncate_after(leader_last);
            out.fact(Fact::Truncated {
                table: key.0,
                shard: key.1,
                dropped: dropped.iter().flat_map(|e| e.write_ids()).collect(),
            });
        }
        let verified = verified.min(store.last_index());
        // Compact no further than the primary did and than this batch proved.
        store.compact_to(compact.min(verified));
        ack(true, epoch, from, verified, out);
    }

    /// Raft's InstallSnapshot at a replica: a copy that already holds the snapshot's last
    /// position holds everything before it (log matching) and keeps its own log; any other
    /// copy is replaced by the primary's (what it held beyond is reported truncated).
    pub(crate) fn on_install_snapshot(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        key: ShardKey,
        epoch: Epoch,
        snap: Rc<ShardStore>,
        out: &mut Out,
    ) {
        let mine = self.meta(key).map(|m| m.epoch).unwrap_or_default();
        let ack = |ok: bool, epoch: Epoch, primary: DcId, last: u64, out: &mut Out| {
            out.send(from, replicate_ack(key, epoch, primary, ok, last, false));
        };
        if epoch < mine {
            return ack(false, mine, self.primary_of(key), 0, out);
        }
        if self.fenced_below(ctx, key).is_some_and(|f| epoch < f) {
            return;
        }
        if epoch > mine || self.primary_of(key) != from {
            self.adopt_epoch(ctx, key, epoch, from, out);
        }
        let store = self.durable.stores.entry(key).or_default();
        let theirs = snap.last();
        // Already there (a resent or overtaken snapshot): nothing to install — unless what
        // follows is a deposed primary's older-epoch suffix, which the install drops.
        let beyond_ok =
            store.last_index() == theirs.index || store.epoch_at(theirs.index + 1) == Some(epoch);
        if store.pos_at(theirs.index) == Some(theirs) && beyond_ok {
            return ack(true, epoch, from, theirs.index, out);
        }
        let dropped: Vec<(LogPos, u64)> = store
            .log
            .iter()
            .filter(|e| snap.pos_at(e.pos.index) != Some(e.pos))
            .flat_map(|e| e.write_ids())
            .collect();
        *store = crate::fp::Shared::new(Rc::unwrap_or_clone(snap));
        let last = store.last();
        out.fact(Fact::SnapshotInstalled {
            table: key.0,
            shard: key.1,
            upto: store.compacted.last,
            last,
            dropped,
        });
        ack(true, epoch, from, last.index, out);
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_replicate_ack(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        key: ShardKey,
        epoch: Epoch,
        primary: DcId,
        ok: bool,
        last: u64,
        need_snapshot: bool,
        out: &mut Out,
    ) {
        let Some(meta) = self.meta(key).cloned() else {
            return;
        };
        if epoch > meta.epoch {
            // Someone was promoted while we were away: step down and follow it.
            self.step_down(ctx, key, epoch, primary, out);
            return;
        }
        if meta.primary != self.id || epoch != meta.epoch {
            return;
        }
        let ps = self.vol.primaries.entry(key).or_default();
        ps.heard.insert(from);
        let m = ps.match_index.entry(from).or_insert(0);
        if need_snapshot {
            *m = 0;
            ps.probe.remove(&from);
            ps.need_snapshot.insert(from);
            self.ship(ctx, key, out);
        } else if ok {
            ps.confirmed.insert(from);
            ps.need_snapshot.remove(&from);
            ps.snapshot_sent.remove(&from);
            *m = (*m).max(last);
            ps.probe.remove(&from);
            if self.bugs.duplicate_ack_counted_twice {
                for p in ps.pending.values_up_to_mut(&last) {
                    p.acks = p.acks.saturating_add(1);
                }
            }
        } else {
            // A refusal says where the replica's log ends or diverges, not what it holds
            // of ours: probe from there, count nothing (`match_index` stays). Counting it
            // (as this code once did) let a deposed primary's entries at the same indices
            // count toward a write's copies; 3 000 sampled schedules per mode never hit
            // that window, so it has no broken variant here (an exhaustive search would).
            ps.probe.insert(from, last);
            // Resend from the new point without waiting for the timer.
            self.ship(ctx, key, out);
        }
        self.check_pending(ctx, key, out);
    }

    /// Leaves the primary role: every pending write gets `Fenced` (outcome unknown).
    pub(crate) fn step_down(
        &mut self,
        _ctx: &Ctx,
        key: ShardKey,
        epoch: Epoch,
        new_primary: DcId,
        out: &mut Out,
    ) {
        let was_primary = self.is_primary(key);
        if let Some(m) = self.durable.meta.get_mut(&key) {
            if epoch > m.epoch {
                m.epoch = epoch;
                m.primary = new_primary;
            }
        }
        if let Some(ps) = self.vol.primaries.remove(&key) {
            for p in ps.pending.values() {
                // 2PC: the coordinator's vote timeout or decision resend reaches the new
                // primary, which answers once the entry is durable there.
                if let AckTo::Client { dst, req } = p.to {
                    out.send(
                        dst,
                        Msg::Response {
                            req,
                            result: OpResult::Err(OpError::Fenced),
                        },
                    );
                }
            }
        }
        if was_primary {
            out.fact(Fact::SteppedDown {
                table: key.0,
                shard: key.1,
                epoch,
            });
        }
    }

    /// Lag of each replica behind this primary: (dc, entries behind, ms since the oldest
    /// entry it lacks was written).
    pub(crate) fn replica_lag(&self, ctx: &Ctx, key: ShardKey) -> Vec<(DcId, u64, u64)> {
        let Some(store) = self.durable.stores.get(&key) else {
            return vec![];
        };
        let last = store.last_index();
        let ps = self.vol.primaries.get(&key);
        ctx.placement
            .replicas_of(key.1)
            .iter()
            .copied()
            .filter(|&d| d != self.id)
            .map(|d| {
                let m = ps
                    .and_then(|p| p.match_index.get(&d).copied())
                    .unwrap_or(0)
                    .min(last);
                let ms = store.entry(m + 1).map(|e| ctx.now.since(e.at)).unwrap_or(0);
                (d, last - m, ms)
            })
            .collect()
    }
}

/// A replica's answer to a batch or a snapshot.
fn replicate_ack(
    key: ShardKey,
    epoch: Epoch,
    primary: DcId,
    ok: bool,
    last: u64,
    need_snapshot: bool,
) -> Msg {
    Msg::ReplicateAck {
        table: key.0,
        shard: key.1,
        epoch,
        primary,
        ok,
        last,
        need_snapshot,
    }
}

/// The copy a snapshot install carries: the primary's whole copy (its snapshot and the
/// retained log after it). `without_intents`: the broken variant that forgets the
/// compacted prefix's intents and locks.
fn snapshot_of(store: &ShardStore, without_intents: bool) -> ShardStore {
    let mut s = store.clone();
    if without_intents {
        let gone: Vec<_> = s.compacted.intents.keys().copied().collect();
        s.compacted.intents.clear();
        s.compacted.locks.clear();
        for t in gone {
            if let Some(i) = s.intents.remove(&t) {
                for (w, _) in i.writes.iter() {
                    if s.locks.get(&w.pk) == Some(&t) {
                        s.locks.remove(&w.pk);
                    }
                }
            }
        }
    }
    s
}
