//! The per-DC failure detector.
//!
//! Invariants: each DC's view of a peer depends only on when *it* last heard a heartbeat
//! from that peer (`Alive` while silent < suspect-after, `Suspect` until dead-after, then
//! `Dead`); views are never shared by fiat, only gossiped inside heartbeats, so a
//! partitioned DC's view may legitimately disagree with everyone else's.

use crate::ids::DcId;
use crate::time::SimTime;
use crate::vecmap::VecMap;
use crate::vocab::PeerState;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PeerView {
    pub(crate) last_heard: SimTime,
    pub(crate) state: PeerState,
}

/// One DC's failure detector over its peers.
#[derive(Clone, Debug, Default, Hash)]
pub(crate) struct Detector {
    peers: VecMap<DcId, PeerView>,
}

impl Detector {
    /// A detector that has just started: it gives every peer a full grace period.
    pub(crate) fn new(now: SimTime, peers: impl Iterator<Item = DcId>) -> Detector {
        let views = peers
            .map(|p| {
                (
                    p,
                    PeerView {
                        last_heard: now,
                        state: PeerState::Alive,
                    },
                )
            })
            .collect();
        Detector { peers: views }
    }

    /// A heartbeat from `from` arrived; returns the transition if its state changed.
    pub(crate) fn heard(&mut self, now: SimTime, from: DcId) -> Option<(PeerState, PeerState)> {
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
    pub(crate) fn evaluate(
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

    /// The current view of `peer` (an unknown peer is dead).
    pub(crate) fn state(&self, peer: DcId) -> PeerState {
        self.peers
            .get(&peer)
            .map(|v| v.state)
            .unwrap_or(PeerState::Dead)
    }

    /// Every peer's state, by id.
    pub(crate) fn view(&self) -> Vec<(DcId, PeerState)> {
        self.peers.iter().map(|(&p, v)| (p, v.state)).collect()
    }

    /// Whether `peer` is watched at all (a DC that joined may not be yet).
    pub(crate) fn knows(&self, peer: DcId) -> bool {
        self.peers.contains_key(&peer)
    }

    /// Stops watching a peer that left the membership.
    pub(crate) fn forget(&mut self, peer: DcId) {
        self.peers.remove(&peer);
    }
}
