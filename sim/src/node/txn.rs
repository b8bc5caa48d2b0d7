//! Two-phase commit whose participants are shards — replica groups — not DCs.
//!
//! Invariants:
//! - The coordinator (the client's home DC) writes its record before sending PREPARE and
//!   its decision before sending it; with no record at all, the answer is ABORT (presumed
//!   abort). It commits only with a YES from every participant shard.
//! - A participant shard's PREPARE is an entry in the shard's replication log holding the
//!   writes as intents (see `table::Body`); the intents lock their rows wherever the log
//!   is, so a primary promoted after a failover inherits them. The primary votes YES only
//!   once that entry is durable under the table's mode (as a client write would be
//!   acknowledged), and NO, without writing anything, if it is not the primary or a row is
//!   locked by another transaction.
//! - The decision is a COMMIT or ABORT entry appended by whoever is the shard's primary
//!   when the decision reaches it; the participant acknowledges it only once that entry is
//!   durable there. A DC that is not the primary ignores PREPARE results and decisions
//!   (the coordinator resends them to the primary it learns of). Nothing is forwarded.
//! - Having voted YES, a shard never decides alone: the primary holding an intent whose
//!   decision is overdue is in doubt, keeps the locks and keeps asking the coordinator
//!   (`txn_tick`, from any primary: the one that voted, or one promoted since).
//! - On recovery a coordinator aborts what it had not decided and resends what it had.
//! - At END the record goes (`forget_ended`): an ABORT leaves nothing (presumed abort
//!   answers a late query the same), a COMMIT leaves its id in `committed`, with the
//!   position of each participant shard's decision entry, until every replica of every
//!   participant shard is seen (gossiped log positions) to hold that entry: then no copy
//!   can still ask (`forget_replicated`).

use super::state::{AckTo, CoordRecord, CoordVolatile};
use super::{Ctx, Node};
use crate::ids::{DcId, ReqId, TxnId};
use crate::table::{Body, LogPos, WriteOp};
use crate::vecmap::VecMap;
use crate::vocab::{CoordState, Fact, Msg, OpError, OpResult, Out, PartState, ShardKey, Timer};

impl Node {
    pub(crate) fn begin_txn(&mut self, ctx: &Ctx, req: ReqId, writes: Vec<WriteOp>, out: &mut Out) {
        let txn = TxnId(req.0);
        // The low-water mark below relies on this: a coordinator's transaction ids rise
        // (they are the run's request ids, issued in order).
        debug_assert!(
            self.durable
                .coord
                .keys()
                .next_back()
                .is_none_or(|&t| t < txn)
                && self
                    .durable
                    .committed
                    .last_key_value()
                    .is_none_or(|(&t, _)| t < txn),
            "{txn} is not newer than every transaction {} coordinated",
            self.id
        );
        let mut groups: VecMap<ShardKey, Vec<(WriteOp, u64)>> = VecMap::new();
        for (i, w) in writes.into_iter().enumerate() {
            let key = (w.table, ctx.shard_of(&w.pk));
            groups
                .entry(key)
                .or_default()
                .push((w, (req.0 << 8) | (i as u64 + 1)));
        }
        // The record is written (and reported) before any PREPARE leaves. The low-water
        // mark: the oldest transaction not ended here (this one, if no older is open).
        let low = self
            .durable
            .coord
            .keys()
            .next()
            .map_or(txn, |&t| t.min(txn));
        // One shared list per shard from here on (record, PREPARE, entries, intents).
        let mut shared: VecMap<ShardKey, crate::table::TxnWrites> = VecMap::new();
        shared.extend(groups.into_iter().map(|(k, ws)| (k, ws.into())));
        let groups = shared;
        let prepares: Vec<(DcId, Msg)> = groups
            .iter()
            .map(|(&key, ws)| {
                let writes = ws.clone();
                let msg = Msg::Prepare {
                    txn,
                    key,
                    writes,
                    low,
                };
                (self.primary_of(key), msg)
            })
            .collect();
        self.durable.coord.insert(
            txn,
            CoordRecord {
                req,
                started: ctx.now,
                participants: groups,
                state: CoordState::Working,
                commit: None,
            },
        );
        self.vol.coord.insert(txn, CoordVolatile::default());
        out.fact(Fact::Coord {
            txn,
            state: CoordState::Working,
            participants: self.participant_dcs(txn),
        });
        for (dst, msg) in prepares {
            out.send(dst, msg);
        }
        out.timer(ctx.cfg.txn_timeout_ms, Timer::TxnVotes(txn));
    }

    /// The DCs this coordinator believes lead its participant shards (for the diagram).
    fn participant_dcs(&self, txn: TxnId) -> Vec<DcId> {
        let mut dcs: Vec<DcId> = self
            .durable
            .coord
            .get(&txn)
            .map(|r| r.participants.keys().map(|&k| self.primary_of(k)).collect())
            .unwrap_or_default();
        crate::sort::insertion_sort_by_key(&mut dcs, |&d| d);
        dcs.dedup();
        dcs
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_prepare(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        txn: TxnId,
        key: ShardKey,
        writes: crate::table::TxnWrites,
        low: TxnId,
        out: &mut Out,
    ) {
        let refuse = |reason: String, out: &mut Out| {
            out.send(
                from,
                Msg::Vote {
                    txn,
                    key,
                    yes: false,
                    copies: 0,
                    reason,
                },
            );
        };
        let Some(store) = self
            .durable
            .stores
            .get(&key)
            .filter(|_| self.is_primary(key))
        else {
            return refuse(format!("{} is not the primary of {}", self.id, key.1), out);
        };
        if self.fenced_below(ctx, key).is_some() {
            return refuse(
                format!("{} is fenced by a failover in progress", key.1),
                out,
            );
        }
        if let Some(&(commit, _)) = store.resolved.get(&txn) {
            // Decided already (a resent PREPARE): a commit means this shard voted YES.
            let reason = if commit {
                String::new()
            } else {
                "aborted".into()
            };
            out.send(
                from,
                Msg::Vote {
                    txn,
                    key,
                    yes: commit,
                    copies: 1,
                    reason,
                },
            );
            return;
        }
        if let Some(i) = store.intents.get(&txn) {
            // A resent PREPARE: vote again once the entry is durable here.
            let index = i.pos.index;
            let coordinator = i.coordinator;
            return self.reply_when_durable(ctx, key, index, AckTo::Vote { txn, coordinator }, out);
        }
        if store.resolved.ended(from, txn) {
            // Below the coordinator's low-water mark: it ended this transaction already
            // (a PREPARE delayed past its ABORT). Its decision may be forgotten here, so
            // never prepare it again.
            return refuse(format!("{txn} has ended at {from}"), out);
        }
        if let Some(&other) = writes.iter().find_map(|(w, _)| store.locks.get(&w.pk)) {
            // Not prepared, so it may refuse alone: nothing to write (presumed abort).
            out.fact(Fact::Part {
                txn,
                key,
                state: PartState::Aborted,
                coordinator: from,
                locks: 0,
            });
            return refuse(format!("row locked by {other}"), out);
        }
        let body = Body::Prepare {
            txn,
            coordinator: from,
            writes,
            low,
        };
        if self.bugs.vote_before_prepare_is_durable {
            // Broken variant: YES before the PREPARE has any copy beyond this DC.
            self.primary_append(ctx, key, body, 0, None, out);
            return self.vote_yes(key, txn, from, 1, out);
        }
        let reply = AckTo::Vote {
            txn,
            coordinator: from,
        };
        self.primary_append(ctx, key, body, 0, Some(reply), out);
    }

    /// Shard `key`'s PREPARE entry is durable: report it and vote YES.
    pub(crate) fn vote_yes(
        &mut self,
        key: ShardKey,
        txn: TxnId,
        coordinator: DcId,
        copies: usize,
        out: &mut Out,
    ) {
        if let Some(i) = self
            .durable
            .stores
            .get(&key)
            .and_then(|s| s.intents.get(&txn))
        {
            out.fact(Fact::Part {
                txn,
                key,
                state: PartState::Prepared,
                coordinator,
                locks: i.writes.len(),
            });
        }
        out.send(
            coordinator,
            Msg::Vote {
                txn,
                key,
                yes: true,
                copies: copies.min(u8::MAX as usize) as u8,
                reason: String::new(),
            },
        );
    }

    pub(crate) fn on_vote(
        &mut self,
        from: DcId,
        txn: TxnId,
        key: ShardKey,
        yes: bool,
        copies: u8,
        out: &mut Out,
    ) {
        let Some(rec) = self.durable.coord.get(&txn) else {
            return;
        };
        if rec.state != CoordState::Working || !rec.participants.contains_key(&key) {
            return;
        }
        let n = rec.participants.len();
        let v = self.vol.coord.entry(txn).or_default();
        v.votes.insert(key, (yes, copies, from));
        let yeses = v.votes.values().filter(|v| v.0).count();
        if !yes {
            self.decide(txn, false, "a participant voted NO", out);
        } else if yeses == n || self.bugs.commit_without_all_votes {
            self.decide(txn, true, "", out);
        }
    }

    /// Writes the decision durably, answers the client (for an abort), and sends it.
    fn decide(&mut self, txn: TxnId, commit: bool, why: &str, out: &mut Out) {
        let participants = self.participant_dcs(txn);
        if self.bugs.decision_sent_before_persisted {
            return self.decide_unlogged(txn, commit, why, participants, out);
        }
        let Some(rec) = self.durable.coord.get_mut(&txn) else {
            return;
        };
        rec.state = if commit {
            CoordState::Committed
        } else {
            CoordState::Aborted
        };
        rec.commit = Some(commit);
        let req = rec.req;
        out.fact(Fact::Coord {
            txn,
            state: rec.state,
            participants,
        });
        // An abort is final at once; a commit is reported to the client at END, once every
        // participant shard has made its COMMIT entry durable under its table's mode.
        if !commit {
            self.finish_txn_request(req, OpResult::Err(OpError::Aborted(why.to_string())), out);
        }
        // The record is durable now; the decision leaves on the next event (`coord_resend`),
        // so a crash can fall between the two phases — exactly the window 2PC blocks on.
        out.timer(0, Timer::TxnResend(txn));
    }

    /// Broken variant (`Bugs::decision_sent_before_persisted`): the decision leaves at
    /// once and reaches the durable record only on the next event (`coord_resend`).
    fn decide_unlogged(
        &mut self,
        txn: TxnId,
        commit: bool,
        why: &str,
        participants: Vec<DcId>,
        out: &mut Out,
    ) {
        let Some(rec) = self.durable.coord.get(&txn) else {
            return;
        };
        let req = rec.req;
        let keys: Vec<ShardKey> = rec.participants.keys().copied().collect();
        self.vol.coord.entry(txn).or_default().unlogged = Some(commit);
        let state = if commit {
            CoordState::Committed
        } else {
            CoordState::Aborted
        };
        out.fact(Fact::Coord {
            txn,
            state,
            participants,
        });
        if !commit {
            self.finish_txn_request(req, OpResult::Err(OpError::Aborted(why.to_string())), out);
        }
        for key in keys {
            self.send_decision(txn, key, commit, out);
        }
        out.timer(0, Timer::TxnResend(txn));
    }

    /// The coordinator's decision (not an answer to a query) to the primary this DC
    /// believes leads shard `key`.
    fn send_decision(&self, txn: TxnId, key: ShardKey, commit: bool, out: &mut Out) {
        let msg = Msg::Decision {
            txn,
            key,
            commit,
            asked: false,
        };
        out.send(self.primary_of(key), msg);
    }

    pub(crate) fn coord_vote_timeout(&mut self, txn: TxnId, out: &mut Out) {
        if self
            .durable
            .coord
            .get(&txn)
            .is_some_and(|r| r.state == CoordState::Working)
        {
            self.decide(txn, false, "votes timed out (presumed abort)", out);
        }
    }

    /// Timer: resend the decision to the shards that have not acknowledged it, each at the
    /// primary this DC now believes leads it.
    pub(crate) fn coord_resend(&mut self, ctx: &Ctx, txn: TxnId, out: &mut Out) {
        // Only the broken variant leaves a decision to log here (`decide_unlogged`).
        if let Some(commit) = self.vol.coord.get_mut(&txn).and_then(|v| v.unlogged.take()) {
            if let Some(rec) = self.durable.coord.get_mut(&txn) {
                rec.commit = Some(commit);
                rec.state = if commit {
                    CoordState::Committed
                } else {
                    CoordState::Aborted
                };
            }
        }
        let Some(rec) = self.durable.coord.get(&txn) else {
            return;
        };
        let Some(commit) = rec.commit else { return };
        if rec.state == CoordState::Ended {
            return;
        }
        let acks = self.vol.coord.get(&txn).map(|v| &v.acks);
        for &key in rec.participants.keys() {
            if !acks.is_some_and(|a| a.contains_key(&key)) {
                self.send_decision(txn, key, commit, out);
            }
        }
        out.timer(ctx.cfg.txn_timeout_ms, Timer::TxnResend(txn));
    }

    pub(crate) fn on_decision_ack(
        &mut self,
        from: DcId,
        txn: TxnId,
        key: ShardKey,
        copies: u8,
        at: LogPos,
        out: &mut Out,
    ) {
        let participants = self.participant_dcs(txn);
        let Some(rec) = self.durable.coord.get_mut(&txn) else {
            return;
        };
        // Once ENDed a late acknowledgement changes nothing (and must not bring back the
        // volatile record `forget_ended` dropped).
        if rec.commit.is_none()
            || rec.state == CoordState::Ended
            || !rec.participants.contains_key(&key)
        {
            return;
        }
        let v = self.vol.coord.entry(txn).or_default();
        v.acks.entry(key).or_insert((from, copies, at));
        if rec.participants.keys().all(|p| v.acks.contains_key(p)) {
            rec.state = CoordState::Ended;
            out.fact(Fact::Coord {
                txn,
                state: CoordState::Ended,
                participants,
            });
            if rec.commit == Some(true) {
                let req = rec.req;
                // A row is as safe as the weaker of its shard's PREPARE (until applied) and
                // COMMIT; a COMMIT with no copy means the PREPARE was lost before it.
                let shards = v
                    .acks
                    .iter()
                    .map(|(&k, &(d, commit, _))| {
                        let (prepare, voter) = v.votes.get(&k).map_or((0, d), |v| (v.1, v.2));
                        if commit == 0 {
                            // Lost before its COMMIT: as safe as the PREPARE its voter kept.
                            (k, voter, prepare)
                        } else {
                            (k, d, commit.min(prepare))
                        }
                    })
                    .collect();
                self.finish_txn_request(req, OpResult::Committed { shards }, out);
            }
            self.forget_ended(txn);
        }
    }

    /// Garbage collection of the transaction table at END (every participant shard has
    /// acknowledged the decision), so it does not grow with the run. An ENDed record
    /// only ever answered late messages, and without it every answer stays the same:
    /// - votes and acknowledgements (volatile) only built the client's answer: dropped;
    /// - a late vote, acknowledgement or resend timer finds no record and is ignored, as
    ///   it was ignored by an ENDed one; recovery replays only records not ENDed;
    /// - an ABORT leaves nothing: a late query (a PREPARE delayed past the ABORT, or one a
    ///   failover kept while losing the ABORT entry) hears ABORT from presumed abort;
    /// - a COMMIT leaves its id in `committed`: a participant shard may still ask — a
    ///   failover can lose the COMMIT entry at a primary of a mode that acknowledges before
    ///   replicating while a replica keeps the PREPARE — and must then hear COMMIT, which
    ///   presumed abort would get wrong. With the id go the positions each shard
    ///   acknowledged its decision entry at, so `forget_replicated` can tell when no copy
    ///   can still ask.
    fn forget_ended(&mut self, txn: TxnId) {
        let acks = self
            .vol
            .coord
            .remove(&txn)
            .map(|v| v.acks)
            .unwrap_or_default();
        if let Some(r) = self.durable.coord.remove(&txn) {
            if r.commit == Some(true) && !self.bugs.forget_commits {
                let at = acks.into_iter().map(|(k, (d, _, at))| (k, d, at)).collect();
                self.durable.committed.insert(txn, at);
            }
        }
    }

    /// Heartbeat tick: forgets each committed id whose decision entry every replica of
    /// every participant shard holds, as their gossiped last log positions show (this
    /// DC's own copies read directly). Why that is safe: a position names one entry and
    /// the prefix before it (log matching), so a copy whose last entry is in the decision
    /// entry's epoch at or past its index holds the COMMIT — it will never ask — and once
    /// every copy of the shard holds it, no primary can be elected without it, so it is
    /// never truncated (a membership change copies from the newest copy). With no copy
    /// (`at.index` 0: nothing was prepared at the acknowledging primary), a copy whose last
    /// entry is in that primary's epoch matches its log, which lacks the PREPARE: it
    /// holds no intent either. A copy whose last entry is in another epoch (a failover
    /// since) proves nothing: the id stays (every commit acknowledged while a copy was
    /// down and before the failover: not yet freed, see docs/ARCHITECTURE.md). Down DCs'
    /// positions are their last gossip: a down copy changes nothing.
    pub(crate) fn forget_replicated(&mut self, ctx: &Ctx) {
        if self.durable.committed.is_empty() {
            return;
        }
        let holds = |node: &Node, d: DcId, key: ShardKey, at: LogPos| -> bool {
            let last = if d == node.id {
                node.durable.stores.get(&key).map(|s| s.last())
            } else {
                node.vol.progress.get(&d).and_then(|ps| {
                    ps.binary_search_by(|(k, _)| k.cmp(&key))
                        .ok()
                        .map(|i| ps[i].1)
                })
            };
            last.is_some_and(|l| l.epoch == at.epoch && l.index >= at.index)
        };
        let broken = self.bugs.forget_commit_when_primary_holds_it;
        let done: Vec<TxnId> = self
            .durable
            .committed
            .iter()
            .filter(|(_, shards)| {
                shards.iter().all(|&(key, acker, at)| {
                    if broken {
                        // Broken variant: the acknowledging primary's copy alone.
                        return holds(self, acker, key, at);
                    }
                    ctx.placement
                        .replicas_of(key.1)
                        .iter()
                        .all(|&d| holds(self, d, key, at))
                })
            })
            .map(|(&t, _)| t)
            .collect();
        for t in done {
            self.durable.committed.remove(&t);
        }
    }

    pub(crate) fn on_query_decision(
        &mut self,
        from: DcId,
        txn: TxnId,
        key: ShardKey,
        out: &mut Out,
    ) {
        match self.durable.coord.get(&txn) {
            // Still collecting votes: the decision will be sent when it exists.
            Some(r) if r.commit.is_none() => {}
            Some(r) => out.send(
                from,
                Msg::Decision {
                    txn,
                    key,
                    commit: r.commit == Some(true),
                    asked: true,
                },
            ),
            // Ended: committed, or else (no record at all) presumed abort.
            None => out.send(
                from,
                Msg::Decision {
                    txn,
                    key,
                    commit: self.durable.committed.contains_key(&txn),
                    asked: true,
                },
            ),
        }
    }

    pub(crate) fn on_decision(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        txn: TxnId,
        key: ShardKey,
        commit: bool,
        asked: bool,
        out: &mut Out,
    ) {
        if !self.is_primary(key) || self.fenced_below(ctx, key).is_some() {
            // Only the shard's unfenced primary decides for it; the coordinator's resend
            // finds the primary the failover settles on.
            return;
        }
        let Some(store) = self.durable.stores.get(&key) else {
            return;
        };
        let reply = AckTo::Decided {
            txn,
            coordinator: from,
        };
        if let Some(&(_, index)) = store.resolved.get(&txn) {
            return self.reply_when_durable(ctx, key, index, reply, out);
        }
        let state = if commit {
            PartState::Committed
        } else {
            PartState::Aborted
        };
        if asked && !self.bugs.stale_decision_applied && !store.intents.contains_key(&txn) {
            // The answer to a query this copy made while it held the intent, resolved
            // since (the answer may be a presumed ABORT of a committed id the coordinator
            // forgot meanwhile, `forget_replicated`; the decision may be forgotten here
            // too, below a low-water mark or in a new layout): nothing to do or report.
            return;
        }
        let Some(intent) = store.intents.get(&txn) else {
            // Never prepared here (a NO vote, a lost PREPARE) — or the PREPARE was lost by
            // a failover, which only a mode that acknowledges before replicating allows.
            // Nothing to apply; zero copies tells the coordinator (and the checker) so.
            out.fact(Fact::Part {
                txn,
                key,
                state,
                coordinator: from,
                locks: 0,
            });
            // The primary's epoch: a copy whose log reaches it matches this one (no PREPARE).
            let epoch = self.meta(key).map(|m| m.epoch).unwrap_or_default();
            out.send(
                from,
                Msg::DecisionAck {
                    txn,
                    key,
                    copies: 0,
                    at: LogPos { epoch, index: 0 },
                },
            );
            return;
        };
        let coordinator = intent.coordinator;
        let body = if commit {
            Body::Commit {
                txn,
                writes: intent.writes.clone(),
            }
        } else {
            Body::Abort { txn }
        };
        self.vol.asked.remove(&(key, txn));
        out.fact(Fact::Part {
            txn,
            key,
            state,
            coordinator,
            locks: 0,
        });
        self.primary_append(ctx, key, body, 0, Some(reply), out);
    }

    /// Heartbeat tick: every intent of a shard this DC leads whose decision is overdue is
    /// in doubt; ask its coordinator (again, once per timeout).
    pub(crate) fn txn_tick(&mut self, ctx: &Ctx, out: &mut Out) {
        let timeout = ctx.cfg.txn_timeout_ms;
        let mut ask = Vec::new();
        for (&key, store) in &self.durable.stores {
            if store.intents.is_empty() || !self.is_primary(key) {
                continue;
            }
            for (&txn, i) in &store.intents {
                if ctx.now.since(i.at) < timeout {
                    continue;
                }
                match self.vol.asked.get(&(key, txn)) {
                    Some(&t) if ctx.now.since(t) < timeout => {}
                    seen => ask.push((key, txn, i.coordinator, i.writes.len(), seen.is_none())),
                }
            }
        }
        self.vol.asked.retain(|(key, txn), _| {
            self.durable
                .stores
                .get(key)
                .is_some_and(|s| s.intents.contains_key(txn))
        });
        for (key, txn, coordinator, locks, first) in ask {
            if self.bugs.participant_commits_on_timeout {
                // Broken variant: decide alone, as if the coordinator had said COMMIT.
                self.on_decision(ctx, coordinator, txn, key, true, false, out);
                continue;
            }
            if first {
                out.fact(Fact::Part {
                    txn,
                    key,
                    state: PartState::InDoubt,
                    coordinator,
                    locks,
                });
            }
            self.vol.asked.insert((key, txn), ctx.now);
            out.send(coordinator, Msg::QueryDecision { txn, key });
        }
    }

    /// Intents (prepared, undecided) in the shards this DC leads.
    pub(crate) fn unresolved_parts(&self) -> usize {
        self.led_stores().map(|s| s.intents.len()).sum()
    }

    /// The participant state of every intent (prepared, undecided) this DC stores for
    /// shard `key`: `InDoubt` once it found the decision overdue and asks the coordinator
    /// (the instant `txn_tick` reports `PartState::InDoubt`), `Prepared` before.
    pub(crate) fn intent_states(
        &self,
        key: ShardKey,
    ) -> impl Iterator<Item = (TxnId, PartState)> + '_ {
        self.durable
            .stores
            .get(&key)
            .into_iter()
            .flat_map(move |s| s.intents.keys())
            .map(move |&txn| {
                let state = if self.is_up() && self.vol.asked.contains_key(&(key, txn)) {
                    PartState::InDoubt
                } else {
                    PartState::Prepared
                };
                (txn, state)
            })
    }

    fn led_stores(&self) -> impl Iterator<Item = &crate::table::ShardStore> + '_ {
        self.durable
            .stores
            .iter()
            .filter(|(k, _)| self.is_primary(**k))
            .map(|(_, s)| &**s)
    }

    /// Recovery: finish what the coordinator's durable records say is unfinished. (The
    /// participant side needs nothing: its intents are in the shard logs, and `txn_tick`
    /// asks about them if this DC still leads those shards.)
    pub(crate) fn replay_txn_log(&mut self, ctx: &Ctx, out: &mut Out) {
        let mut redo = 0;
        let coord: Vec<TxnId> = self
            .durable
            .coord
            .iter()
            .filter(|(_, r)| r.state != CoordState::Ended)
            .map(|(t, _)| *t)
            .collect();
        for txn in coord {
            redo += 1;
            let undecided = self
                .durable
                .coord
                .get(&txn)
                .is_some_and(|r| r.commit.is_none());
            if undecided {
                // Never decided before the crash: presumed abort.
                self.decide(txn, false, "coordinator crashed before deciding", out);
            } else {
                self.coord_resend(ctx, txn, out);
            }
        }
        out.fact(Fact::Recovered {
            in_doubt: self.unresolved_parts(),
            redo_decisions: redo,
        });
    }
}
