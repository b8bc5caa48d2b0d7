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

    /// The replica a `One` read goes to: `ranked_replicas(..)[0]`, found without building
    /// the ranking (a list per read; every `One` read asks this).
    pub(crate) fn choose_replica(&mut self, ctx: &Ctx, key: ShardKey, pk: &Pk) -> DcId {
        let all = ctx.placement.replicas_of(key.1);
        if all.is_empty() {
            return self.ranked_replicas(ctx, key, pk)[0];
        }
        let live = all
            .iter()
            .filter(|&&d| self.view_of(d) != PeerState::Dead)
            .count();
        // Tests run with debug assertions: the ranking's first, as it was computed before.
        #[cfg(debug_assertions)]
        let want = {
            let rr = self.vol.round_robin;
            let first = self.ranked_replicas(ctx, key, pk)[0];
            self.vol.round_robin = rr;
            first
        };
        // The list `ranked_replicas` ranks: the live replicas, or all when none is.
        let this = &*self;
        let pool = || {
            all.iter()
                .copied()
                .filter(move |&d| live == 0 || this.view_of(d) != PeerState::Dead)
        };
        let n = if live == 0 { all.len() } else { live } as u64;
        let me = self.id;
        let chosen = match ctx.cfg.read_policy {
            // The first after rotating left by `i` is the `i`-th.
            ReadPolicy::Hash => {
                let d = with_pk_text(pk, |t| ctx.placement.sha1_cached(t));
                let i = digest_mod(&d, n) as usize;
                nth(pool(), i)
            }
            ReadPolicy::RoundRobin => {
                let i = (self.vol.round_robin % n) as usize;
                let d = nth(pool(), i);
                self.vol.round_robin += 1;
                d
            }
            // A stable sort's first is the least key (the keys end with the DC id: distinct).
            ReadPolicy::LeastLoaded => least(pool(), |d| {
                (
                    self.vol.outstanding.get(&d).copied().unwrap_or(0),
                    ctx.latency(me, d),
                    d,
                )
            }),
            ReadPolicy::Nearest => least(pool(), |d| (ctx.latency(me, d), d)),
        };
        #[cfg(debug_assertions)]
        debug_assert_eq!(chosen, want);
        chosen
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

fn nth(mut it: impl Iterator<Item = DcId>, i: usize) -> DcId {
    it.nth(i).unwrap_or(DcId(0))
}

fn least<K: Ord>(it: impl Iterator<Item = DcId>, key: impl Fn(DcId) -> K) -> DcId {
    it.min_by_key(|&d| key(d)).unwrap_or(DcId(0))
}
