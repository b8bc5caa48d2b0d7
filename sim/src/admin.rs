//! Administration: settings changes and membership changes (adding or removing a DC,
//! switching placement or the replication factor).
//!
//! Invariants: a settings change is validated against the live DC list, latencies and
//! seed before anything changes; a refused change changes nothing. A membership or
//! placement change is stop-the-world (see `reconfigure`) and keeps every acknowledged
//! write the mode promised (docs/REPLICATION.md): it is planned completely — refused while
//! a transaction is unresolved, while a shard has too few replicas up to intersect its
//! write quorums, or below R or a write quorum — before anything changes; each shard's
//! source is the newest copy by (epoch, index); its epoch is above every epoch anywhere;
//! the world computes the new layout's copies and each node installs them through its own
//! `adopt_layout` — the world never writes a node's fields — and the checker remaps what
//! it tracks instead of forgetting it.

use crate::checker::Relayout;
use crate::commands::{CommandError, UserCommand};
use crate::config::{
    default_latency, latency_matrix, ConfigError, DcSpec, ReplicationMode, SimConfig, MAX_DCS,
    MIN_DCS,
};
use crate::drain::{txn_list, Drain, LayoutChange};
use crate::ids::{DcId, ShardId, TableId};
use crate::node::Layout;
use crate::placement::{self, Member, Placement};
use crate::record::EventKind;
use crate::sim::Sim;
use crate::table::{
    partition_text, Body, Epoch, LogEntry, LogPos, Pk, Row, ShardStore, WriteKind, WriteOp,
};
use crate::time::SimTime;
use crate::vecmap::VecMap;
use crate::vocab::{Msg, ShardKey};
use std::collections::{BTreeMap, BTreeSet};

impl Sim {
    /// A membership, placement or settings change. A layout change with transactions
    /// open becomes a drain: it runs (or is refused, in the event log) as soon as they
    /// have all finished; a `Configure`'s other settings apply at once. A second layout
    /// change while one waits is refused; settings that keep the layout are not.
    pub(crate) fn admin(&mut self, cmd: UserCommand) -> Result<(), CommandError> {
        let (change, rest) = match cmd {
            UserCommand::AddDc(spec) => (Some(LayoutChange::AddDc(spec)), None),
            UserCommand::RemoveDc(d) => (Some(LayoutChange::RemoveDc(d)), None),
            UserCommand::Configure(new) => {
                let cur = &self.world.cfg;
                let layout = (new.placement, new.replication_factor, new.vnodes);
                if layout == (cur.placement, cur.replication_factor, cur.vnodes) {
                    (None, Some(*new))
                } else {
                    let mut rest = (*new).clone();
                    (rest.placement, rest.replication_factor, rest.vnodes) =
                        (cur.placement, cur.replication_factor, cur.vnodes);
                    let change = LayoutChange::Placement {
                        kind: new.placement,
                        r: new.replication_factor,
                        vnodes: new.vnodes,
                    };
                    (Some(change), Some(rest))
                }
            }
            other => {
                return Err(CommandError::BadOp(format!(
                    "{other:?} is not a membership or settings change"
                )))
            }
        };
        let Some(change) = change else {
            return match rest {
                Some(cfg) => self.configure(cfg),
                None => Ok(()),
            };
        };
        if let Some(d) = &self.drain {
            return Err(CommandError::Refused(format!(
                "Cannot change the layout yet: \"{}\" is waiting for {} open transaction(s) to finish ({}). Revive their coordinators and participants and heal the links if they are stuck.",
                d.what,
                self.unresolved_txns().len(),
                txn_list(&self.unresolved_txns())
            )));
        }
        match self.layout_now(change.clone(), rest.clone()) {
            Err(CommandError::Unresolved { what, txns }) => {
                // The settings that keep the layout apply now; the layout waits.
                if let Some(cfg) = rest {
                    self.configure(cfg)?;
                }
                let text = format!(
                    "{what} waits for {} open transaction(s) ({}) to finish; new transactions are refused until then",
                    txns.len(),
                    txn_list(&txns)
                );
                self.record(None, EventKind::AdminWaiting { text });
                self.drain = Some(Drain {
                    change,
                    what,
                    since: self.world.now,
                });
                Ok(())
            }
            r => r,
        }
    }

    /// Runs a layout change now (refusing with `Unresolved` while transactions are open);
    /// `rest`: the settings a `Configure` sets besides the layout (None: those in force).
    fn layout_now(
        &mut self,
        change: LayoutChange,
        rest: Option<SimConfig>,
    ) -> Result<(), CommandError> {
        match change {
            LayoutChange::AddDc(spec) => self.add_dc(spec),
            LayoutChange::RemoveDc(d) => self.remove_dc(d),
            LayoutChange::Placement { kind, r, vnodes } => {
                let mut cfg = rest.unwrap_or_else(|| (*self.world.cfg).clone());
                (cfg.placement, cfg.replication_factor, cfg.vnodes) = (kind, r, vnodes);
                self.configure(cfg)
            }
        }
    }

    /// After every event while a drain waits: once no transaction is open, run the change.
    pub(crate) fn finish_drain(&mut self) {
        if self.drain.is_none() || !self.unresolved_txns().is_empty() {
            return;
        }
        let Some(d) = self.drain.take() else { return };
        match self.layout_now(d.change.clone(), None) {
            Ok(()) => {}
            // Cannot happen (nothing is open), but never lose the change.
            Err(CommandError::Unresolved { .. }) => self.drain = Some(d),
            Err(e) => {
                let text = format!(
                    "{} was refused once the transactions had finished: {e}",
                    d.what
                );
                self.record(None, EventKind::AdminWaiting { text });
            }
        }
        self.update_health();
    }

    /// The change waiting for transactions to finish, in words, and since when.
    pub fn draining(&self) -> Option<(String, SimTime)> {
        self.drain.as_ref().map(|d| (d.what.clone(), d.since))
    }

    /// Adds a DC and moves rows to the placement that includes it.
    pub(crate) fn add_dc(&mut self, spec: DcSpec) -> Result<(), CommandError> {
        if self.world.nodes.len() >= MAX_DCS {
            return Err(CommandError::TooManyDcs);
        }
        let mut dcs: Vec<DcSpec> = self.dcs_in_order();
        dcs.push(spec.clone());
        let mut probe = (*self.world.cfg).clone();
        probe.latency_ms = latency_matrix(&dcs);
        probe.dcs = dcs;
        probe.workload.client_dcs.clear();
        probe.validate().map_err(CommandError::Config)?;
        let id = DcId(self.next_dc);
        let mut members = self.world.members();
        members.push(Member {
            id,
            name: spec.name.clone(),
        });
        let placement = self.world.placement.with_members(members);
        // Plan and install the layout first (it refuses without changing anything); the
        // node joins right after, empty, and receives its copies by log shipping.
        let layout = self.reconfigure(placement, format!("add {} ({id})", spec.name), Some(id))?;
        self.next_dc += 1;
        for (&o, other) in self.world.dcs.iter() {
            let ms = default_latency(&spec, other);
            self.world.net.latency.insert((id, o), ms);
            self.world.net.latency.insert((o, id), ms);
        }
        std::rc::Rc::make_mut(&mut self.world.dcs).insert(id, spec.clone());
        let out = self.world.add_node(id, self.bugs);
        self.route(id, out);
        // A fresh DC is not "surely live" for the checker until detectors have had time
        // to hear it (see `stable_live_replicas`).
        self.touch(&[id]);
        let out = self
            .world
            .on_node(id, |n, ctx, out| n.adopt_layout(ctx, &layout, out));
        self.route(id, out);
        Ok(())
    }

    /// Removes a DC after moving its rows to the placement without it. Refused (nothing
    /// changes) when fewer DCs would remain than the replication factor or a table's write
    /// quorum, or when `reconfigure` refuses (unresolved transactions, too few replicas up).
    pub(crate) fn remove_dc(&mut self, d: DcId) -> Result<(), CommandError> {
        self.known(d)?;
        if self.world.nodes.len() <= MIN_DCS {
            return Err(CommandError::TooFewDcs);
        }
        let name = self.dc_name(d);
        let left = self.world.nodes.len() - 1;
        let r = self.world.cfg.replication_factor as usize;
        if left < r {
            return Err(CommandError::Refused(format!(
                "Cannot remove {name} ({d}): {left} datacenters would remain, fewer than the replication factor R = {r}. Lower R first."
            )));
        }
        for t in &self.world.cfg.tables {
            if let ReplicationMode::Quorum(w) = t.mode {
                if left < w as usize {
                    return Err(CommandError::Refused(format!(
                        "Cannot remove {name} ({d}): table {} writes to a quorum of {w}, and only {left} datacenters would remain. Lower its quorum first.",
                        t.name
                    )));
                }
            }
        }
        let members: Vec<Member> = self
            .world
            .members()
            .into_iter()
            .filter(|m| m.id != d)
            .collect();
        let placement = self.world.placement.with_members(members);
        self.reconfigure(placement, format!("remove {name} ({d})"), None)?;
        self.world.nodes.remove(&d);
        std::rc::Rc::make_mut(&mut self.world.dcs).remove(&d);
        self.world.net.cut.retain(|&(a, b)| a != d && b != d);
        self.world.net.latency.remove_dc(d);
        std::rc::Rc::make_mut(&mut self.world.cfg)
            .workload
            .client_dcs
            .retain(|&c| c != d);
        // Peers forget the removed DC.
        for n in self.world.nodes.values_mut().map(|n| &mut **n) {
            n.forget_peer(d);
        }
        Ok(())
    }

    fn dcs_in_order(&self) -> Vec<DcSpec> {
        self.world.dcs.values().cloned().collect()
    }

    pub(crate) fn configure(&mut self, mut new: SimConfig) -> Result<(), CommandError> {
        // The DC list, latencies and seed are not changed here; validate against them.
        new.dcs = self.dcs_in_order();
        let ids: Vec<DcId> = self.world.dcs.keys().copied().collect();
        new.latency_ms = ids
            .iter()
            .map(|&a| {
                ids.iter()
                    .map(|&b| self.world.net.latency(a, b).max(u32::from(a == b)))
                    .collect()
            })
            .collect();
        new.seed = self.world.cfg.seed;
        // Client DCs are ids; validate them against the live set rather than by index.
        let clients = std::mem::take(&mut new.workload.client_dcs);
        new.validate().map_err(CommandError::Config)?;
        if let Some(&bad) = clients.iter().find(|d| !self.world.dcs.contains_key(d)) {
            return Err(CommandError::Config(ConfigError::ClientDc(bad.0)));
        }
        if new.tables.len() != self.world.cfg.tables.len()
            || new
                .tables
                .iter()
                .zip(&self.world.cfg.tables)
                .any(|(a, b)| a.name != b.name || a.pk != b.pk || a.columns != b.columns)
        {
            return Err(CommandError::BadOp(
                "Table schemas can only change in a new run.".into(),
            ));
        }
        new.workload.client_dcs = clients;
        let placement_changed = new.placement != self.world.cfg.placement
            || new.vnodes != self.world.cfg.vnodes
            || new.replication_factor != self.world.cfg.replication_factor;
        if placement_changed {
            // The layout change is planned (and may be refused) before anything changes;
            // it is planned under the table modes in force, which are the ones the
            // acknowledged writes were promised under.
            let p = Placement::new(
                new.placement,
                self.world.members(),
                new.replication_factor,
                new.vnodes,
            );
            self.reconfigure(
                p,
                format!(
                    "switch to placement {:?}, R={}, {} vnodes",
                    new.placement, new.replication_factor, new.vnodes
                ),
                None,
            )?;
        }
        let old = std::mem::replace(&mut self.world.cfg, std::rc::Rc::new(new));
        let cfg = &self.world.cfg;
        if (
            old.heartbeat_interval_ms,
            old.suspect_after_ms,
            old.dead_after_ms,
            old.jitter_ms,
        ) != (
            cfg.heartbeat_interval_ms,
            cfg.suspect_after_ms,
            cfg.dead_after_ms,
            cfg.jitter_ms,
        ) {
            // New detector timings (or jitter) can make a detector see a peer dead that
            // it saw live: no DC is surely live for the checker until they have settled.
            let all: Vec<DcId> = self.world.dcs.keys().copied().collect();
            self.touch(&all);
        }
        self.world.net.jitter_ms = self.world.cfg.jitter_ms;
        self.world.net.loss_permille = self.world.cfg.loss_permille;
        if old.loss_permille != self.world.cfg.loss_permille && self.world.cfg.loss_permille > 0 {
            self.checker.note_fault(
                self.world.now,
                format!("message loss set to {}‰", self.world.cfg.loss_permille),
                self.world.dcs.keys().copied().collect(),
            );
        }
        if old.workload != self.world.cfg.workload {
            self.workload.reshape(&self.world.cfg.workload);
            self.workload.next_at_us = self.world.now.0 * 1000;
            self.schedule_arrival();
        }
        let text = describe_changes(&old, &self.world.cfg);
        if !text.is_empty() {
            self.record(None, EventKind::Setting { text });
        }
        Ok(())
    }

    /// A membership or placement change, stop-the-world: plan it (refusing with a
    /// `CommandError` and changing nothing when it could lose an acknowledged write or a
    /// transaction's state), then install it. `joining`: a DC being added (up, empty).
    ///
    /// The rules, each where it is enforced:
    /// - no transaction may be unresolved (`unresolved_txns`): a layout change rebuilds the
    ///   shard logs that 2PC state depends on;
    /// - each old shard's source is the newest copy by (epoch, index) among its replicas
    ///   that are up, and enough of them must be up to intersect every write quorum of the
    ///   table's mode (`copies_to_consult`) — never "an up DC that believes it is primary";
    /// - the new epoch is above every epoch that exists anywhere (failover epochs, fences
    ///   and down DCs' logs included);
    /// - each new shard's primary is an up replica that receives the copy, so a DC revived
    ///   later (with an empty copy) never leads the layout's epoch;
    /// - down DCs keep their old copies (`Node::adopt_layout`); writes waiting for copies
    ///   are answered `Fenced` (outcome unknown); the checker remaps what it tracks.
    fn reconfigure(
        &mut self,
        new: Placement,
        why: String,
        joining: Option<DcId>,
    ) -> Result<Layout, CommandError> {
        let open = self.unresolved_txns();
        if !open.is_empty() {
            // A layout change rebuilds the shard logs their 2PC state depends on: the
            // caller drains them first (`admin`).
            return Err(CommandError::Unresolved {
                what: why,
                txns: open,
            });
        }
        let old_p = self.world.placement.clone();
        let up = |d: DcId| Some(d) == joining || self.world.is_up(d);
        // Each old shard's newest copy, from enough replicas.
        let mut sources: VecMap<ShardKey, ShardStore> = VecMap::new();
        for t in 0..self.world.cfg.tables.len() as u16 {
            for s in 0..old_p.shard_count() {
                let key = (TableId(t), ShardId(s));
                let source = if self.bugs.copy_from_any_believed_primary {
                    self.believed_primary_copy(&old_p, key)
                } else {
                    Some(self.newest_copy(&old_p, key)?)
                };
                if let Some(store) = source {
                    sources.insert(key, store);
                }
            }
        }
        // Every row's newest copy (rows of one table live in one shard at a time).
        let mut rows: BTreeMap<(TableId, Pk), Row> = BTreeMap::new();
        let mut moved_rows = 0u64;
        for (key, store) in &sources {
            for (pk, row) in &store.rows {
                let text = partition_text(pk);
                if old_p.owner_of(&text) != new.owner_of(&text) {
                    moved_rows += 1;
                }
                rows.insert((key.0, pk.clone()), row.clone());
            }
        }
        let term = self
            .world
            .nodes
            .values()
            .map(|n| n.max_term())
            .max()
            .unwrap_or(0)
            .max(self.config_version)
            + 1;
        let epoch = Epoch { term, by: u16::MAX };
        // The new shards' logs: one entry per row, in the new epoch.
        let mut copies: VecMap<ShardKey, ShardStore> = VecMap::new();
        let mut placed: BTreeMap<u64, (ShardKey, LogPos)> = BTreeMap::new();
        for ((t, pk), row) in rows {
            let s = new.shard_of(&partition_text(&pk));
            let st = copies.entry((t, s)).or_default();
            let pos = LogPos {
                epoch,
                index: st.last_index() + 1,
            };
            let kind = if row.deleted {
                WriteKind::Delete
            } else {
                WriteKind::Put(
                    row.cells
                        .iter()
                        .map(|(c, (v, _))| (c.clone(), v.clone()))
                        .collect(),
                )
            };
            placed.insert(row.write_id, ((t, s), pos));
            st.append(LogEntry::new(
                pos,
                Body::Write {
                    op: WriteOp { table: t, pk, kind },
                    write_id: row.write_id,
                },
                row.version.origin,
                row.version.at,
            ));
        }
        // Each new shard's primary: its first replica that is up.
        let mut primaries: VecMap<ShardKey, DcId> = VecMap::new();
        let mut made: VecMap<ShardKey, u8> = VecMap::new();
        for t in 0..self.world.cfg.tables.len() as u16 {
            for s in 0..new.shard_count() {
                let key = (TableId(t), ShardId(s));
                let reps = new.replicas(ShardId(s));
                let live: Vec<DcId> = reps.iter().copied().filter(|&d| up(d)).collect();
                let has_rows = copies.get(&key).is_some_and(|c| !c.log.is_empty());
                if live.is_empty() && has_rows {
                    return Err(CommandError::Refused(format!(
                        "Cannot {why}: under the new layout {} {} would be stored only on {}, all down, so no up DC could take its rows. Revive one of them first.",
                        self.table_name(key.0),
                        key.1,
                        self.dc_list(&reps)
                    )));
                }
                let promise = copies_promised(self.mode_of(key.0), reps.len());
                if has_rows && live.len() < promise {
                    let down: Vec<DcId> = reps.iter().copied().filter(|&d| !up(d)).collect();
                    return Err(CommandError::Refused(format!(
                        "Cannot {why}: under the new layout {} {} would have only {} replica(s) up, fewer than the {promise} copies its {} writes were acknowledged with. Revive {} first.",
                        self.table_name(key.0),
                        key.1,
                        live.len(),
                        self.mode_of(key.0),
                        self.dc_list(&down)
                    )));
                }
                primaries.insert(key, live.first().copied().unwrap_or(reps[0]));
                made.insert(key, live.len() as u8);
            }
        }
        // Nothing has changed yet; from here on the change happens.
        // One key set for every count: the partition keys stored anywhere now.
        let report = placement::move_report(
            &old_p,
            &new,
            self.all_partition_keys().iter().map(|s| s.as_str()),
        );
        let cause = format!("membership change at t={}: {why}", self.world.now);
        self.checking(vec![], |ch, c| {
            ch.relayout(
                c,
                &Relayout {
                    sources: &sources,
                    placed: &placed,
                    copies: &made,
                    primaries: &primaries,
                    epoch,
                    cause: cause.clone(),
                },
            )
        });
        self.world.placement = std::rc::Rc::new(new);
        self.config_version = term;
        let layout = Layout {
            epoch,
            copies,
            primaries,
        };
        let ids: Vec<DcId> = self.world.nodes.keys().copied().collect();
        for id in ids {
            let out = self
                .world
                .on_node(id, |n, ctx, out| n.adopt_layout(ctx, &layout, out));
            self.route(id, out);
        }
        // Replication and failover traffic for old shard ids is meaningless now.
        let stale: Vec<u64> = self
            .world
            .net
            .in_flight
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e.msg,
                    Msg::Replicate { .. }
                        | Msg::ReplicateAck { .. }
                        | Msg::NewEpoch { .. }
                        | Msg::FenceQuery { .. }
                        | Msg::FenceReply { .. }
                        | Msg::FenceStatus { .. }
                        | Msg::FenceRelease { .. }
                        | Msg::Heartbeat { .. }
                )
            })
            .map(|(s, _)| s)
            .collect();
        for s in stale {
            self.world.net.in_flight.remove(&s);
        }
        let all: Vec<DcId> = self.world.dcs.keys().copied().collect();
        self.checker.note_fault(self.world.now, cause, all);
        let text = format!(
            "{why}: {} of {} stored key(s) changed owner ({moved_rows} row(s)); for the member change alone ({} → {} DCs), modulo would move {} and the ring {}",
            report.moved,
            report.keys,
            report.from_members,
            report.to_members,
            report.modulo_moved,
            report.ring_moved
        );
        self.last_moves = Some(report);
        self.record(None, EventKind::Reconfigured { text });
        Ok(layout)
    }

    /// The newest copy of a shard by (epoch, index) among its replicas that are up,
    /// refusing when too few are up to be sure it holds every acknowledged write.
    fn newest_copy(&self, p: &Placement, key: ShardKey) -> Result<ShardStore, CommandError> {
        let reps = p.replicas(key.1);
        let r = reps.len();
        let mode = self
            .world
            .cfg
            .tables
            .get(key.0 .0 as usize)
            .map(|t| t.mode)
            .unwrap_or(ReplicationMode::Async);
        let need = copies_to_consult(mode, r);
        let live: Vec<(usize, &ShardStore)> = reps
            .iter()
            .enumerate()
            .filter(|(_, d)| self.world.is_up(**d))
            .filter_map(|(i, d)| Some((i, &**self.world.nodes.get(d)?.durable.stores.get(&key)?)))
            .collect();
        if live.len() < need {
            let down: Vec<DcId> = reps
                .iter()
                .copied()
                .filter(|&d| !self.world.is_up(d))
                .collect();
            return Err(CommandError::Refused(format!(
                "Cannot change the layout: {} {} ({mode}) has {} of its {r} replicas up, and {need} must be up to be sure to hold every acknowledged write. Revive {} first.",
                self.table_name(key.0),
                key.1,
                live.len(),
                self.dc_list(&down)
            )));
        }
        Ok(live
            .into_iter()
            .max_by_key(|(i, s)| (s.last(), std::cmp::Reverse(*i)))
            .map(|(_, s)| s.clone())
            .unwrap_or_default())
    }

    /// The broken variant (`Bugs::copy_from_any_believed_primary`): any up replica that
    /// believes it is primary, else the up replica with the highest position.
    fn believed_primary_copy(&self, p: &Placement, key: ShardKey) -> Option<ShardStore> {
        let reps = p.replicas(key.1);
        let primary = reps
            .iter()
            .copied()
            .filter_map(|d| self.world.nodes.get(&d))
            .filter(|n| n.is_up())
            .find(|n| n.is_primary(key));
        if let Some(n) = primary {
            return n.durable.stores.get(&key).map(|s| (**s).clone());
        }
        reps.iter()
            .filter_map(|d| self.world.nodes.get(d))
            .filter(|n| n.is_up())
            .filter_map(|n| n.durable.stores.get(&key))
            .max_by_key(|s| s.last())
            .map(|s| (**s).clone())
    }

    fn mode_of(&self, t: TableId) -> ReplicationMode {
        self.world
            .cfg
            .tables
            .get(t.0 as usize)
            .map(|s| s.mode)
            .unwrap_or(ReplicationMode::Async)
    }

    fn table_name(&self, t: TableId) -> String {
        self.world
            .cfg
            .tables
            .get(t.0 as usize)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| format!("table#{}", t.0))
    }

    fn dc_list(&self, ds: &[DcId]) -> String {
        let names: Vec<String> = ds
            .iter()
            .map(|&d| format!("{} ({d})", self.dc_name(d)))
            .collect();
        names.join(", ")
    }

    fn all_partition_keys(&self) -> Vec<String> {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        for n in self.world.nodes.values() {
            for s in n.durable.stores.values() {
                for pk in s.rows.keys() {
                    keys.insert(partition_text(pk));
                }
            }
        }
        keys.into_iter().collect()
    }
}

fn describe_changes(a: &SimConfig, b: &SimConfig) -> String {
    let mut parts = Vec::new();
    if a.read_policy != b.read_policy {
        parts.push(format!("read policy {}", b.read_policy));
    }
    if a.read_consistency != b.read_consistency {
        parts.push(format!("read consistency {}", b.read_consistency));
    }
    for (x, y) in a.tables.iter().zip(&b.tables) {
        if x.mode != y.mode {
            parts.push(format!("{} replication {}", y.name, y.mode));
        }
    }
    if a.loss_permille != b.loss_permille {
        parts.push(format!("loss {}‰", b.loss_permille));
    }
    if a.workload != b.workload {
        parts.push(format!("workload {} ops/s", b.workload.ops_per_sec));
    }
    if (a.heartbeat_interval_ms, a.suspect_after_ms, a.dead_after_ms)
        != (b.heartbeat_interval_ms, b.suspect_after_ms, b.dead_after_ms)
    {
        parts.push(format!(
            "heartbeat {} ms, suspect {} ms, dead {} ms",
            b.heartbeat_interval_ms, b.suspect_after_ms, b.dead_after_ms
        ));
    }
    if a.failover != b.failover {
        parts.push(format!(
            "failover {}",
            if b.failover { "on" } else { "off" }
        ));
    }
    parts.join("; ")
}

/// How many of a shard's `r` replicas a new layout (or a failover) must consult to be
/// sure to see every write acknowledged under `mode` (see docs/REPLICATION.md): a write
/// quorum of w copies intersects any R − w + 1 replicas; `SemiSync` writes have 2 copies;
/// `Async`, `Quorum(1)` and `Sync` promise nothing a single replica could not hold (a
/// `Sync` write has a copy on every replica its primary counted live).
fn copies_to_consult(mode: ReplicationMode, r: usize) -> usize {
    match mode {
        ReplicationMode::Quorum(w) if w >= 2 => (r + 1).saturating_sub(w as usize).max(1),
        ReplicationMode::SemiSync => r.saturating_sub(1).max(1),
        _ => 1,
    }
}

/// Copies a write of `mode` is acknowledged with at least (replicas allowing): a new
/// layout must be able to give each shard that many up replicas, or it would silently
/// weaken what was promised. (`Sync` counts live replicas only: a down one is as a dead
/// one, and its writes are degraded, as without a change.)
fn copies_promised(mode: ReplicationMode, r: usize) -> usize {
    match mode {
        ReplicationMode::Quorum(w) => (w as usize).min(r),
        ReplicationMode::SemiSync => 2.min(r),
        _ => 1,
    }
}
