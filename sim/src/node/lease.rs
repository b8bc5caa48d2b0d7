//! Read leases: why an `Owner` read served by a primary is never stale.
//!
//! A primary that a failover has deposed keeps believing it leads until it hears of the
//! new epoch; without a lease it would serve the old value (the classic stale leader
//! read). The lease is piggybacked on heartbeats, as Raft's leader lease rides on its
//! heartbeat round:
//!
//! - **A replica's promise.** A replica that received a heartbeat from DC P at instant r
//!   answers no fencing round against P (P is the shard's primary in its own metadata)
//!   before r + `lease_ms`; after a restart it answers none for `lease_ms` (it forgot
//!   when it last heard anyone). A deferred `FenceQuery` is simply not answered: the
//!   round's issuer asks again at its next tick. The promise ends early when P's newest
//!   heartbeat says P is fenced for the shard itself (a fenced primary serves nothing, and
//!   a round that asked P too must be able to complete while P is alive).
//! - **The echo.** Every heartbeat carries the instant it was sent and, per destination,
//!   the send instant of the newest heartbeat received from that destination, plus the
//!   shards the sender is fenced for (it answered a round that may depose their primary).
//! - **The primary's lease.** P counts replica Q as vouching for shard S until
//!   `echo + lease_ms` when Q's heartbeat showed S in P's own epoch and not fenced. Since
//!   Q received that heartbeat no earlier than it was sent, Q's promise outlasts the
//!   count. P serves an `Owner` read of S only if it is not fenced itself and enough
//!   replicas vouch that no fencing round can complete without one of them:
//!   R − F of the R − 1 others, where F answers complete a round (`failover::need`):
//!   w − 1 for `Quorum(w)`, 1 for `SemiSync`, every other replica for `Sync` (a Sync
//!   round may complete with any one replica the issuer sees alive). Otherwise the read is
//!   refused (`Unavailable`), never served stale.
//! - `Async` and `Quorum(1)` promote at once from gossip, without a round: no lease can
//!   hold them back, and their owner reads promise no freshness (docs/REPLICATION.md).
//!
//! Time is simulated and every DC reads the same clock, so a lease needs no drift margin;
//! a real system would subtract its clock-drift bound from `lease_ms`.

use super::{Ctx, Node};
use crate::config::ReplicationMode;
use crate::ids::DcId;
use crate::time::SimTime;
use crate::vocab::{ShardInfo, ShardKey};

/// How long a heartbeat binds its receiver (ms): the detector's own patience, so a
/// promise lapses about when the peers would declare the sender dead anyway.
pub(crate) fn lease_ms(ctx: &Ctx) -> u64 {
    ctx.cfg.dead_after_ms.max(ctx.cfg.heartbeat_interval_ms)
}

impl Node {
    /// True when this replica must not answer a fencing round for `key` yet: it heard
    /// from the shard's primary (as it knows it) less than `lease_ms` ago, or restarted
    /// less than `lease_ms` ago.
    pub(crate) fn fence_deferred(&self, ctx: &Ctx, key: ShardKey) -> bool {
        let l = lease_ms(ctx);
        if ctx.now < self.vol.booted.plus(l) {
            return true;
        }
        let p = self.primary_of(key);
        // A primary that said it is fenced for the shard serves nothing from it: no
        // lease to protect (and its round must be able to complete).
        let p_fenced = self
            .vol
            .peer_fenced
            .get(&p)
            .is_some_and(|f| f.contains(&key));
        p != self.id
            && !p_fenced
            && self
                .vol
                .hb_recv
                .get(&p)
                .is_some_and(|&(recv, _)| ctx.now < recv.plus(l))
    }

    /// What `from`'s heartbeat says about the shards this DC leads: each shard it showed
    /// in this DC's epoch, unfenced, vouches until `echo + lease_ms`. Returns the
    /// `lease_echo` index and epoch of each shard it vouched for (none without an echo).
    pub(crate) fn note_echo(
        &mut self,
        from: DcId,
        echo: Option<SimTime>,
        epochs: &[ShardInfo],
        sorted: bool,
        fenced: &[ShardKey],
    ) -> Vec<(u32, crate::table::Epoch)> {
        let mut slots = Vec::new();
        let Some(echo) = echo else { return slots };
        // The shards this DC leads (`led_shards`), walked in place: this runs for every
        // heartbeat received.
        let me = self.id;
        let Node { durable, vol, .. } = self;
        for (&key, m) in durable.meta.iter().filter(|(_, m)| m.primary == me) {
            let mine = m.epoch;
            // Failover epochs are gossiped; an initial or layout epoch is everyone's.
            // (`sorted`: as `shard_infos` builds them, searched rather than scanned.)
            let theirs = if sorted {
                epochs
                    .binary_search_by(|i| (i.table, i.shard).cmp(&key))
                    .ok()
                    .map(|i| epochs[i].epoch)
            } else {
                epochs
                    .iter()
                    .find(|i| (i.table, i.shard) == key)
                    .map(|i| i.epoch)
            };
            let same = match theirs {
                Some(e) => e == mine,
                None => !mine.is_gossiped(),
            };
            if same && !fenced.contains(&key) {
                // Shards in key order, one DC: each new key goes after the ones before,
                // so the indices gathered stay valid.
                let i = vol.lease_echo.index_or_insert((key, from), (mine, echo));
                vouch(vol.lease_echo.value_at_mut(i), mine, echo);
                slots.push((i as u32, mine));
            }
        }
        slots
    }

    /// Ok when this DC may serve an `Owner` read of `key` now; else why not.
    pub(crate) fn read_lease(&self, ctx: &Ctx, key: ShardKey) -> Result<(), String> {
        if self.bugs.owner_reads_without_lease {
            return Ok(());
        }
        if self.fenced_below(ctx, key).is_some() {
            return Err(format!(
                "{} is fenced by a failover in progress: no read lease",
                key.1
            ));
        }
        let reps = ctx.placement.replicas_of(key.1);
        let others = reps.len().saturating_sub(1);
        let need = match ctx.mode(key.0) {
            ReplicationMode::Async => return Ok(()),
            ReplicationMode::Quorum(w) if w <= 1 => return Ok(()),
            ReplicationMode::Quorum(w) => w as usize - 1,
            ReplicationMode::SemiSync => 1,
            ReplicationMode::Sync => others,
        }
        .min(others);
        let Some(mine) = self.meta(key).map(|m| m.epoch) else {
            return Err("no read lease".into());
        };
        let l = lease_ms(ctx);
        let vouching = reps
            .iter()
            .filter(|&&d| d != self.id)
            .filter(|&&d| {
                self.vol
                    .lease_echo
                    .get(&(key, d))
                    .is_some_and(|&(e, echo)| e == mine && ctx.now < echo.plus(l))
            })
            .count();
        if vouching >= need {
            Ok(())
        } else {
            Err(format!(
                "no read lease for {}: {vouching} of the {need} replica(s) it needs vouched in the last {l} ms",
                key.1
            ))
        }
    }
}

/// A replica's vouching for a shard in epoch `mine` until `echo` + the lease: kept unless
/// older (or of another epoch).
pub(crate) fn vouch(
    slot: &mut (crate::table::Epoch, SimTime),
    mine: crate::table::Epoch,
    echo: SimTime,
) {
    if slot.0 != mine || slot.1 < echo {
        *slot = (mine, echo);
    }
}
