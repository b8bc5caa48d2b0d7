//! Two-phase commit across the primaries of the shards a transaction writes.
//!
//! Invariants:
//! - The coordinator (the client's home DC) writes its record before sending PREPARE and
//!   its decision before sending it; with no record at all, the answer is ABORT (presumed
//!   abort). It commits only with a YES from every participant.
//! - A participant votes YES only if it is the primary of every shard it is asked to write
//!   and no other transaction locks those rows; it writes PREPARED (durably) and holds
//!   the row locks before voting. Having voted YES it never decides alone: past the timeout
//!   it is `InDoubt`, keeps its locks, and keeps asking the coordinator.
//! - On recovery every node replays its records: a coordinator aborts what it had not
//!   decided and resends what it had; a participant re-takes the locks of every prepared
//!   transaction and asks for the outcome.

use super::state::{AckTo, CoordRecord, CoordVolatile, PartRecord};
use super::{Ctx, Node};
use crate::ids::{DcId, ReqId, TxnId};
use crate::table::{LogPos, WriteOp};
use crate::vocab::{CoordState, Fact, Msg, OpError, OpResult, Out, PartState, ServerOp, Timer};
use std::collections::BTreeMap;

impl Node {
    pub(crate) fn begin_txn(&mut self, ctx: &Ctx, req: ReqId, writes: Vec<WriteOp>, out: &mut Out) {
        let txn = TxnId(req.0);
        let mut groups: BTreeMap<DcId, Vec<(WriteOp, u64)>> = BTreeMap::new();
        for (i, w) in writes.into_iter().enumerate() {
            let key = (w.table, ctx.shard_of(&w.pk));
            groups
                .entry(self.primary_of(key))
                .or_default()
                .push((w, (req.0 << 8) | (i as u64 + 1)));
        }
        let participants: Vec<DcId> = groups.keys().copied().collect();
        // The record is written (and reported) before any PREPARE leaves.
        let prepares: Vec<(DcId, Msg)> = groups
            .iter()
            .map(|(&p, ws)| {
                let writes = ws.clone();
                (p, Msg::Prepare { txn, writes })
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
            participants,
        });
        for (dst, msg) in prepares {
            out.send(dst, msg);
        }
        out.timer(ctx.cfg.txn_timeout_ms, Timer::TxnVotes(txn));
    }

    pub(crate) fn on_prepare(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        txn: TxnId,
        writes: Vec<(WriteOp, u64)>,
        out: &mut Out,
    ) {
        if let Some(rec) = self.durable.part.get(&txn) {
            // A resent PREPARE: repeat the vote we gave.
            let yes = rec.state != PartState::Aborted;
            out.send(
                from,
                Msg::Vote {
                    txn,
                    yes,
                    reason: String::new(),
                },
            );
            return;
        }
        let mut refusal = None;
        for (w, _) in &writes {
            let key = (w.table, ctx.shard_of(&w.pk));
            if !self.is_primary(key) || !self.durable.stores.contains_key(&key) {
                refusal = Some(format!("{} is not the primary of {}", self.id, key.1));
                break;
            }
            if let Some(&other) = self.vol.locks.get(&(w.table, w.pk.clone())) {
                if other != txn {
                    refusal = Some(format!("row locked by {other}"));
                    break;
                }
            }
        }
        if let Some(reason) = refusal {
            // Not yet voted YES, so it may abort alone.
            self.durable.part.insert(
                txn,
                PartRecord {
                    coordinator: from,
                    writes,
                    state: PartState::Aborted,
                },
            );
            out.fact(Fact::Part {
                txn,
                state: PartState::Aborted,
                coordinator: from,
                locks: 0,
            });
            out.send(
                from,
                Msg::Vote {
                    txn,
                    yes: false,
                    reason,
                },
            );
            return;
        }
        for (w, _) in &writes {
            self.vol.locks.insert((w.table, w.pk.clone()), txn);
        }
        let locks = writes.len();
        self.durable.part.insert(
            txn,
            PartRecord {
                coordinator: from,
                writes,
                state: PartState::Prepared,
            },
        );
        out.fact(Fact::Part {
            txn,
            state: PartState::Prepared,
            coordinator: from,
            locks,
        });
        out.send(
            from,
            Msg::Vote {
                txn,
                yes: true,
                reason: String::new(),
            },
        );
        out.timer(ctx.cfg.txn_timeout_ms, Timer::TxnInDoubt(txn));
    }

    pub(crate) fn on_vote(&mut self, _ctx: &Ctx, from: DcId, txn: TxnId, yes: bool, out: &mut Out) {
        let Some(rec) = self.durable.coord.get(&txn) else {
            return;
        };
        if rec.state != CoordState::Working {
            return;
        }
        let n = rec.participants.len();
        let v = self.vol.coord.entry(txn).or_default();
        v.votes.insert(from, yes);
        let yeses = v.votes.values().filter(|&&y| y).count();
        if !yes {
            self.decide(txn, false, "a participant voted NO", out);
        } else if yeses == n || self.bugs.commit_without_all_votes {
            self.decide(txn, true, "", out);
        }
    }

    /// Writes the decision durably, answers the client, and sends it to every participant.
    fn decide(&mut self, txn: TxnId, commit: bool, why: &str, out: &mut Out) {
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
        let participants: Vec<DcId> = rec.participants.keys().copied().collect();
        out.fact(Fact::Coord {
            txn,
            state: rec.state,
            participants,
        });
        // An abort is final at once; a commit is reported to the client at END, once every
        // participant has applied (and replicated, per its table's mode) its writes.
        if !commit {
            self.finish_txn_request(req, OpResult::Err(OpError::Aborted(why.to_string())), out);
        }
        // The record is durable now; the decision leaves on the next event (`coord_resend`),
        // so a crash can fall between the two phases — exactly the window 2PC blocks on.
        out.timer(0, Timer::TxnResend(txn));
    }

    pub(crate) fn coord_vote_timeout(&mut self, _ctx: &Ctx, txn: TxnId, out: &mut Out) {
        if self
            .durable
            .coord
            .get(&txn)
            .is_some_and(|r| r.state == CoordState::Working)
        {
            self.decide(txn, false, "votes timed out (presumed abort)", out);
        }
    }

    /// Timer: resend the decision to participants that have not acknowledged it.
    pub(crate) fn coord_resend(&mut self, ctx: &Ctx, txn: TxnId, out: &mut Out) {
        let Some(rec) = self.durable.coord.get(&txn) else {
            return;
        };
        let Some(commit) = rec.commit else { return };
        if rec.state == CoordState::Ended {
            return;
        }
        let acks = self
            .vol
            .coord
            .get(&txn)
            .map(|v| v.acks.clone())
            .unwrap_or_default();
        for &p in rec.participants.keys() {
            if !acks.contains(&p) {
                out.send(p, Msg::Decision { txn, commit });
            }
        }
        out.timer(ctx.cfg.txn_timeout_ms, Timer::TxnResend(txn));
    }

    pub(crate) fn on_decision_ack(&mut self, _ctx: &Ctx, from: DcId, txn: TxnId, out: &mut Out) {
        let Some(rec) = self.durable.coord.get_mut(&txn) else {
            return;
        };
        let v = self.vol.coord.entry(txn).or_default();
        v.acks.insert(from);
        if rec.state != CoordState::Ended && rec.participants.keys().all(|p| v.acks.contains(p)) {
            rec.state = CoordState::Ended;
            let participants = rec.participants.keys().copied().collect();
            out.fact(Fact::Coord {
                txn,
                state: CoordState::Ended,
                participants,
            });
            if rec.commit == Some(true) {
                let req = rec.req;
                let copies = rec.participants.len() as u8;
                let result = OpResult::Written {
                    pos: LogPos::default(),
                    write_id: txn.0 << 8,
                    copies,
                };
                self.finish_txn_request(req, result, out);
            }
        }
    }

    pub(crate) fn on_query_decision(&mut self, _ctx: &Ctx, from: DcId, txn: TxnId, out: &mut Out) {
        match self.durable.coord.get(&txn) {
            // Still collecting votes: the decision will be sent when it exists.
            Some(r) if r.commit.is_none() => {}
            Some(r) => out.send(
                from,
                Msg::Decision {
                    txn,
                    commit: r.commit == Some(true),
                },
            ),
            // No record: presumed abort.
            None => out.send(from, Msg::Decision { txn, commit: false }),
        }
    }

    pub(crate) fn on_decision(
        &mut self,
        ctx: &Ctx,
        from: DcId,
        txn: TxnId,
        commit: bool,
        out: &mut Out,
    ) {
        let pending = self
            .durable
            .part
            .get(&txn)
            .filter(|r| r.state.is_unresolved())
            .cloned();
        let mut waiting = false;
        if let Some(rec) = pending {
            if commit {
                self.vol
                    .txn_waiting
                    .insert(txn, (from, rec.writes.len() + 1));
                for (w, write_id) in rec.writes.iter().cloned() {
                    let key = (w.table, ctx.shard_of(&w.pk));
                    self.vol.locks.remove(&(w.table, w.pk.clone()));
                    if self.is_primary(key) {
                        self.primary_write(ctx, key, w, write_id, Some(AckTo::Txn(txn)), out);
                    } else {
                        // Failed over while prepared: hand the write to the new primary.
                        let dst = self.primary_of(key);
                        out.send(
                            dst,
                            Msg::Request {
                                req: ReqId(0),
                                op: ServerOp::Write { op: w, write_id },
                            },
                        );
                        self.txn_write_settled(txn);
                    }
                }
                // The extra count held the ack back until every write was issued.
                waiting = !self.txn_write_settled(txn);
            }
            for (w, _) in &rec.writes {
                if self.vol.locks.get(&(w.table, w.pk.clone())) == Some(&txn) {
                    self.vol.locks.remove(&(w.table, w.pk.clone()));
                }
            }
            let state = if commit {
                PartState::Committed
            } else {
                PartState::Aborted
            };
            if let Some(r) = self.durable.part.get_mut(&txn) {
                r.state = state;
            }
            out.fact(Fact::Part {
                txn,
                state,
                coordinator: rec.coordinator,
                locks: 0,
            });
        }
        if !waiting {
            out.send(from, Msg::DecisionAck { txn });
        }
    }

    /// One of a committed transaction's writes no longer needs waiting for; true when none
    /// are left (the DecisionAck may go).
    fn txn_write_settled(&mut self, txn: TxnId) -> bool {
        match self.vol.txn_waiting.get_mut(&txn) {
            Some((_, n)) => {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.vol.txn_waiting.remove(&txn);
                    true
                } else {
                    false
                }
            }
            None => true,
        }
    }

    /// Timer: a prepared participant without a decision becomes (or stays) in doubt and
    /// asks the coordinator again.
    pub(crate) fn part_in_doubt_tick(&mut self, ctx: &Ctx, txn: TxnId, out: &mut Out) {
        let Some(rec) = self.durable.part.get_mut(&txn) else {
            return;
        };
        if !rec.state.is_unresolved() {
            return;
        }
        let newly = rec.state == PartState::Prepared;
        rec.state = PartState::InDoubt;
        ask_decision(ctx, txn, rec, newly, out);
    }

    /// Recovery: finish what the durable 2PC records say is unfinished.
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
        let mut in_doubt = 0;
        let parts: Vec<TxnId> = self
            .durable
            .part
            .iter()
            .filter(|(_, r)| r.state.is_unresolved())
            .map(|(t, _)| *t)
            .collect();
        for txn in parts {
            in_doubt += 1;
            if let Some(rec) = self.durable.part.get_mut(&txn) {
                rec.state = PartState::InDoubt;
                for (w, _) in &rec.writes {
                    self.vol.locks.insert((w.table, w.pk.clone()), txn);
                }
                ask_decision(ctx, txn, rec, true, out);
            }
        }
        out.fact(Fact::Recovered {
            in_doubt,
            redo_decisions: redo,
        });
    }
}

/// Participant `rec` of `txn` is in doubt: report it (when it just became so), ask the
/// coordinator for the decision, and ask again after the timeout.
fn ask_decision(ctx: &Ctx, txn: TxnId, rec: &PartRecord, report: bool, out: &mut Out) {
    if report {
        out.fact(Fact::Part {
            txn,
            state: PartState::InDoubt,
            coordinator: rec.coordinator,
            locks: rec.writes.len(),
        });
    }
    out.send(rec.coordinator, Msg::QueryDecision { txn });
    out.timer(ctx.cfg.txn_timeout_ms, Timer::TxnInDoubt(txn));
}
