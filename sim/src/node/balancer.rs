//! Read routing: which replica a client DC asks.
//!
//! Invariants: a DC routes only on its own knowledge (its detector view, its outstanding
//! requests, the latency table); replicas it considers dead are skipped unless every
//! replica is, and ties always break by DC id.

use super::{Ctx, Node};
use crate::config::ReadPolicy;
use crate::ids::DcId;
use crate::placement::digest_mod;
use crate::table::{with_pk_text, Pk};
use crate::vocab::{PeerState, ShardKey};

impl Node {
    fn live_replicas(&self, ctx: &Ctx, key: ShardKey) -> Vec<DcId> {
        let all = ctx.placement.replicas_of(key.1);
        let live: Vec<DcId> = all
            .iter()
            .copied()
            .filter(|&d| self.view_of(d) != PeerState::Dead)
            .collect();
        if live.is_empty() {
            all.to_vec()
        } else {
            live
        }
    }

    /// The replica a `One` read goes to.
    pub(crate) fn choose_replica(&mut self, ctx: &Ctx, key: ShardKey, pk: &Pk) -> DcId {
        self.ranked_replicas(ctx, key, pk)[0]
    }

    /// Live replicas, most preferred first under the configured policy.
    pub(crate) fn ranked_replicas(&mut self, ctx: &Ctx, key: ShardKey, pk: &Pk) -> Vec<DcId> {
        let mut live = self.live_replicas(ctx, key);
        let n = live.len() as u64;
        match ctx.cfg.read_policy {
            ReadPolicy::Hash => {
                // `sha1_mod(pk_text(pk), n)`, the digest remembered per key.
                let d = with_pk_text(pk, |t| ctx.placement.sha1_cached(t));
                let i = digest_mod(&d, n) as usize;
                live.rotate_left(i);
            }
            ReadPolicy::RoundRobin => {
                let i = (self.vol.round_robin % n) as usize;
                self.vol.round_robin += 1;
                live.rotate_left(i);
            }
            ReadPolicy::LeastLoaded => {
                let me = self.id;
                crate::sort::insertion_sort_by_key(&mut live, |&d| {
                    (
                        self.vol.outstanding.get(&d).copied().unwrap_or(0),
                        ctx.latency(me, d),
                        d,
                    )
                });
            }
            ReadPolicy::Nearest => {
                let me = self.id;
                crate::sort::insertion_sort_by_key(&mut live, |&d| (ctx.latency(me, d), d));
            }
        }
        live
    }
}
