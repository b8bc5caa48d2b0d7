//! A run's report for an outside judge (the headless runner prints it as JSON): the
//! settings that matter to a judge, the client history, the end state of every copy of
//! every shard, and the checker's findings. Its format is documented in `docs/RUNNER.md`.
//!
//! Invariants: building a report only reads the simulation; everything in it is in a
//! deterministic order (DC id, table, shard, key, request id); `FORMAT` is bumped whenever
//! a field changes meaning or disappears (adding a field does not bump it).

use crate::checker::{FindingKind, HistoryEntry};
use crate::history::RowImage;
use crate::ids::{DcId, TxnId};
use crate::sim::Sim;
use crate::table::pk_text;
use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The report format's version.
pub const FORMAT: u32 = 1;

/// Everything a judge needs about one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// `FORMAT`.
    pub format: u32,
    /// The run's seed.
    pub seed: u64,
    /// The trace hash at the end, 16 hex digits (the fingerprint of the run).
    pub trace_hash: String,
    /// Whether the run was settled (`schedule::settle`) before the end state was read.
    pub settled: bool,
    /// The simulated instant the end state was read at.
    pub end: SimTime,
    /// Events recorded in all (the `*_seq` fields of the history count these).
    pub events: u64,
    /// The tables, in id order, with the replication mode in force at the end.
    pub tables: Vec<TableInfo>,
    /// Read consistency at the end (`one`, `quorum`, `owner`).
    pub read_consistency: String,
    /// Replication factor at the end.
    pub replication_factor: u8,
    /// The DCs at the end.
    pub dcs: Vec<DcInfo>,
    /// The scenario's commands as replayed, and whether each was taken.
    pub commands: Vec<CommandInfo>,
    /// Every client operation: completed ones in completion order, then those that
    /// never completed (outcome `unknown`, `completed_seq` = 2^64 − 1).
    pub history: Vec<HistoryEntry>,
    /// Every DC's copy of every shard.
    pub final_state: Vec<CopyState>,
    /// The shard of every row key the history names, under the placement at the end
    /// (a key's shard is where to look for it in `final_state`).
    pub key_shards: BTreeMap<String, u32>,
    /// The checker's findings, in the order found (the newest `checker::FINDINGS_CAP`:
    /// `violations` counts every one).
    pub findings: Vec<FindingInfo>,
    /// Findings that are violations.
    pub violations: usize,
}

/// A table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableInfo {
    /// Its name.
    pub name: String,
    /// `async`, `semisync`, `sync` or `quorumW`.
    pub mode: String,
}

/// A DC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcInfo {
    /// Its id.
    pub id: DcId,
    /// Its name.
    pub name: String,
    /// Up at the end.
    pub up: bool,
}

/// A replayed command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandInfo {
    /// When.
    pub at: SimTime,
    /// What, as text.
    pub what: String,
    /// Whether the simulation took it (else the refusal's message).
    pub refused: Option<String>,
}

/// One DC's copy of one shard at the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyState {
    /// The table's name.
    pub table: String,
    /// The shard.
    pub shard: u32,
    /// The DC holding the copy.
    pub dc: DcId,
    /// This DC is the shard's primary: the newest epoch any live DC knows names it.
    pub primary: bool,
    /// This DC believes itself the shard's primary.
    pub believes_primary: bool,
    /// This DC is one of the shard's replicas under the placement in force.
    pub replica: bool,
    /// The DC is up.
    pub up: bool,
    /// Entries in its log.
    pub log_len: u64,
    /// Its rows, tombstones included, by key.
    pub rows: Vec<RowState>,
}

/// A stored row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowState {
    /// The row's key as text.
    pub key: String,
    /// Cells, version, tombstone.
    pub row: RowImage,
}

/// A finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingInfo {
    /// Its kind.
    pub kind: FindingKind,
    /// A broken promise (not the documented price of a setting).
    pub violation: bool,
    /// When it was found.
    pub at: SimTime,
    /// What was found.
    pub text: String,
    /// The fault(s) that explain it.
    pub cause: String,
    /// The row keys involved.
    pub keys: Vec<String>,
    /// The transaction involved.
    pub txn: Option<TxnId>,
}

impl Sim {
    /// The report of the run so far; `commands` is what `schedule::play` returned (or
    /// empty), `settled` whether `schedule::settle` ran.
    pub fn report(&self, commands: Vec<CommandInfo>, settled: bool) -> RunReport {
        let w = &self.world;
        let names: Vec<String> = w.cfg.tables.iter().map(|t| t.name.clone()).collect();
        let name = |t: crate::ids::TableId| {
            names
                .get(t.0 as usize)
                .cloned()
                .unwrap_or_else(|| format!("table#{}", t.0))
        };
        let mut history: Vec<HistoryEntry> = self.checker.history().collect();
        history.extend(self.checker.open_requests(w.now, &names));
        let mut final_state = Vec::new();
        for (&dc, node) in &w.nodes {
            for (&key, store) in &node.durable.stores {
                let (_, primary) = self.current_primary(key);
                final_state.push(CopyState {
                    table: name(key.0),
                    shard: key.1 .0,
                    dc,
                    primary: primary == dc,
                    believes_primary: node.is_up() && node.is_primary(key),
                    replica: w.placement.replicas(key.1).contains(&dc),
                    up: node.is_up(),
                    log_len: store.last_index(),
                    rows: store
                        .rows
                        .iter()
                        .map(|(pk, r)| RowState {
                            key: pk_text(pk),
                            row: RowImage::of(r),
                        })
                        .collect(),
                });
            }
        }
        let mut key_shards = BTreeMap::new();
        for e in &history {
            let keys = e
                .writes
                .iter()
                .map(|r| &r.key)
                .chain(e.reads.iter().map(|r| &r.key));
            for k in keys {
                if !key_shards.contains_key(k) {
                    // The partition key is the first '/'-separated part (see `pk_text`).
                    let partition = k.split('/').next().unwrap_or_default();
                    key_shards.insert(k.clone(), w.placement.shard_of(partition).0);
                }
            }
        }
        // Table, then shard, then DC: copies of one shard sit together.
        crate::sort::sort_by(&mut final_state, |a, b| {
            (&a.table, a.shard, a.dc).cmp(&(&b.table, b.shard, b.dc))
        });
        RunReport {
            format: FORMAT,
            seed: w.cfg.seed,
            trace_hash: format!("{:016x}", self.trace_hash()),
            settled,
            end: w.now,
            events: self.rec.counters.events,
            tables: w
                .cfg
                .tables
                .iter()
                .map(|t| TableInfo {
                    name: t.name.clone(),
                    mode: t.mode.to_string(),
                })
                .collect(),
            read_consistency: w.cfg.read_consistency.to_string(),
            replication_factor: w.placement.replication_factor,
            dcs: w
                .nodes
                .iter()
                .map(|(&id, n)| DcInfo {
                    id,
                    name: self.dc_name(id),
                    up: n.is_up(),
                })
                .collect(),
            commands,
            history,
            final_state,
            key_shards,
            findings: self
                .checker
                .findings
                .iter()
                .map(|f| FindingInfo {
                    kind: f.kind,
                    violation: f.kind.is_violation(),
                    at: f.at,
                    text: f.text.clone(),
                    cause: f.cause.clone(),
                    keys: f.keys.clone(),
                    txn: f.txn,
                })
                .collect(),
            violations: self.checker.violations(),
        }
    }
}
