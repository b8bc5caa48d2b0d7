//! Heartbeats and the per-DC failure detector.
//!
//! Invariants: each DC's view of a peer depends only on when *it* last heard a heartbeat
//! from that peer (`Alive` while silent < suspect-after, `Suspect` until dead-after, then
//! `Dead`); views are never shared by fiat, only gossiped inside heartbeats, so a
//! partitioned DC's view may legitimately disagree with everyone else's.

use super::ids::DcId;
use super::time::SimTime;
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PeerState {
    Alive,
    Suspect,
    Dead,
}

impl PeerState {
    pub fn label(self) -> &'static str {
        match self {
            PeerState::Alive => "alive",
            PeerState::Suspect => "suspect",
            PeerState::Dead => "dead",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerView {
    pub last_heard: SimTime,
    pub state: PeerState,
}

/// One DC's failure detector over its peers.
#[derive(Clone, Debug, Default)]
pub struct Detector {
    pub peers: std::collections::BTreeMap<DcId, PeerView>,
}

impl Detector {
    /// A detector that has just started: it gives every peer a full grace period.
    pub fn new(now: SimTime, peers: impl Iterator<Item = DcId>) -> Detector {
        Detector {
            peers: peers
                .map(|p| {
                    (
                        p,
                        PeerView {
                            last_heard: now,
                            state: PeerState::Alive,
                        },
                    )
                })
                .collect(),
        }
    }

    pub fn heard(&mut self, now: SimTime, from: DcId) -> Option<(PeerState, PeerState)> {
        let v = self.peers.entry(from).or_insert(PeerView {
            last_heard: now,
            state: PeerState::Alive,
        });
        v.last_heard = now;
        if v.state != PeerState::Alive {
            let old = v.state;
            v.state = PeerState::Alive;
            return Some((old, PeerState::Alive));
        }
        None
    }

    /// Re-evaluates every peer; returns the transitions `(peer, from, to)`.
    pub fn evaluate(
        &mut self,
        now: SimTime,
        suspect_after: u64,
        dead_after: u64,
    ) -> Vec<(DcId, PeerState, PeerState)> {
        let mut changes = Vec::new();
        for (&p, v) in self.peers.iter_mut() {
            let silent = now.since(v.last_heard);
            let s = if silent >= dead_after {
                PeerState::Dead
            } else if silent >= suspect_after {
                PeerState::Suspect
            } else {
                PeerState::Alive
            };
            if s != v.state {
                changes.push((p, v.state, s));
                v.state = s;
            }
        }
        changes
    }

    pub fn state(&self, peer: DcId) -> PeerState {
        self.peers
            .get(&peer)
            .map(|v| v.state)
            .unwrap_or(PeerState::Dead)
    }

    pub fn view(&self) -> Vec<(DcId, PeerState)> {
        self.peers.iter().map(|(&p, v)| (p, v.state)).collect()
    }
}

use super::msg::{Msg, ShardInfo};
use super::node::{Ctx, Fact, Node, Out, ShardKey};
use super::table::LogPos;
use std::rc::Rc;

impl Node {
    /// Timer: re-evaluate every peer, then tell every peer we are alive (with our view
    /// and what we know of shards).
    pub(crate) fn heartbeat_tick(&mut self, ctx: &Ctx, out: &mut Vec<Out>) {
        let changes =
            self.vol
                .detector
                .evaluate(ctx.now, ctx.cfg.suspect_after_ms, ctx.cfg.dead_after_ms);
        let any_dead_change = changes
            .iter()
            .any(|&(_, a, b)| a == PeerState::Dead || b == PeerState::Dead);
        for (target, from, to) in changes {
            out.push(Out::Fact(Fact::View { target, from, to }));
        }
        if any_dead_change {
            // `Sync` waits for the replicas we consider live: that set just changed.
            let keys: Vec<_> = self.vol.primaries.keys().copied().collect();
            for k in keys {
                self.check_pending(ctx, k, out);
            }
        }
        let view: Rc<[(DcId, PeerState)]> = self.vol.detector.view().into();
        let epochs: Rc<[ShardInfo]> = self.shard_infos().into();
        let positions: Rc<[(ShardKey, LogPos)]> = self.positions().into();
        let peers: Vec<DcId> = self.peers(ctx).collect();
        for dst in peers {
            out.push(Out::Send {
                dst,
                msg: Msg::Heartbeat {
                    view: view.clone(),
                    epochs: epochs.clone(),
                    positions: positions.clone(),
                },
            });
        }
    }

    pub(crate) fn on_heartbeat(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        view: Rc<[(DcId, PeerState)]>,
        epochs: Rc<[ShardInfo]>,
        positions: Rc<[(ShardKey, LogPos)]>,
        out: &mut Vec<Out>,
    ) {
        if let Some((old, new)) = self.vol.detector.heard(ctx.now, from) {
            out.push(Out::Fact(Fact::View {
                target: from,
                from: old,
                to: new,
            }));
        }
        self.vol.gossip.insert(from, view.iter().copied().collect());
        for info in epochs.iter() {
            let key = (info.table, info.shard);
            let mine = self.meta(key).map(|m| m.epoch);
            if mine.is_some_and(|e| info.epoch > e) {
                self.adopt_epoch(ctx, key, info.epoch, info.primary, out);
            }
        }
        // Kept as received: only a failover reads them.
        self.vol.progress.insert(from, positions);
    }
}
