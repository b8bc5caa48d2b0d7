//! What the world makes of what nodes report: each `Fact` becomes events, counters, 2PC
//! traces and checker calls; once a simulated second the metrics close and the
//! settled-state checks run.
//!
//! Invariants: facts are observed, never acted on — nothing here changes a node or sends a
//! message; the checker sees the world god's-eye through `checking` only; every finding
//! the checker adds is recorded as an event at once (so a `Finding` breakpoint stops
//! right after it).

use crate::checker::{CheckCtx, Checker};
use crate::ids::{DcId, TableId, TxnId};
use crate::record::EventKind;
use crate::sim::Sim;
use crate::table::Pk;
use crate::time::SimTime;
use crate::vecmap::{VecMap, VecSet};
use crate::vocab::{ClientOp, Fact, Msg, OpError, OpResult, PartState, ShardKey};

impl Sim {
    /// Runs `f` with the checker and the god's-eye view of the world it checks.
    pub(crate) fn checking<R>(
        &mut self,
        stable_live: Vec<usize>,
        f: impl FnOnce(&mut Checker, &CheckCtx) -> R,
    ) -> R {
        let w = &self.world;
        // Read from the settings they were last read from (held here, so a change makes
        // new settings: `Rc::make_mut` copies a shared value) without comparing them.
        let fresh = self
            .check_cfg
            .as_ref()
            .is_some_and(|c| std::rc::Rc::ptr_eq(c, &w.cfg));
        let (modes, names) = &mut self.check_tables;
        let same = fresh
            || (modes.len() == w.cfg.tables.len()
                && w.cfg
                    .tables
                    .iter()
                    .zip(modes.iter().zip(names.iter()))
                    .all(|(t, (m, n))| t.mode == *m && t.name == *n));
        if !same {
            *modes = w.cfg.tables.iter().map(|t| t.mode).collect();
            *names = w.cfg.tables.iter().map(|t| t.name.clone()).collect();
        }
        if !fresh {
            self.check_cfg = Some(std::rc::Rc::clone(&w.cfg));
        }
        let (modes, names) = &self.check_tables;
        let c = CheckCtx {
            now: w.now,
            nodes: &w.nodes,
            modes,
            placement: &w.placement,
            replication_factor: w.placement.replication_factor as usize,
            consistency: w.cfg.read_consistency,
            stable_live,
            table_names: names,
            events: self.rec.counters.events,
        };
        let r = f(&mut self.checker, &c);
        // Kept for the next operation's list (see `live_buf`).
        if c.stable_live.capacity() > self.live_buf.capacity() {
            self.live_buf = c.stable_live;
        }
        r
    }

    pub(crate) fn on_fact(&mut self, dc: DcId, f: Fact) {
        let before = self.checker.total();
        let now = self.world.now;
        let kind = match f {
            Fact::View { target, from, to } => Some(EventKind::View { target, from, to }),
            Fact::FailoverIssued {
                table,
                shard,
                epoch,
                old,
                new,
            } => {
                self.rec.counters.failovers += 1;
                Some(EventKind::FailoverIssued {
                    table,
                    shard,
                    term: epoch.term,
                    old,
                    new,
                })
            }
            Fact::Promoted {
                table,
                shard,
                epoch,
                last,
            } => {
                let old = self.replaced_primary((table, shard), dc);
                self.checking(vec![], |ch, c| {
                    ch.on_epoch(c, (table, shard), epoch, dc, old)
                });
                Some(EventKind::Promoted {
                    table,
                    shard,
                    term: epoch.term,
                    last_index: last.index,
                })
            }
            Fact::SteppedDown {
                table,
                shard,
                epoch,
            } => Some(EventKind::SteppedDown {
                table,
                shard,
                term: epoch.term,
            }),
            Fact::Appended {
                table,
                shard,
                pos,
                write_id,
            } => {
                self.checker.on_appended(now, (table, shard), pos, write_id);
                None
            }
            Fact::Truncated {
                table,
                shard,
                dropped,
            } => Some(EventKind::Truncated {
                table,
                shard,
                entries: dropped.len() as u64,
            }),
            Fact::SnapshotInstalled {
                table,
                shard,
                upto,
                last,
                dropped: _,
            } => Some(EventKind::SnapshotInstalled {
                table,
                shard,
                index: upto.index,
                term: upto.epoch.term,
                last_index: last.index,
            }),
            Fact::OpDone {
                req,
                op,
                invoked,
                result,
                served_by,
            } => {
                let stable_live = match (&*op, served_by) {
                    (ClientOp::Write(w), Some(p)) => {
                        let n = self.stable_live_replicas(&w.pk, p, invoked);
                        let mut v = std::mem::take(&mut self.live_buf);
                        v.clear();
                        v.push(n);
                        v
                    }
                    // A transaction's rows: as the DC that acknowledged each shard saw them.
                    (ClientOp::Txn(ws), _) => {
                        let shards = match &result {
                            OpResult::Committed { shards } => shards.clone(),
                            _ => vec![],
                        };
                        ws.iter()
                            .map(|w| {
                                let key = (w.table, self.shard_of(&w.pk));
                                let by = shards.iter().find(|s| s.0 == key).map(|s| s.1);
                                let p = by.unwrap_or(self.world.placement.replicas_of(key.1)[0]);
                                self.stable_live_replicas(&w.pk, p, invoked)
                            })
                            .collect()
                    }
                    _ => vec![],
                };
                // Counted and described first: the checker keeps the operation and its
                // result (moved into its history).
                let latency = now.since(invoked);
                self.rec.count_op(&op, &result, latency);
                let kind = EventKind::Op {
                    req,
                    label: op.label().into(),
                    ok: result.is_ok(),
                    detail: describe_result(&result, served_by, self.rec.text_buf()),
                    latency_ms: latency,
                };
                self.checking(stable_live, |ch, c| {
                    ch.on_op_done(c, req, op, invoked, result, served_by)
                });
                self.rec.counters.stale_reads = self.checker.stale_reads;
                Some(kind)
            }
            Fact::Coord {
                txn,
                state,
                participants,
            } => {
                self.rec.note_coord(now, dc, txn, state, participants);
                self.rec.count_coord(state);
                Some(EventKind::Coord { txn, state })
            }
            Fact::Part {
                txn,
                key,
                state,
                locks,
                ..
            } => {
                if state == PartState::Prepared {
                    let live = self.stable_live_of(key, dc, now);
                    self.checker.on_vote_live(txn, key, live);
                }
                self.checker
                    .on_part(now, key, txn, state, &self.world.cfg.tables);
                let table = self.world.cfg.tables.get(key.0 .0 as usize);
                let shard = shard_text(table.map(|t| t.name.as_str()), key.1);
                self.rec.note_part(now, dc, txn, shard, state, locks);
                Some(EventKind::Part { txn, state })
            }
            Fact::Recovered {
                in_doubt,
                redo_decisions,
            } => Some(EventKind::Recovered {
                in_doubt,
                redo: redo_decisions,
            }),
        };
        if let Some(k) = kind {
            self.record(Some(dc), k);
        }
        self.record_new_findings(before);
    }

    /// The primary a promotion replaced, as the checker explains it: the DC most
    /// recently named primary of the shard by any node other than the new one.
    fn replaced_primary(&self, key: ShardKey, new: DcId) -> Option<DcId> {
        self.newest_claim(key, |n, m| n.id != new && m.primary != new)
            .map(|(_, p)| p)
            .or_else(|| Some(self.world.placement.replicas_of(key.1)[0]))
    }

    /// Replicas of a row's shard, other than `primary`, that any correct primary counted
    /// live at every instant from `since` to now: up, linked both ways to it, and
    /// untouched by any fault from longer before `since` than the detector needs to
    /// notice until now. An operation's acknowledgement happened somewhere between its
    /// invocation and its completion (a slow link back to the client can make that long),
    /// so the checker asks for the whole span. Under message loss none are sure.
    fn stable_live_replicas(&self, pk: &Pk, primary: DcId, since: SimTime) -> usize {
        self.stable_live_of((TableId(0), self.shard_of(pk)), primary, since)
    }

    /// The same for shard `key` (only its shard id matters: every table shares placement).
    fn stable_live_of(&self, key: ShardKey, primary: DcId, since: SimTime) -> usize {
        let w = &self.world;
        if w.net.loss_permille > 0 {
            return 0;
        }
        let horizon = w.cfg.dead_after_ms + 2 * w.cfg.heartbeat_interval_ms;
        let recent = |d: &DcId| {
            self.last_fault
                .get(d)
                .is_some_and(|&t| t.plus(horizon) >= since)
        };
        // A primary just cut off or revived may still see every replica dead.
        if recent(&primary) {
            return 0;
        }
        w.placement
            .replicas_of(key.1)
            .iter()
            .copied()
            .filter(|&d| d != primary)
            .filter(|&d| w.is_up(d) && !w.net.is_cut(primary, d) && !w.net.is_cut(d, primary))
            .filter(|d| !recent(d))
            .count()
    }

    /// Notes that a fault touched `dcs` now (see `stable_live_replicas`).
    pub(crate) fn touch(&mut self, dcs: &[DcId]) {
        self.touch_until(dcs, self.world.now);
    }

    /// Notes that a fault touches `dcs` until `until` (a link made slower: a detector
    /// hears nothing over it until the first slower message arrives).
    pub(crate) fn touch_until(&mut self, dcs: &[DcId], until: SimTime) {
        for &d in dcs {
            let t = self.last_fault.get(&d).map_or(until, |&t| t.max(until));
            self.last_fault.insert(d, t);
        }
    }

    fn record_new_findings(&mut self, before: u64) {
        for i in before..self.checker.total() {
            // Still kept: findings are trimmed only below, once logged.
            let Some(kind) = self.checker.finding(i).map(|f| f.kind) else {
                continue;
            };
            self.record(
                None,
                EventKind::Finding {
                    index: i as usize,
                    kind,
                },
            );
        }
        self.checker.trim_findings();
    }

    /// Once a second: close the metrics bucket, run the settled-state checks, prune.
    pub(crate) fn tick(&mut self) {
        // The participants in doubt as the page counts them (`dc_loads`), not the ones
        // merely prepared.
        let in_doubt = self.in_doubt_total();
        let lag = self.lag_by_dc();
        self.rec
            .close_second(self.world.now, in_doubt, self.checker.stale_reads, lag);
        let before = self.checker.total();
        let healthy_since = self.healthy_since;
        let settle = self.settle_ms();
        let in_play = self.txns_in_play(self.checker.outcome_txns());
        self.checking(vec![], |ch, c| {
            if let Some(since) = healthy_since {
                ch.check_settled(c, since, settle);
            }
            ch.check_intents(c);
            ch.prune(c, &in_play);
        });
        self.record_new_findings(before);
    }

    /// The transactions a shard may still report a decision for: those a coordinator has
    /// not ended, those a copy (a retired one too) holds an intent of, and those a message
    /// on the wire names — a 2PC message, a PREPARE or decision entry in a replication
    /// batch, an intent in a snapshot install. Every decision a shard reports comes from
    /// one of these (a decision message, a query an intent sends, a coordinator's resend).
    ///
    /// Only `among` is asked about (the transactions whose outcomes the checker still
    /// keeps, a few): each one named is looked up there, rather than every transaction
    /// on the wire collected and sorted once a second.
    pub(crate) fn txns_in_play(&self, among: impl Iterator<Item = TxnId>) -> VecSet<TxnId> {
        // `extend`, not `collect`: no sort instantiated for this map (sort.rs).
        let mut seen: VecMap<TxnId, bool> = VecMap::new();
        seen.extend(among.map(|t| (t, false)));
        if seen.is_empty() {
            return VecSet::new();
        }
        let mut note = |t: TxnId| {
            if let Some(s) = seen.get_mut(&t) {
                *s = true;
            }
        };
        for n in self.world.nodes.values() {
            n.open_txns().into_iter().for_each(&mut note);
            for r in &n.durable.retired {
                r.values()
                    .flat_map(|s| s.intents.keys().copied())
                    .for_each(&mut note);
            }
        }
        for env in self.world.net.in_flight.values() {
            match &env.msg {
                Msg::Replicate { entries, .. } => entries
                    .iter()
                    .filter_map(|e| e.body.txn())
                    .for_each(&mut note),
                Msg::InstallSnapshot { store, .. } => {
                    store.intents.keys().copied().for_each(&mut note)
                }
                m => m.txn().into_iter().for_each(&mut note),
            }
        }
        seen.iter().filter(|(_, &s)| s).map(|(&t, _)| t).collect()
    }

    /// Worst replication lag (ms) of any shard replica at each DC, as the live primaries
    /// see it.
    fn lag_by_dc(&self) -> Vec<(DcId, u64)> {
        let ctx = self.world.ctx();
        // `extend`, not `collect`: no sort instantiated for this map (sort.rs).
        let mut worst: VecMap<DcId, u64> = VecMap::new();
        worst.extend(self.world.nodes.keys().map(|&d| (d, 0)));
        for n in self.world.nodes.values().filter(|n| n.is_up()) {
            for key in n.vol.primaries.keys() {
                for (d, _, ms) in n.replica_lag(&ctx, *key) {
                    let w = worst.entry(d).or_insert(0);
                    *w = (*w).max(ms);
                }
            }
        }
        worst.into_iter().collect()
    }

    /// Starts or stops the settle clock: healthy means every DC up, every link healed.
    pub(crate) fn update_health(&mut self) {
        let w = &self.world;
        // Message loss is a fault too: under it, replicas converge, but not within the
        // settle time the settled-state checks allow (sweep seed 5400, 500‰).
        let healthy =
            w.nodes.values().all(|n| n.is_up()) && w.net.cut.is_empty() && w.net.loss_permille == 0;
        match (healthy, self.healthy_since) {
            (true, None) => self.healthy_since = Some(w.now),
            (false, Some(_)) => self.healthy_since = None,
            _ => {}
        }
    }
}

/// What a request returned, as the event log shows it. Built with `push_str` rather than
/// `format!`: it runs once per client operation, and the formatting machinery cost more
/// than the rest of recording the operation (the text is the same). Written into `buf`
/// (cleared; an evicted op event's text, see `Recorder::text_buf`).
fn describe_result(r: &OpResult, by: Option<DcId>, buf: String) -> String {
    let mut s = buf;
    s.clear();
    s.reserve(64);
    match r {
        OpResult::Row(Some(row)) if !row.deleted => {
            s.push_str("row at #");
            push_u64(&mut s, row.version.pos.index);
            s.push_str(" (e");
            push_u64(&mut s, u64::from(row.version.pos.epoch.term));
            s.push(')');
        }
        OpResult::Row(_) => s.push_str("no row"),
        OpResult::Written { pos, copies, .. } => {
            s.push_str("written at #");
            push_u64(&mut s, pos.index);
            s.push_str(" (e");
            push_u64(&mut s, u64::from(pos.epoch.term));
            s.push_str("), ");
            push_u64(&mut s, u64::from(*copies));
            s.push_str(if *copies == 1 { " copy" } else { " copies" });
        }
        OpResult::Committed { shards } => {
            let fewest = shards.iter().map(|s| s.2).min().unwrap_or(0);
            s.push_str("committed in ");
            push_u64(&mut s, shards.len() as u64);
            s.push_str(" shard(s), at least ");
            push_u64(&mut s, u64::from(fewest));
            s.push_str(if fewest == 1 { " copy" } else { " copies" });
            s.push_str(" each");
        }
        // No ` by DCn` here (as before).
        OpResult::Rows(rows) => {
            push_u64(&mut s, rows.len() as u64);
            s.push_str(" row(s)");
            return s;
        }
        // What `Display` writes, pushed where it needs no formatting: four operations in
        // ten fail in the bench's faults, mostly so (the formatting machinery cost more).
        // The ones with a number in them too (NotPrimary and Locked, one failure in
        // four under the bench's faults): `Display`'s text, pushed.
        OpResult::Err(e) => match (e.plain_text(), e) {
            (Some((head, why)), _) => {
                s.push_str(head);
                s.push_str(why);
            }
            (None, OpError::NotPrimary { hint }) => {
                s.push_str("sent to a DC that is not the primary (it names DC");
                push_u64(&mut s, u64::from(hint.0));
                s.push(')');
            }
            (None, OpError::Locked { txn }) => {
                s.push_str("the key is locked by transaction T");
                push_u64(&mut s, txn.0);
            }
            (None, e) => {
                use std::fmt::Write;
                let _ = write!(s, "{e}");
            }
        },
    }
    if let Some(d) = by {
        s.push_str(" by DC");
        push_u64(&mut s, u64::from(d.0));
    }
    s
}

/// A participant shard as the 2PC trace names it: `<table> s<shard>` (`?` for a table
/// gone from the settings), built without `format!` (once per participant state change).
fn shard_text(table: Option<&str>, shard: crate::ids::ShardId) -> String {
    let table = table.unwrap_or("?");
    let mut s = String::with_capacity(table.len() + 12);
    s.push_str(table);
    s.push_str(" s");
    push_u64(&mut s, u64::from(shard.0));
    s
}

/// Appends `n` in decimal (what `{n}` writes).
fn push_u64(s: &mut String, mut n: u64) {
    // Most numbers here are one digit (copies, terms, DC ids).
    if n < 10 {
        s.push(char::from(b'0' + n as u8));
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Pushed one by one: ASCII digits need no UTF-8 check (`from_utf8` cost more than
    // the digits, for a few per operation logged).
    s.reserve(buf.len() - i);
    for &d in &buf[i..] {
        s.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::describe_result;
    use crate::ids::{DcId, TxnId};
    use crate::vocab::{OpError, OpResult};

    /// Rust debug text a log line must never show.
    fn looks_like_debug(s: &str) -> bool {
        s.contains('{')
            || s.contains('}')
            || s.contains("Some(")
            || s.contains("None")
            || s.contains("(\"")
            || [
                "NotPrimary",
                "Locked",
                "Fenced",
                "Timeout",
                "Unavailable",
                "Aborted",
            ]
            .iter()
            .any(|v| s.contains(v))
    }

    /// The text built by hand reads exactly as `format!` wrote it before (the event log
    /// and the trace hash depend on it).
    #[test]
    fn results_read_as_format_wrote_them() {
        use crate::ids::{ShardId, TableId};
        use crate::table::{Epoch, LogPos, Row, Version};
        use crate::time::SimTime;
        let pos = LogPos {
            epoch: Epoch { term: 12, by: 3 },
            index: 40_307,
        };
        let row = |deleted| Row {
            cells: Default::default(),
            version: Version {
                pos,
                origin: DcId(3),
                at: SimTime(5),
            },
            deleted,
            write_id: 9,
        };
        let by_text = |by: Option<DcId>| by.map(|d| format!(" by {d}")).unwrap_or_default();
        for by in [None, Some(DcId(0)), Some(DcId(15))] {
            let b = by_text(by);
            let cases = [
                (
                    OpResult::Row(Some(row(false))),
                    format!("row at #{} ({}){b}", pos.index, pos.epoch),
                ),
                (OpResult::Row(Some(row(true))), format!("no row{b}")),
                (OpResult::Row(None), format!("no row{b}")),
                (
                    OpResult::Written {
                        pos,
                        write_id: 1,
                        copies: 1,
                    },
                    format!("written at #{} ({}), 1 copy{b}", pos.index, pos.epoch),
                ),
                (
                    OpResult::Written {
                        pos: LogPos::default(),
                        write_id: 1,
                        copies: 0,
                    },
                    format!("written at #0 (e0), 0 copies{b}"),
                ),
                (
                    OpResult::Committed {
                        shards: vec![
                            ((TableId(0), ShardId(1)), DcId(2), 3),
                            ((TableId(1), ShardId(7)), DcId(4), 1),
                        ],
                    },
                    format!("committed in 2 shard(s), at least 1 copy each{b}"),
                ),
                (
                    OpResult::Committed { shards: vec![] },
                    format!("committed in 0 shard(s), at least 0 copies each{b}"),
                ),
                (OpResult::Rows(vec![]), "0 row(s)".to_string()),
                (
                    OpResult::Err(OpError::Locked { txn: TxnId(7) }),
                    format!("{}{b}", OpError::Locked { txn: TxnId(7) }),
                ),
                (
                    OpResult::Err(OpError::Locked { txn: TxnId(1234) }),
                    format!("{}{b}", OpError::Locked { txn: TxnId(1234) }),
                ),
                (
                    OpResult::Err(OpError::NotPrimary { hint: DcId(12) }),
                    format!("{}{b}", OpError::NotPrimary { hint: DcId(12) }),
                ),
                (
                    OpResult::Err(OpError::NotPrimary { hint: DcId(3) }),
                    format!("{}{b}", OpError::NotPrimary { hint: DcId(3) }),
                ),
                (
                    OpResult::Err(OpError::Fenced),
                    format!("{}{b}", OpError::Fenced),
                ),
                (
                    OpResult::Err(OpError::Timeout),
                    format!("{}{b}", OpError::Timeout),
                ),
                (
                    OpResult::Err(OpError::Unavailable("no quorum".into())),
                    format!("{}{b}", OpError::Unavailable("no quorum".into())),
                ),
            ];
            for (r, want) in cases {
                assert_eq!(describe_result(&r, by, String::new()), want);
                // A reused buffer holding an older text reads the same.
                let used = String::from("an older text, longer than most of these ones");
                assert_eq!(describe_result(&r, by, used), want);
            }
        }
        assert_eq!(
            super::shard_text(Some("orders"), ShardId(123)),
            format!("orders {}", ShardId(123))
        );
        assert_eq!(super::shard_text(None, ShardId(0)), "? s0");
        let mut s = String::new();
        for n in [0, 9, 10, 99, 100, 65_535, u64::MAX] {
            s.clear();
            super::push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn every_request_error_reads_as_a_plain_sentence() {
        let errors = [
            OpError::NotPrimary { hint: DcId(2) },
            OpError::Locked { txn: TxnId(7) },
            OpError::Fenced,
            OpError::Timeout,
            OpError::Unavailable("no read quorum".into()),
            OpError::Aborted("a participant voted NO".into()),
        ];
        for e in errors {
            for by in [None, Some(DcId(1))] {
                let text = describe_result(&OpResult::Err(e.clone()), by, String::new());
                assert!(!text.is_empty());
                assert!(!looks_like_debug(&text), "{e:?} reads {text:?}");
            }
        }
    }
}

#[cfg(test)]
mod outcomes_kept {
    use crate::checker::FindingKind;
    use crate::config::SimConfig;
    use crate::ids::{ShardId, TableId, TxnId};
    use crate::sim::Sim;
    use crate::time::SimTime;
    use crate::vecmap::VecSet;
    use crate::vocab::PartState;

    /// `prune` forgets a transaction's outcomes once no shard can report a decision for it
    /// any more; one whose shard is still in doubt (2PC blocks for as long as its
    /// coordinator is down: no age bounds it) or that is still in play (`in_play`) keeps
    /// its outcomes however many transactions end meanwhile, so a late contrary decision
    /// is still an Atomicity finding.
    fn late_abort_found(in_doubt: bool, in_play: &[TxnId]) -> (usize, usize) {
        let mut sim = Sim::new(SimConfig::default()).expect("default config");
        let tables = SimConfig::default().tables;
        let a = (TableId(0), ShardId(0));
        let b = (TableId(0), ShardId(1));
        let old = TxnId(1);
        let in_play: VecSet<TxnId> = in_play.iter().copied().collect();
        sim.checking(vec![], |ch, c| {
            ch.on_part(SimTime(1), a, old, PartState::Committed, &tables);
            if in_doubt {
                ch.on_part(SimTime(1), b, old, PartState::InDoubt, &tables);
            }
            for i in 0..1_000 {
                ch.on_part(SimTime(2), a, TxnId(10 + i), PartState::Committed, &tables);
            }
            ch.prune(c, &in_play);
            let kept = ch
                .sizes()
                .iter()
                .find(|s| s.0 == "checker.outcomes")
                .map_or(0, |s| s.1);
            // The late (wrong) decision reaches shard b.
            ch.on_part(SimTime(3), b, old, PartState::Aborted, &tables);
            (ch.count(FindingKind::Atomicity), kept)
        })
    }

    #[test]
    fn outcomes_of_a_transaction_in_doubt_are_kept_and_a_late_contrary_decision_is_found() {
        assert_eq!(late_abort_found(true, &[]), (1, 1));
    }

    #[test]
    fn outcomes_of_a_transaction_in_play_are_kept_and_a_late_contrary_decision_is_found() {
        assert_eq!(late_abort_found(false, &[TxnId(1)]), (1, 1));
    }

    /// The broken variant of the rule — forgetting a transaction some copy or message
    /// still names — misses the contradiction: what `in_play` must cover.
    #[test]
    fn forgetting_a_transaction_still_in_play_misses_a_late_contrary_decision() {
        assert_eq!(late_abort_found(false, &[]), (0, 0));
    }
}
