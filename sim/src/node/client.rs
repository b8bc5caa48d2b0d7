//! Client requests: the front end at a client's home DC, and serving them at a replica.
//!
//! Invariants: the front end answers every request exactly once — with the result, or
//! `Timeout` when its request timer fires first — and forgets it then; it routes only on
//! its own knowledge (its shard metadata and detector view; see `balancer`). A write or an
//! `Owner` read is served only by the DC that believes itself the shard's primary; any other
//! answers `NotPrimary` with its hint, which the front end follows at most three times.

use super::state::{AckTo, PendingKind, PendingReq};
use super::{Ctx, Node};
use crate::config::ReadConsistency;
use crate::ids::{DcId, ReqId, ShardId};
use crate::time::SimTime;
use crate::vecmap::VecSet;
use crate::vocab::{ClientOp, Fact, Msg, OpError, OpResult, Out, ServerOp, Timer};
use std::rc::Rc;

impl Node {
    // ---------------------------------------------------------------- frontend

    /// A client at this DC invokes `op`.
    pub(crate) fn on_client(&mut self, ctx: &Ctx, req: ReqId, op: Rc<ClientOp>, out: &mut Out) {
        out.timer(ctx.cfg.request_timeout_ms, Timer::Request(req));
        let invoked = ctx.now;
        // A single-target request moves `op` into its pending entry (no copy per request).
        let single = match &*op {
            ClientOp::Get { table, pk } => {
                let key = (*table, ctx.shard_of(pk));
                match ctx.cfg.read_consistency {
                    ReadConsistency::Owner => Some((self.primary_of(key), true)),
                    ReadConsistency::One => Some((self.choose_replica(ctx, key, pk), false)),
                    ReadConsistency::Quorum => {
                        let reps = self.ranked_replicas(ctx, key, pk);
                        let need = ctx.placement.replicas_of(key.1).len() / 2 + 1;
                        for &d in &reps {
                            out.send(
                                d,
                                Msg::Request {
                                    req,
                                    op: ServerOp::Read {
                                        table: *table,
                                        pk: pk.clone(),
                                        need_primary: false,
                                    },
                                },
                            );
                        }
                        self.vol.pending.insert(
                            req,
                            PendingReq {
                                op: op.clone(),
                                invoked,
                                kind: PendingKind::Quorum {
                                    need,
                                    asked: reps.len(),
                                    got: vec![],
                                    failed: 0,
                                },
                            },
                        );
                        None
                    }
                }
            }
            ClientOp::Write(w) => {
                let key = (w.table, ctx.shard_of(&w.pk));
                Some((self.primary_of(key), true))
            }
            ClientOp::Range {
                table,
                start,
                end,
                limit,
            } => {
                let mut targets = VecSet::new();
                for (k, m) in self.durable.meta.iter() {
                    if k.0 == *table {
                        targets.insert(m.primary);
                    }
                }
                for &d in &targets {
                    out.send(
                        d,
                        Msg::Request {
                            req,
                            op: ServerOp::Range {
                                table: *table,
                                start: start.clone(),
                                end: end.clone(),
                                limit: *limit,
                            },
                        },
                    );
                }
                self.vol.pending.insert(
                    req,
                    PendingReq {
                        op: op.clone(),
                        invoked,
                        kind: PendingKind::Scatter {
                            waiting: targets,
                            rows: vec![],
                        },
                    },
                );
                None
            }
            ClientOp::Txn(writes) => {
                let writes = writes.clone();
                self.vol.pending.insert(
                    req,
                    PendingReq {
                        op: op.clone(),
                        invoked,
                        kind: PendingKind::Txn,
                    },
                );
                self.begin_txn(ctx, req, writes, out);
                None
            }
        };
        if let Some((target, primary)) = single {
            self.send_single(req, op, target, invoked, primary, out);
        }
    }

    fn send_single(
        &mut self,
        req: ReqId,
        op: Rc<ClientOp>,
        target: DcId,
        invoked: SimTime,
        primary: bool,
        out: &mut Out,
    ) {
        let server_op = match &*op {
            ClientOp::Get { table, pk } => ServerOp::Read {
                table: *table,
                pk: pk.clone(),
                need_primary: primary,
            },
            ClientOp::Write(w) => ServerOp::Write {
                op: w.clone(),
                write_id: req.0 << 8,
            },
            _ => return,
        };
        *self.vol.outstanding.entry(target).or_insert(0) += 1;
        out.send(target, Msg::Request { req, op: server_op });
        let tries = match self.vol.pending.get(&req) {
            Some(PendingReq {
                kind: PendingKind::Single { tries, .. },
                ..
            }) => tries + 1,
            _ => 1,
        };
        self.vol.pending.insert(
            req,
            PendingReq {
                op,
                invoked,
                kind: PendingKind::Single { target, tries },
            },
        );
    }

    pub(super) fn dec_outstanding(&mut self, d: DcId) {
        if let Some(c) = self.vol.outstanding.get_mut(&d) {
            *c = c.saturating_sub(1);
        }
    }

    pub(super) fn on_response(
        &mut self,
        _ctx: &Ctx,
        from: DcId,
        req: ReqId,
        result: OpResult,
        out: &mut Out,
    ) {
        let Some(mut p) = self.vol.pending.remove(&req) else {
            return;
        };
        let done = |p: PendingReq, result: OpResult, by: Option<DcId>, out: &mut Out| {
            out.fact(Fact::OpDone {
                req,
                op: p.op,
                invoked: p.invoked,
                result,
                served_by: by,
            });
        };
        match &mut p.kind {
            PendingKind::Single { target, tries } => {
                if *target != from {
                    self.vol.pending.insert(req, p);
                    return;
                }
                self.dec_outstanding(from);
                if let OpResult::Err(OpError::NotPrimary { hint }) = &result {
                    if *tries < 3 && *hint != from {
                        let (hint, op, inv) = (*hint, p.op.clone(), p.invoked);
                        self.vol.pending.insert(req, p);
                        self.send_single(req, op, hint, inv, true, out);
                        return;
                    }
                }
                done(p, result, Some(from), out);
            }
            PendingKind::Quorum {
                need,
                asked,
                got,
                failed,
            } => {
                match result {
                    OpResult::Row(r) => got.push((from, r)),
                    _ => *failed += 1,
                }
                if got.len() >= *need || (self.bugs.quorum_read_takes_first && !got.is_empty()) {
                    // Newest version wins.
                    let best = got
                        .iter()
                        .max_by(|a, b| {
                            let pa = a.1.as_ref().map(|r| r.version.pos);
                            let pb = b.1.as_ref().map(|r| r.version.pos);
                            pa.cmp(&pb)
                        })
                        .cloned();
                    let (by, row) = best.unwrap_or((from, None));
                    done(p, OpResult::Row(row), Some(by), out);
                } else if *asked - *failed < *need {
                    done(
                        p,
                        OpResult::Err(OpError::Unavailable("no read quorum".into())),
                        None,
                        out,
                    );
                } else {
                    self.vol.pending.insert(req, p);
                }
            }
            PendingKind::Scatter { waiting, rows } => {
                if !waiting.remove(&from) {
                    self.vol.pending.insert(req, p);
                    return;
                }
                match result {
                    OpResult::Rows(mut rs) => rows.append(&mut rs),
                    OpResult::Err(e) => {
                        done(p, OpResult::Err(e), Some(from), out);
                        return;
                    }
                    _ => {}
                }
                if waiting.is_empty() {
                    let limit = match &*p.op {
                        ClientOp::Range { limit, .. } => *limit as usize,
                        _ => usize::MAX,
                    };
                    let mut rows = std::mem::take(rows);
                    crate::sort::sort_by(&mut rows, |a, b| a.0.cmp(&b.0));
                    rows.truncate(limit);
                    done(p, OpResult::Rows(rows), None, out);
                } else {
                    self.vol.pending.insert(req, p);
                }
            }
            PendingKind::Txn => {
                self.vol.pending.insert(req, p);
            }
        }
    }

    /// Completes a transaction's client request (called by the coordinator).
    pub(crate) fn finish_txn_request(&mut self, req: ReqId, result: OpResult, out: &mut Out) {
        if let Some(p) = self.vol.pending.remove(&req) {
            out.fact(Fact::OpDone {
                req,
                op: p.op,
                invoked: p.invoked,
                result,
                served_by: Some(self.id),
            });
        }
    }

    // ---------------------------------------------------------------- server

    pub(super) fn serve(&mut self, ctx: &Ctx, from: DcId, req: ReqId, op: ServerOp, out: &mut Out) {
        let reply = |result: OpResult, out: &mut Out| {
            out.send(from, Msg::Response { req, result });
        };
        match op {
            ServerOp::Read {
                table,
                pk,
                need_primary,
            } => {
                let key = (table, ctx.shard_of(&pk));
                let primary = self.primary_of(key);
                if need_primary && primary != self.id {
                    return reply(OpResult::Err(OpError::NotPrimary { hint: primary }), out);
                }
                if need_primary {
                    if let Err(why) = self.read_lease(ctx, key) {
                        return reply(OpResult::Err(OpError::Unavailable(why)), out);
                    }
                }
                match self.durable.stores.get(&key) {
                    // A row under a 2PC intent may be about to change: the read waits for
                    // the decision (the client retries), as reads of locked rows do.
                    Some(st) if st.locks.contains_key(&pk) => {
                        let txn = st.locks[&pk];
                        reply(OpResult::Err(OpError::Locked { txn }), out)
                    }
                    Some(st) => reply(OpResult::Row(st.rows.get(&pk).cloned()), out),
                    None => reply(OpResult::Err(OpError::NotPrimary { hint: primary }), out),
                }
            }
            ServerOp::Write { op, write_id } => {
                let key = (op.table, ctx.shard_of(&op.pk));
                let primary = self.primary_of(key);
                if primary != self.id {
                    return reply(OpResult::Err(OpError::NotPrimary { hint: primary }), out);
                }
                let locked = self
                    .durable
                    .stores
                    .get(&key)
                    .and_then(|s| s.locks.get(&op.pk));
                if let Some(&txn) = locked {
                    return reply(OpResult::Err(OpError::Locked { txn }), out);
                }
                if self.fenced_below(ctx, key).is_some() {
                    // A failover round fenced this shard: the write is refused, not applied.
                    let why = format!("{} is fenced by a failover in progress", key.1);
                    return reply(OpResult::Err(OpError::Unavailable(why)), out);
                }
                let to = AckTo::Client { dst: from, req };
                self.primary_write(ctx, key, op, write_id, to, out);
            }
            ServerOp::Range {
                table,
                start,
                end,
                limit,
            } => {
                let mut rows = Vec::new();
                for (k, st) in self
                    .durable
                    .stores
                    .range_incl(&(table, ShardId(0)), &(table, ShardId(u32::MAX)))
                {
                    // `range` panics on start > end; `validate_op` refuses those already.
                    if self.primary_of(*k) != self.id || start > end {
                        continue;
                    }
                    for (pk, r) in st.rows.range(start.clone()..end.clone()) {
                        if !r.deleted {
                            rows.push((pk.clone(), r.clone()));
                        }
                    }
                }
                crate::sort::sort_by(&mut rows, |a, b| a.0.cmp(&b.0));
                rows.truncate(limit as usize);
                reply(OpResult::Rows(rows), out);
            }
        }
    }
}
