//! Failover: moving a shard's primary role when its owner is dead.
//!
//! Invariants: a DC issues a new epoch for a shard only when (a) it sees the current
//! primary dead, (b) a strict majority of *all* members — itself plus peers it sees alive,
//! by their gossiped views — see it dead too, and (c) it is the lowest-id member it sees
//! alive. A minority partition therefore never fails over the majority's primaries. The new
//! primary is the live replica with the most up-to-date log (epoch, then index). Epochs
//! are `(term, issuer)`, so two concurrent issuers never produce equal epochs.

use super::state::PrimaryState;
use super::{Ctx, Node};
use crate::ids::DcId;
use crate::table::{Epoch, LogPos};
use crate::vocab::{Fact, Msg, Out, PeerState, ShardKey};

impl Node {
    pub(crate) fn failover_tick(&mut self, ctx: &Ctx, out: &mut Out) {
        if !ctx.cfg.failover {
            return;
        }
        let members: Vec<DcId> = ctx.placement.member_ids();
        let n = members.len();
        let leader = members
            .iter()
            .copied()
            .find(|&d| self.view_of(d) == PeerState::Alive);
        if leader != Some(self.id) {
            return;
        }
        for &x in &members {
            if x == self.id || self.view_of(x) != PeerState::Dead {
                continue;
            }
            let votes = 1 + members
                .iter()
                .filter(|&&v| v != self.id && v != x && self.view_of(v) == PeerState::Alive)
                .filter(|v| {
                    self.vol.gossip.get(v).and_then(|g| g.get(&x)).copied() == Some(PeerState::Dead)
                })
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
                let reps = ctx.placement.replicas(key.1);
                let best = reps
                    .iter()
                    .enumerate()
                    .filter(|(_, &d)| d != x && self.view_of(d) == PeerState::Alive)
                    .map(|(i, &d)| (self.known_last(key, d), std::cmp::Reverse(i), d))
                    .max();
                let Some((_, _, new)) = best else { continue };
                let epoch = Epoch {
                    term: old_epoch.term + 1,
                    by: self.id.0,
                };
                out.fact(Fact::FailoverIssued {
                    table: key.0,
                    shard: key.1,
                    epoch,
                    old: x,
                    new,
                });
                for &d in &members {
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
        }
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
