//! Administration: settings changes and membership changes (adding or removing a DC,
//! switching placement or the replication factor).
//!
//! Invariants: a settings change is validated against the live DC list, latencies and
//! seed before anything changes; a refused change changes nothing. A membership or
//! placement change is stop-the-world (see `reconfigure`): the world computes the new
//! layout's copies and each node installs them through its own `adopt_layout` — the world
//! never writes a node's fields.

use crate::commands::CommandError;
use crate::config::{
    default_latency, latency_matrix, ConfigError, DcSpec, SimConfig, MAX_DCS, MIN_DCS,
};
use crate::ids::{DcId, ShardId, TableId};
use crate::placement::{self, Member, Placement};
use crate::record::EventKind;
use crate::sim::Sim;
use crate::table::{
    partition_text, Body, Epoch, LogEntry, LogPos, Pk, Row, ShardStore, WriteKind, WriteOp,
};
use crate::vocab::{Msg, ShardKey};
use std::collections::{BTreeMap, BTreeSet};

impl Sim {
    /// Adds a DC and moves rows to the placement that includes it.
    pub(crate) fn add_dc(&mut self, spec: DcSpec) -> Result<(), CommandError> {
        if self.world.nodes.len() >= MAX_DCS {
            return Err(CommandError::TooManyDcs);
        }
        let mut dcs: Vec<DcSpec> = self.dcs_in_order();
        dcs.push(spec.clone());
        let mut probe = self.world.cfg.clone();
        probe.latency_ms = latency_matrix(&dcs);
        probe.dcs = dcs;
        probe.workload.client_dcs.clear();
        probe.validate().map_err(CommandError::Config)?;
        let id = DcId(self.next_dc);
        self.next_dc += 1;
        for (&o, other) in &self.world.dcs {
            let ms = default_latency(&spec, other);
            self.world.net.latency.insert((id, o), ms);
            self.world.net.latency.insert((o, id), ms);
        }
        self.world.dcs.insert(id, spec.clone());
        let out = self.world.add_node(id, self.bugs);
        self.route(id, out);
        let members = self.world.members();
        self.reconfigure(
            self.world.placement.with_members(members),
            format!("added {} ({id})", spec.name),
        );
        Ok(())
    }

    /// Removes a DC after moving its rows to the placement without it.
    pub(crate) fn remove_dc(&mut self, d: DcId) -> Result<(), CommandError> {
        self.known(d)?;
        if self.world.nodes.len() <= MIN_DCS {
            return Err(CommandError::TooFewDcs);
        }
        let name = self.dc_name(d);
        let members: Vec<Member> = self
            .world
            .members()
            .into_iter()
            .filter(|m| m.id != d)
            .collect();
        let placement = self.world.placement.with_members(members);
        self.reconfigure(placement, format!("removed {name} ({d})"));
        self.world.nodes.remove(&d);
        self.world.dcs.remove(&d);
        self.world.net.cut.retain(|&(a, b)| a != d && b != d);
        self.world.net.latency.retain(|&(a, b), _| a != d && b != d);
        self.world.cfg.workload.client_dcs.retain(|&c| c != d);
        // Peers forget the removed DC.
        for n in self.world.nodes.values_mut() {
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
        let old = std::mem::replace(&mut self.world.cfg, new);
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
        let placement_changed = old.placement != self.world.cfg.placement
            || old.vnodes != self.world.cfg.vnodes
            || old.replication_factor != self.world.cfg.replication_factor;
        if placement_changed {
            let p = Placement::new(
                self.world.cfg.placement,
                self.world.members(),
                self.world.cfg.replication_factor,
                self.world.cfg.vnodes,
            );
            self.reconfigure(
                p,
                format!(
                    "placement {:?}, R={}, {} vnodes",
                    self.world.cfg.placement,
                    self.world.cfg.replication_factor,
                    self.world.cfg.vnodes
                ),
            );
        }
        Ok(())
    }

    /// A membership or placement change. This is an administrative, stop-the-world
    /// operation: each row's newest copy (from the current primary, or the most
    /// up-to-date live replica) is copied to the DCs that hold it under the new placement,
    /// new shard logs start in a fresh epoch, and replication traffic for the old shards
    /// is discarded. A DC that is down gets its new copies when it comes back, by the
    /// usual log shipping.
    fn reconfigure(&mut self, new: Placement, why: String) {
        let keys: Vec<String> = self.all_partition_keys();
        let report = placement::move_report(
            &self.world.placement,
            new.members.clone(),
            keys.iter().map(|s| s.as_str()),
        );
        let old_p = std::mem::replace(&mut self.world.placement, new);
        // Gather each row's authoritative copy.
        let mut rows: BTreeMap<(TableId, Pk), Row> = BTreeMap::new();
        let mut moved = 0u64;
        for t in 0..self.world.cfg.tables.len() as u16 {
            for s in 0..old_p.shard_count() {
                let key = (TableId(t), ShardId(s));
                let source = self.best_copy(&old_p, key);
                if let Some(store) = source {
                    for (pk, row) in &store.rows {
                        let text = partition_text(pk);
                        if old_p.owner_of(&text) != self.world.placement.owner_of(&text) {
                            moved += 1;
                        }
                        rows.insert((TableId(t), pk.clone()), row.clone());
                    }
                }
            }
        }
        self.config_version += 1;
        let epoch = Epoch {
            term: self.config_version,
            by: u16::MAX,
        };
        // Build the new shards' logs: one entry per row, in a fresh epoch.
        let mut stores: BTreeMap<(TableId, ShardId), ShardStore> = BTreeMap::new();
        for ((t, pk), row) in rows {
            let s = self.world.placement.shard_of(&partition_text(&pk));
            let st = stores.entry((t, s)).or_default();
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
            st.append(LogEntry {
                pos,
                body: Body::Write {
                    op: WriteOp { table: t, pk, kind },
                    write_id: row.write_id,
                },
                origin: row.version.origin,
                at: row.version.at,
            });
        }
        let ids: Vec<DcId> = self.world.nodes.keys().copied().collect();
        for id in ids {
            // Installing a layout has no effects to route.
            let _ = self
                .world
                .on_node(id, |n, ctx, _| n.adopt_layout(ctx, epoch, &stores));
        }
        // Replication traffic for old shard ids is meaningless now.
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
                        | Msg::Heartbeat { .. }
                )
            })
            .map(|(&s, _)| s)
            .collect();
        for s in stale {
            self.world.net.in_flight.remove(&s);
        }
        self.checker.reset_shards();
        let text = format!(
            "{why}: {moved} row(s) moved owner; over {} keys, modulo would move {} and ring {}",
            report.keys, report.modulo_moved, report.ring_moved
        );
        self.last_moves = Some(report);
        self.record(None, EventKind::Reconfigured { text });
    }

    /// The newest copy of a shard: the primary's if it is up, else the live replica with
    /// the highest log position.
    fn best_copy(&self, p: &Placement, key: ShardKey) -> Option<ShardStore> {
        let reps = p.replicas(key.1);
        let primary = reps
            .iter()
            .copied()
            .filter_map(|d| self.world.nodes.get(&d))
            .filter(|n| n.is_up())
            .find(|n| n.is_primary(key));
        if let Some(n) = primary {
            return n.durable.stores.get(&key).cloned();
        }
        reps.iter()
            .filter_map(|d| self.world.nodes.get(d))
            .filter(|n| n.is_up())
            .filter_map(|n| n.durable.stores.get(&key))
            .max_by_key(|s| s.last())
            .cloned()
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
        parts.push(format!("read policy {:?}", b.read_policy));
    }
    if a.read_consistency != b.read_consistency {
        parts.push(format!("read consistency {:?}", b.read_consistency));
    }
    for (x, y) in a.tables.iter().zip(&b.tables) {
        if x.mode != y.mode {
            parts.push(format!("{} replication {:?}", y.name, y.mode));
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
