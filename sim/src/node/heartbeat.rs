//! Heartbeats: every DC tells every peer it is alive, with its detector view, the
//! failover epochs it knows and its log positions.
//!
//! Invariants: a heartbeat is the only way a view, an epoch or a position spreads without
//! a protocol exchange; a DC re-evaluates its detector (see `detector`) before it sends, so
//! what it gossips is what it believes at that instant. Positions are kept as received:
//! only a failover reads them.

use super::lease::vouch;
use super::state::{HbSeen, Volatile};
use super::Ctx;
use super::Node;
use crate::ids::DcId;
use crate::table::LogPos;
use crate::vocab::{Fact, Heartbeat, Msg, Out, PeerState, ShardInfo, ShardKey};
use std::rc::Rc;

impl Node {
    /// Timer: re-evaluate every peer, then tell every peer we are alive (with our view
    /// and what we know of shards).
    pub(crate) fn heartbeat_tick(&mut self, ctx: &Ctx, out: &mut Out) {
        let changes =
            self.vol
                .detector
                .evaluate(ctx.now, ctx.cfg.suspect_after_ms, ctx.cfg.dead_after_ms);
        let any_dead_change = changes
            .iter()
            .any(|&(_, a, b)| a == PeerState::Dead || b == PeerState::Dead);
        for (target, from, to) in changes {
            out.fact(Fact::View { target, from, to });
        }
        if any_dead_change {
            // `Sync` waits for the replicas we consider live: that set just changed.
            let keys: Vec<_> = self.vol.primaries.keys().copied().collect();
            for k in keys {
                self.check_pending(ctx, k, out);
            }
        }
        let view: Rc<[(DcId, PeerState)]> = self.vol.detector.view().into();
        // Unchanged metadata gossips the same list, shared: receivers recognise it.
        let gen = self.durable.meta.gen();
        let epochs: Rc<[ShardInfo]> = match &self.vol.hb_cache.sent_epochs {
            Some((g, list)) if *g == gen => list.clone(),
            _ => {
                let list: Rc<[ShardInfo]> = self.shard_infos().into();
                self.vol.hb_cache.sent_epochs = Some((gen, list.clone()));
                list
            }
        };
        let positions: Rc<[(ShardKey, LogPos)]> = self.positions().into();
        let fenced: Rc<[ShardKey]> = self
            .durable
            .fences
            .keys()
            .filter(|&&k| self.fenced_below(ctx, k).is_some())
            .copied()
            .collect();
        let peers: Vec<DcId> = self.peers(ctx).collect();
        for dst in peers {
            out.send(
                dst,
                Msg::Heartbeat(Heartbeat {
                    view: view.clone(),
                    epochs: epochs.clone(),
                    positions: positions.clone(),
                    sent: ctx.now,
                    echo: self.vol.hb_recv.get(&dst).map(|&(_, sent)| sent),
                    fenced: fenced.clone(),
                }),
            );
        }
    }

    pub(crate) fn on_heartbeat(&mut self, ctx: &Ctx, from: DcId, hb: Heartbeat, out: &mut Out) {
        let Heartbeat {
            view,
            epochs,
            positions,
            sent,
            echo,
            fenced,
        } = hb;
        // Bound by this heartbeat until `sent`'s receipt + lease (see `lease`).
        let slot = self.vol.hb_recv.entry(from).or_insert((ctx.now, sent));
        if sent >= slot.1 {
            *slot = (ctx.now, sent);
            self.vol.peer_fenced.insert(from, fenced.clone());
        }
        if let Some((old, new)) = self.vol.detector.heard(ctx.now, from) {
            out.fact(Fact::View {
                target: from,
                from: old,
                to: new,
            });
        }
        self.vol.gossip.insert(from, view);
        // The same lists as this peer's last heartbeat, against unchanged metadata: no
        // newer epoch again, and the same shards vouched for (see `HbCache`).
        let gen = self.durable.meta.gen();
        let echo_len = self.vol.lease_echo.len();
        let cached = self.vol.hb_cache.seen.get(&from).is_some_and(|c| {
            c.gen == gen
                && c.echo_len == echo_len
                && (Rc::ptr_eq(&c.epochs, &epochs) || c.epochs[..] == epochs[..])
                && c.fenced[..] == fenced[..]
        });
        if cached {
            if let Some(echo) = echo {
                let Volatile {
                    lease_echo,
                    hb_cache,
                    ..
                } = &mut self.vol;
                for &(i, mine) in &hb_cache.seen[&from].slots {
                    vouch(lease_echo.value_at_mut(i as usize), mine, echo);
                }
            }
        } else {
            // Nearly every heartbeat brings no newer epoch: a merge over the two sorted
            // lists finds that without a map lookup per gossiped epoch; the loop below
            // (its behaviour unchanged) runs only when one is newer.
            let sorted = sorted_by_shard(&epochs);
            let newer = !sorted || self.any_newer_epoch(&epochs);
            if newer {
                for info in epochs.iter() {
                    let key = (info.table, info.shard);
                    let mine = self.meta(key).map(|m| m.epoch);
                    if mine.is_some_and(|e| info.epoch > e) {
                        self.adopt_epoch(ctx, key, info.epoch, info.primary, out);
                    }
                }
            }
            // After adopting: a newer epoch just deposed this DC, and vouches for nothing.
            let slots = self.note_echo(from, echo, &epochs, sorted, &fenced);
            if !newer && echo.is_some() {
                let seen = HbSeen {
                    epochs,
                    fenced,
                    gen: self.durable.meta.gen(),
                    echo_len: self.vol.lease_echo.len(),
                    slots,
                };
                self.vol.hb_cache.seen.insert(from, seen);
            }
        }
        // Kept as received: only a failover reads them.
        self.vol.progress.insert(from, positions);
    }

    /// Whether `epochs` names a shard whose epoch here is older: a direct lookup per
    /// gossiped epoch (the metadata is indexed by shard), not a walk of every shard's.
    fn any_newer_epoch(&self, epochs: &[ShardInfo]) -> bool {
        epochs.iter().any(|info| {
            self.durable
                .meta
                .get(&(info.table, info.shard))
                .is_some_and(|m| info.epoch > m.epoch)
        })
    }

    /// Shards whose primary a failover moved (their epoch was issued by a DC, not by the
    /// initial placement or a reconfiguration), for gossip.
    fn shard_infos(&self) -> Vec<ShardInfo> {
        self.durable
            .meta
            .iter()
            .filter(|(_, m)| m.epoch.is_gossiped())
            .map(|(k, m)| ShardInfo {
                table: k.0,
                shard: k.1,
                epoch: m.epoch,
                primary: m.primary,
            })
            .collect()
    }

    /// The last log position of every shard this DC stores, sorted by shard.
    fn positions(&self) -> Vec<(ShardKey, LogPos)> {
        self.durable
            .stores
            .iter()
            .map(|(k, s)| (*k, s.last()))
            .collect()
    }
}

/// Whether `epochs` is strictly sorted by shard, as `shard_infos` builds it (a walk over
/// it may then stand for a search).
pub(crate) fn sorted_by_shard(epochs: &[ShardInfo]) -> bool {
    epochs
        .windows(2)
        .all(|w| (w[0].table, w[0].shard) < (w[1].table, w[1].shard))
}
