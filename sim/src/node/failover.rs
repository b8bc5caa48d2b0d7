//! Failover: moving a shard's primary role when its owner is dead.
//!
//! Invariants:
//! - A DC starts a failover for a shard only when (a) it sees the current primary dead,
//!   (b) a strict majority of *all* members — itself plus peers it sees alive, by their
//!   gossiped views — see it dead too, and (c) it is the lowest-id member it sees alive. A
//!   minority partition therefore never fails over the majority's primaries.
//! - Epochs are `(term, issuer)`, so two concurrent issuers never produce equal epochs; a
//!   new epoch's term is above the old primary's and above any term a fenced replica
//!   reported (so above every epoch that exists for the shard).
//! - Modes that promise more than the primary's own copy (`SemiSync`, `Sync`,
//!   `Quorum(w ≥ 2)`) promote only after a *fencing round* (as a Raft vote): the issuer
//!   asks the replicas to stop accepting older epochs and report their last position, and
//!   promotes the newest (epoch, then index) only once enough replicas answered to
//!   intersect every write quorum — `R − w + 1` for `Quorum(w)`, `R − 1` for `SemiSync`
//!   (it acknowledges with 2 copies), every other replica it sees alive for `Sync`. A
//!   fenced replica's last position cannot grow from the old primary any more, so the
//!   newest answer holds every write acknowledged with the promised copies. Too few
//!   answers: no failover — the shard stays unavailable (CAP's price, shown honestly).
//! - A fence holds until the replica learns an epoch at least as new, or until the round's
//!   issuer says it abandoned the round (`FenceStatus` / `FenceRelease`, asked once the
//!   fence has stood for `fence_lease_ms`): it never lapses by time alone, because the
//!   issuer may have completed the round while its `NewEpoch` is still on its way (or cut
//!   off) — a lapsed fence would then accept the deposed primary's writes. An issuer that
//!   releases a round never completes it (its next round for the shard goes above it).
//! - `Async` and `Quorum(1)` promise only the primary's copy: they promote at once, from
//!   gossiped positions (what a lost write then costs is the documented price).

use super::state::{PrimaryState, Promotion};
use super::{Ctx, Node};
use crate::config::ReplicationMode;
use crate::ids::DcId;
use crate::table::{Epoch, LogPos};
use crate::time::SimTime;
use crate::vocab::{Fact, Msg, Out, PeerState, ShardKey};

/// How long a fence stands before its replica asks the issuer whether the round still
/// stands (ms): several detector periods, so a round normally finishes first.
fn fence_lease_ms(ctx: &Ctx) -> u64 {
    4 * ctx.cfg.dead_after_ms.max(ctx.cfg.heartbeat_interval_ms)
}

/// What a promotion must hear before it may pick the newest replica.
enum Need {
    /// Nothing: promote at once from gossip (the mode promises only the primary's copy).
    Nothing,
    /// This many fenced replicas (any of them, the old primary included).
    Replicas(usize),
    /// Every replica other than the old primary that the issuer sees alive (at least one).
    EveryLive,
}

impl Node {
    pub(crate) fn failover_tick(&mut self, ctx: &Ctx, out: &mut Out) {
        self.recheck_fences(ctx, out);
        if !ctx.cfg.failover {
            return;
        }
        if self.bugs.two_primaries_after_cut {
            return self.promote_self_unfenced(ctx, out);
        }
        let members = ctx.placement.ids();
        let n = members.len();
        let leader = members
            .iter()
            .copied()
            .find(|&d| self.view_of(d) == PeerState::Alive);
        if leader != Some(self.id) {
            // Another DC leads failovers now; it runs its own rounds.
            self.vol.promotions.clear();
            return;
        }
        for &x in members {
            if x == self.id || self.view_of(x) != PeerState::Dead {
                continue;
            }
            let votes = 1 + members
                .iter()
                .filter(|&&v| v != self.id && v != x && self.view_of(v) == PeerState::Alive)
                .filter(|v| gossiped(&self.vol.gossip, **v, x) == Some(PeerState::Dead))
                .count();
            if votes * 2 <= n {
                continue;
            }
            let orphaned: Vec<(ShardKey, Epoch)> = self
                .durable
                .meta
                .iter()
                .filter(|(_, m)| m.primary == x)
                .map(|(k, m)| (*k, m.epoch))
                .collect();
            for (key, old_epoch) in orphaned {
                match self.need(ctx, key) {
                    Need::Nothing => self.promote_from_gossip(ctx, key, old_epoch, x, out),
                    _ => self.start_round(ctx, key, old_epoch, x),
                }
            }
        }
        // Rounds already started go on even if the old primary is heard again: its own
        // answer (it holds every write it acknowledged) then completes them.
        let keys: Vec<ShardKey> = self.vol.promotions.keys().copied().collect();
        for key in keys {
            self.drive_round(ctx, key, out);
        }
    }

    /// Broken variant (`Bugs::two_primaries_after_cut`): every shard this DC replicates
    /// whose primary it sees dead, it leads at once, in the primary's own epoch.
    fn promote_self_unfenced(&mut self, ctx: &Ctx, out: &mut Out) {
        let orphaned: Vec<(ShardKey, Epoch)> = self
            .durable
            .meta
            .iter()
            .filter(|(k, m)| {
                m.primary != self.id
                    && self.view_of(m.primary) == PeerState::Dead
                    && self.durable.stores.contains_key(k)
                    && ctx.placement.replicas_of(k.1).contains(&self.id)
            })
            .map(|(k, m)| (*k, m.epoch))
            .collect();
        for (key, epoch) in orphaned {
            self.adopt_epoch(ctx, key, epoch, self.id, out);
        }
    }

    fn need(&self, ctx: &Ctx, key: ShardKey) -> Need {
        if self.bugs.promote_without_quorum_intersection {
            return Need::Nothing;
        }
        let r = ctx.placement.replicas_of(key.1).len();
        match ctx.mode(key.0) {
            ReplicationMode::Async => Need::Nothing,
            ReplicationMode::Quorum(w) if w <= 1 => Need::Nothing,
            ReplicationMode::Quorum(w) => Need::Replicas((r + 1).saturating_sub(w as usize)),
            ReplicationMode::SemiSync => Need::Replicas(r.saturating_sub(1).max(1)),
            ReplicationMode::Sync => Need::EveryLive,
        }
    }

    /// The immediate promotion: the live replica with the newest gossiped position.
    fn promote_from_gossip(
        &mut self,
        ctx: &Ctx,
        key: ShardKey,
        old_epoch: Epoch,
        x: DcId,
        out: &mut Out,
    ) {
        let reps = ctx.placement.replicas_of(key.1);
        let best = reps
            .iter()
            .enumerate()
            .filter(|(_, &d)| d != x && self.view_of(d) == PeerState::Alive)
            .map(|(i, &d)| (self.known_last(key, d), std::cmp::Reverse(i), d))
            .max();
        let Some((_, _, new)) = best else { return };
        let epoch = self.next_epoch(key, old_epoch);
        self.issue(ctx, key, epoch, x, new, out);
    }

    /// The epoch a failover of `key` issues: above the old primary's, above any fence or
    /// term a replica reported, above what this DC knows.
    fn next_epoch(&self, key: ShardKey, old_epoch: Epoch) -> Epoch {
        let mine = self.meta(key).map(|m| m.epoch.term).unwrap_or(0);
        let fence = self.durable.fences.get(&key).map(|f| f.0.term).unwrap_or(0);
        let floor = self.vol.term_floor.get(&key).copied().unwrap_or(0);
        Epoch {
            term: old_epoch.term.max(mine).max(fence).max(floor) + 1,
            by: self.id.0,
        }
    }

    fn start_round(&mut self, ctx: &Ctx, key: ShardKey, old_epoch: Epoch, x: DcId) {
        if self.vol.promotions.contains_key(&key) {
            return;
        }
        let epoch = self.next_epoch(key, old_epoch);
        self.vol.promotions.insert(
            key,
            Promotion {
                epoch,
                old: x,
                heard: Default::default(),
            },
        );
        if ctx.placement.replicas_of(key.1).contains(&self.id) && !self.fence_deferred(ctx, key) {
            if let Some((last, until)) = self.fence(ctx, key, epoch) {
                if let Some(p) = self.vol.promotions.get_mut(&key) {
                    p.heard.insert(self.id, (last, until));
                }
            }
        }
    }

    /// Completes the round if enough fenced replicas answered; asks the others again.
    fn drive_round(&mut self, ctx: &Ctx, key: ShardKey, out: &mut Out) {
        let Some(p) = self.vol.promotions.get(&key).cloned() else {
            return;
        };
        if self.meta(key).is_some_and(|m| m.epoch >= p.epoch) {
            // Someone (maybe this DC) already issued this epoch or a newer one.
            self.vol.promotions.remove(&key);
            return;
        }
        // Every answer still holds: a fence stands until this DC completes the round or
        // releases it (see `on_fence_status`).
        let fresh: Vec<(DcId, LogPos)> = p.heard.iter().map(|(&d, (pos, _))| (d, *pos)).collect();
        let reps = ctx.placement.replicas_of(key.1);
        let enough = match self.need(ctx, key) {
            Need::Nothing => !fresh.is_empty(),
            Need::Replicas(k) => fresh.len() >= k,
            Need::EveryLive => {
                !fresh.is_empty()
                    && reps
                        .iter()
                        .filter(|&&d| d != p.old && self.view_of(d) == PeerState::Alive)
                        .all(|d| fresh.iter().any(|(h, _)| h == d))
            }
        };
        if enough {
            let best = fresh
                .iter()
                .filter_map(|&(d, pos)| {
                    let i = reps.iter().position(|&r| r == d)?;
                    Some((pos, std::cmp::Reverse(i), d))
                })
                .max();
            if let Some((_, _, new)) = best {
                self.vol.promotions.remove(&key);
                self.issue(ctx, key, p.epoch, p.old, new, out);
                return;
            }
        }
        // This DC's own answer, once its lease promise to the old primary has lapsed.
        if reps.contains(&self.id)
            && !p.heard.contains_key(&self.id)
            && !self.fence_deferred(ctx, key)
        {
            if let Some((last, until)) = self.fence(ctx, key, p.epoch) {
                if let Some(p) = self.vol.promotions.get_mut(&key) {
                    p.heard.insert(self.id, (last, until));
                }
            }
        }
        // Ask (again) every replica whose fresh answer is missing, the old primary too.
        for &d in reps {
            if d != self.id && !fresh.iter().any(|(h, _)| *h == d) {
                out.send(
                    d,
                    Msg::FenceQuery {
                        table: key.0,
                        shard: key.1,
                        epoch: p.epoch,
                    },
                );
            }
        }
    }

    /// Announces `new` as `key`'s primary in `epoch` to every member and adopts it here.
    fn issue(
        &mut self,
        ctx: &Ctx,
        key: ShardKey,
        epoch: Epoch,
        old: DcId,
        new: DcId,
        out: &mut Out,
    ) {
        out.fact(Fact::FailoverIssued {
            table: key.0,
            shard: key.1,
            epoch,
            old,
            new,
        });
        for &d in ctx.placement.ids() {
            if d != self.id {
                out.send(
                    d,
                    Msg::NewEpoch {
                        table: key.0,
                        shard: key.1,
                        epoch,
                        primary: new,
                    },
                );
            }
        }
        self.adopt_epoch(ctx, key, epoch, new, out);
    }

    /// Promises to accept no entry of an epoch below `epoch` (until this DC learns that
    /// epoch or the issuer releases it); returns this copy's last position and when to ask
    /// the issuer, or None if `epoch` is not newer than
    /// what this DC already knows (leads in, or promised).
    fn fence(&mut self, ctx: &Ctx, key: ShardKey, epoch: Epoch) -> Option<(LogPos, SimTime)> {
        let (mine, fenced) = self.epoch_and_fence(key);
        if epoch <= mine || epoch < fenced {
            return None;
        }
        let until = ctx.now.plus(fence_lease_ms(ctx));
        self.durable.fences.insert(key, (epoch, until));
        let last = self
            .durable
            .stores
            .get(&key)
            .map(|s| s.last())
            .unwrap_or_default();
        Some((last, until))
    }

    /// The epoch this DC knows for `key` and the epoch of its fence (default: none).
    fn epoch_and_fence(&self, key: ShardKey) -> (Epoch, Epoch) {
        let mine = self.meta(key).map(|m| m.epoch).unwrap_or_default();
        let fenced = self
            .durable
            .fences
            .get(&key)
            .map(|f| f.0)
            .unwrap_or_default();
        (mine, fenced)
    }

    /// The epoch below which `key` accepts nothing now (a live fence), if any.
    pub(crate) fn fenced_below(&self, _ctx: &Ctx, key: ShardKey) -> Option<Epoch> {
        let (e, _) = self.durable.fences.get(&key)?;
        let mine = self.meta(key).map(|m| m.epoch).unwrap_or_default();
        (*e > mine).then_some(*e)
    }

    /// Timer (every heartbeat): for each fence that has stood for its lease without this
    /// DC learning its epoch, ask the round's issuer whether the round still stands.
    fn recheck_fences(&mut self, ctx: &Ctx, out: &mut Out) {
        let stale: Vec<(ShardKey, Epoch)> = self
            .durable
            .fences
            .iter()
            .filter(|(k, (e, until))| {
                *until <= ctx.now && self.meta(**k).is_some_and(|m| m.epoch < *e)
            })
            .map(|(k, (e, _))| (*k, *e))
            .collect();
        for (key, epoch) in stale {
            let issuer = DcId(epoch.by);
            if issuer == self.id {
                self.on_fence_status(self.id, key, epoch, out);
            } else {
                out.send(
                    issuer,
                    Msg::FenceStatus {
                        table: key.0,
                        shard: key.1,
                        epoch,
                    },
                );
            }
            // Ask again a heartbeat or more later, not at every tick.
            if let Some(f) = self.durable.fences.get_mut(&key) {
                f.1 = ctx.now.plus(ctx.cfg.dead_after_ms.max(1));
            }
        }
    }

    /// A fenced replica asks whether the round of `epoch` still stands: it was completed
    /// (answer with the epoch this DC knows), is still running (no answer: the replica
    /// stays fenced and asks again), or was abandoned (release it, and make sure this DC
    /// never completes that round).
    pub(crate) fn on_fence_status(
        &mut self,
        from: DcId,
        key: ShardKey,
        epoch: Epoch,
        out: &mut Out,
    ) {
        let Some(m) = self.meta(key).cloned() else {
            return;
        };
        if m.epoch >= epoch {
            let msg = Msg::NewEpoch {
                table: key.0,
                shard: key.1,
                epoch: m.epoch,
                primary: m.primary,
            };
            if from != self.id {
                out.send(from, msg);
            }
            return;
        }
        if self
            .vol
            .promotions
            .get(&key)
            .is_some_and(|p| p.epoch == epoch)
        {
            return;
        }
        let floor = self.vol.term_floor.entry(key).or_insert(0);
        *floor = (*floor).max(epoch.term);
        if from == self.id {
            self.on_fence_release(key, epoch);
        } else {
            out.send(
                from,
                Msg::FenceRelease {
                    table: key.0,
                    shard: key.1,
                    epoch,
                },
            );
        }
    }

    /// The issuer abandoned the round of `epoch`: drop the fence if it is that round's.
    pub(crate) fn on_fence_release(&mut self, key: ShardKey, epoch: Epoch) {
        if self.durable.fences.get(&key).is_some_and(|f| f.0 == epoch) {
            self.durable.fences.remove(&key);
        }
    }

    pub(crate) fn on_fence_query(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        key: ShardKey,
        epoch: Epoch,
        out: &mut Out,
    ) {
        if self.fence_deferred(ctx, key) {
            // Bound by the old primary's read lease: the issuer asks again next tick.
            return;
        }
        let (ok, last, until, known) = match self.fence(ctx, key, epoch) {
            Some((last, until)) => (true, last, until, epoch),
            None => {
                let (mine, fenced) = self.epoch_and_fence(key);
                (false, LogPos::default(), ctx.now, mine.max(fenced))
            }
        };
        out.send(
            from,
            Msg::FenceReply {
                table: key.0,
                shard: key.1,
                epoch: known,
                ok,
                last,
                until,
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_fence_reply(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        key: ShardKey,
        epoch: Epoch,
        ok: bool,
        last: LogPos,
        until: SimTime,
        out: &mut Out,
    ) {
        let Some(p) = self.vol.promotions.get_mut(&key) else {
            return;
        };
        if !ok {
            if epoch >= p.epoch {
                // The replica knows this epoch or a newer one: start over above it.
                let floor = self.vol.term_floor.entry(key).or_insert(0);
                *floor = (*floor).max(epoch.term);
                self.vol.promotions.remove(&key);
            }
            return;
        }
        if epoch != p.epoch {
            return;
        }
        p.heard.insert(from, (last, until));
        self.drive_round(ctx, key, out);
    }

    /// The last log position of `d`'s copy as this DC knows it.
    fn known_last(&self, key: ShardKey, d: DcId) -> LogPos {
        if d == self.id {
            self.durable
                .stores
                .get(&key)
                .map(|s| s.last())
                .unwrap_or_default()
        } else {
            self.vol
                .progress
                .get(&d)
                .and_then(|ps| {
                    ps.binary_search_by_key(&key, |(k, _)| *k)
                        .ok()
                        .map(|i| ps[i].1)
                })
                .unwrap_or_default()
        }
    }

    /// Learns that `primary` leads `key` in `epoch` (ignored unless newer).
    pub(crate) fn adopt_epoch(
        &mut self,
        ctx: &Ctx,
        key: ShardKey,
        epoch: Epoch,
        primary: DcId,
        out: &mut Out,
    ) {
        let Some(m) = self.durable.meta.get(&key).cloned() else {
            return;
        };
        if epoch < m.epoch || (epoch == m.epoch && primary == m.primary) {
            return;
        }
        if primary == self.id {
            if let Some(meta) = self.durable.meta.get_mut(&key) {
                meta.epoch = epoch;
                meta.primary = primary;
            }
            self.vol.primaries.insert(key, PrimaryState::default());
            let last = self
                .durable
                .stores
                .get(&key)
                .map(|s| s.last())
                .unwrap_or_default();
            out.fact(Fact::Promoted {
                table: key.0,
                shard: key.1,
                epoch,
                last,
            });
            self.ship(ctx, key, out);
        } else {
            self.step_down(ctx, key, epoch, primary, out);
        }
    }
}

/// What peer `v` last gossiped about `x` (its view is sorted by DC).
fn gossiped(
    gossip: &crate::vecmap::VecMap<DcId, std::rc::Rc<[(DcId, PeerState)]>>,
    v: DcId,
    x: DcId,
) -> Option<PeerState> {
    let view = gossip.get(&v)?;
    let i = view.binary_search_by_key(&x, |&(d, _)| d).ok()?;
    Some(view[i].1)
}
