//! Read-only pictures of the simulation for the UI.
//!
//! Invariant: a snapshot is a copy; nothing in it points into the simulation, so the UI
//! can hold it across frames while the simulation moves on. Everything the page draws
//! comes from here, so everything it shows is a fact of the simulation.
//!
//! `txns` holds the newest transactions (`SNAPSHOT_TXNS`) in id order, plus a pinned one
//! (`snapshot_pinning`: the one a person selected) while the run still traces it, so a
//! selection is never pushed out of the picture by newer transactions.
//!
//! Cost: a page takes a snapshot a few times a second while the run plays (and the
//! messages in flight, `in_flight_snaps`, every frame), so it must cost what the page
//! shows, never the run's length. The long lists (events, 2PC traces, metric points, findings) are bounded
//! windows of `Arc`s shared with the recording — copying one is a reference count, and an
//! unchanged element keeps its pointer, so the page's equality checks are pointer checks.
//! Counts shown on screen come from totals (`counters`, `finding_counts`), never from the
//! lengths of these windows.

use crate::checker::{Finding, FindingCounts};
use crate::config::{region_dc, PlacementKind, SimConfig};
use crate::ids::{DcId, ShardId, TableId, TxnId};
use crate::placement::{ppm, token, MoveReport};
use crate::record::{Counters, Event, MetricPoint, TxnTrace};
use crate::sim::Sim;
use crate::table::{pk_text, Epoch, Pk};
use crate::time::SimTime;
use crate::vocab::{MsgKind, PeerState};
use std::collections::BTreeSet;
use std::sync::Arc;

/// One DC, as the page draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct DcSnap {
    /// Its id.
    pub id: DcId,
    /// Its name.
    pub name: String,
    /// Map position, across.
    pub x: u32,
    /// Map position, down.
    pub y: u32,
    /// Whether it is up.
    pub up: bool,
    /// Live rows stored here (all copies).
    pub rows: usize,
    /// Shards this DC is the live primary of (`Sim::live_primary`; 0 while it is down).
    /// Summed over DCs, plus the shards without a live primary, this is the shard count.
    pub primaries: usize,
    /// This DC's own view of every other DC (None for itself, or when it is down).
    pub views: Vec<(DcId, Option<PeerState>)>,
    /// 2PC participants in the shards it leads that are in doubt (decision overdue; see
    /// `Sim::dc_loads`).
    pub in_doubt: usize,
    /// 2PC participants in the shards it leads prepared and waiting, not (yet) in doubt.
    pub prepared: usize,
    /// Row locks held for 2PC in the shards it leads.
    pub locks: usize,
}

/// One direction of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSnap {
    /// Sending side.
    pub from: DcId,
    /// Receiving side.
    pub to: DcId,
    /// One-way latency.
    pub latency_ms: u32,
    /// Whether it is cut.
    pub cut: bool,
}

/// A message in flight between two DCs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgSnap {
    /// Its sequence number.
    pub seq: u64,
    /// Its sender.
    pub src: DcId,
    /// Its destination.
    pub dst: DcId,
    /// When it left.
    pub send_at: SimTime,
    /// When it arrives.
    pub deliver_at: SimTime,
    /// What it is.
    pub kind: MsgKind,
    /// Its transaction, for a 2PC message.
    pub txn: Option<TxnId>,
}

/// One shard of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardSnap {
    /// The table.
    pub table: TableId,
    /// The shard.
    pub shard: ShardId,
    /// Its replicas under the placement, owner first.
    pub replicas: Vec<DcId>,
    /// The DC the current epoch names (the newest epoch any live DC knows); it may be
    /// down until a failover names another.
    pub primary: DcId,
    /// The current epoch.
    pub epoch: Epoch,
    /// `primary` if it is up (`Sim::live_primary`): what the page shows as the primary.
    pub live_primary: Option<DcId>,
    /// Live rows at the primary.
    pub rows: usize,
    /// Per replica: (dc, entries behind the primary, ms behind).
    pub lag: Vec<(DcId, u64, u64)>,
}

/// A virtual node on the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingPoint {
    /// Position on the ring in millionths of a turn.
    pub ppm: u32,
    /// Its DC.
    pub dc: DcId,
}

/// A workload key placed on the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingKey {
    /// The key.
    pub key: String,
    /// Its position, in millionths of a turn.
    pub ppm: u32,
    /// Owner and replicas under the active placement.
    pub replicas: Vec<DcId>,
}

/// Everything the page draws, copied out of the simulation at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Simulated time.
    pub now: SimTime,
    /// The run's seed.
    pub seed: u64,
    /// The trace hash so far.
    pub trace_hash: u64,
    /// The settings in force, with the live DC list and latencies.
    pub config: SimConfig,
    /// Every DC.
    pub dcs: Vec<DcSnap>,
    /// Every direction of every link.
    pub links: Vec<LinkSnap>,
    /// Messages in flight between DCs.
    pub in_flight: Vec<MsgSnap>,
    /// Every shard.
    pub shards: Vec<ShardSnap>,
    /// The placement strategy in force.
    pub placement: PlacementKind,
    /// The ring's virtual nodes.
    pub ring: Vec<RingPoint>,
    /// Workload keys on the ring.
    pub ring_keys: Vec<RingKey>,
    /// The most recent 2PC traces (shared with the recording).
    pub txns: Vec<Arc<TxnTrace>>,
    /// The most recent events (`SNAPSHOT_EVENTS`), oldest first.
    pub events: Vec<Arc<Event>>,
    /// Running totals (events by category included).
    pub counters: Counters,
    /// The newest findings (`SNAPSHOT_FINDINGS`), oldest first; the first is finding
    /// number `finding_counts.total() - findings.len()` of the run.
    pub findings: Vec<Arc<Finding>>,
    /// Every finding of the run, counted by kind.
    pub finding_counts: FindingCounts,
    /// The per-second metrics.
    pub metrics: Vec<Arc<MetricPoint>>,
    /// What the last membership change moved.
    pub last_moves: Option<MoveReport>,
    /// A layout change waiting for open transactions to finish, in words.
    pub draining: Option<String>,
}

/// One row key across DCs, for the data view's staleness map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySnap {
    /// The key, as text.
    pub pk: String,
    /// Its shard.
    pub shard: ShardId,
    /// The DC its shard's current epoch names (may be down).
    pub primary: DcId,
    /// The current epoch of its shard.
    pub epoch: Epoch,
    /// `primary` if it is up (`Sim::live_primary`): what the page shows as the primary.
    pub live_primary: Option<DcId>,
    /// Per replica: its copy's version index and how many versions it is behind the
    /// primary (None: the DC holds no copy of this row).
    pub copies: Vec<(DcId, Option<CopySnap>)>,
}

/// One DC's copy of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySnap {
    /// Its version's log index.
    pub index: u64,
    /// Its version's term.
    pub term: u32,
    /// A tombstone.
    pub deleted: bool,
    /// Its cells, as `col=value` text.
    pub value: String,
    /// Versions of the row the primary has that this copy lacks.
    pub behind: u64,
    /// Whether the DC holding the copy is up.
    pub up: bool,
}

/// What the page says about one copy of a row: exactly one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyState {
    /// Held by an up DC and lacking none of the primary's versions.
    UpToDate,
    /// Held by an up DC, lacking this many versions the primary has.
    Behind(u64),
    /// Held by a down DC: never "up to date", whatever it holds.
    Down,
}

impl CopySnap {
    /// The copy's one state (a down DC's copy is `Down`, never `UpToDate`).
    pub fn state(&self) -> CopyState {
        match (self.up, self.behind) {
            (false, _) => CopyState::Down,
            (true, 0) => CopyState::UpToDate,
            (true, n) => CopyState::Behind(n),
        }
    }
}

/// One table's rows across DCs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSnap {
    /// The table.
    pub table: TableId,
    /// Its name.
    pub name: String,
    /// Its first keys (in key order).
    pub keys: Vec<KeySnap>,
    /// Rows in all.
    pub total_rows: usize,
}

pub(crate) const SNAPSHOT_EVENTS: usize = 400;
pub(crate) const SNAPSHOT_TXNS: usize = 60;
/// The most findings a snapshot carries (the findings panel lists them, newest first).
pub(crate) const SNAPSHOT_FINDINGS: usize = 200;
pub(crate) const RING_KEYS: usize = 96;

impl Sim {
    /// The picture of the simulation the page draws, now.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_pinning(None)
    }

    /// `snapshot`, with transaction `pinned`'s trace among `txns` (in id order) even when
    /// it is older than the newest `SNAPSHOT_TXNS`, as long as the run still traces it.
    pub fn snapshot_pinning(&self, pinned: Option<TxnId>) -> Snapshot {
        let ids = self.dc_ids();
        let loads = self.dc_loads();
        let dcs = ids
            .iter()
            .zip(&loads)
            .map(|(&id, load)| {
                debug_assert_eq!(load.dc, id);
                let n = &self.world.nodes[&id];
                let spec = self.dc_spec(id).cloned().unwrap_or_else(|| region_dc(0));
                DcSnap {
                    id,
                    name: spec.name,
                    x: spec.x,
                    y: spec.y,
                    up: n.is_up(),
                    rows: n.durable.stores.values().map(|s| s.live_rows()).sum(),
                    primaries: load.primaries,
                    views: ids
                        .iter()
                        .filter(|&&o| o != id)
                        .map(|&o| (o, self.view(id, o)))
                        .collect(),
                    in_doubt: load.in_doubt,
                    prepared: load.prepared,
                    locks: load.locks,
                }
            })
            .collect();
        let mut links = Vec::new();
        for &a in &ids {
            for &b in &ids {
                if a != b {
                    links.push(LinkSnap {
                        from: a,
                        to: b,
                        latency_ms: self.network().latency(a, b),
                        cut: self.network().is_cut(a, b),
                    });
                }
            }
        }
        let in_flight = self.in_flight_snaps();
        let p = self.placement();
        let ring = p
            .ring
            .iter()
            .map(|&(t, dc)| RingPoint { ppm: ppm(t), dc })
            .collect();
        let mut ring_keys = Vec::new();
        let keys = self.config().workload.keys.min(RING_KEYS as u32);
        for k in 0..keys {
            let key = format!("k{k}");
            ring_keys.push(RingKey {
                ppm: ppm(token(&key)),
                replicas: p.replicas(p.shard_of(&key)),
                key,
            });
        }
        let mut txns: Vec<Arc<TxnTrace>> = self
            .rec
            .txns
            .values()
            .rev()
            .take(SNAPSHOT_TXNS)
            .cloned()
            .collect();
        txns.reverse();
        if let Some(id) = pinned {
            if let (Err(at), Some(t)) = (
                txns.binary_search_by_key(&id, |t| t.id),
                self.rec.txns.get(&id),
            ) {
                txns.insert(at, t.clone());
            }
        }
        let ev = &self.rec.events;
        let events: Vec<Arc<Event>> = ev
            .range(ev.len().saturating_sub(SNAPSHOT_EVENTS)..)
            .cloned()
            .collect();
        let all = self.findings();
        let findings = all[all.len().saturating_sub(SNAPSHOT_FINDINGS)..].to_vec();
        let mut config = self.config().clone();
        config.dcs = ids
            .iter()
            .filter_map(|&d| self.dc_spec(d).cloned())
            .collect();
        config.latency_ms = ids
            .iter()
            .map(|&a| ids.iter().map(|&b| self.network().latency(a, b)).collect())
            .collect();
        Snapshot {
            now: self.now(),
            seed: self.config().seed,
            trace_hash: self.trace_hash(),
            config,
            dcs,
            links,
            in_flight,
            shards: self.shard_snaps(),
            placement: p.kind,
            ring,
            ring_keys,
            txns,
            events,
            counters: self.counters().clone(),
            findings,
            finding_counts: self.finding_counts().clone(),
            metrics: self.rec.metrics.iter().cloned().collect(),
            last_moves: self.last_moves().cloned(),
            draining: self.draining().map(|(what, since)| {
                let open = self.unresolved_txns();
                format!(
                    "{what}: waiting since t={since} for {} open transaction(s) ({}); new transactions are refused until then",
                    open.len(),
                    crate::drain::txn_list(&open)
                )
            }),
        }
    }

    /// The messages in flight between DCs (`Snapshot::in_flight`) alone: what a page
    /// moves every frame, at a cost that follows the messages, not the world.
    pub fn in_flight_snaps(&self) -> Vec<MsgSnap> {
        self.in_flight()
            .filter(|e| e.src != e.dst)
            .map(|e| MsgSnap {
                seq: e.seq,
                src: e.src,
                dst: e.dst,
                send_at: e.send_at,
                deliver_at: e.deliver_at,
                kind: e.msg.kind(),
                txn: e.msg.txn(),
            })
            .collect()
    }

    /// Every shard of every table: replicas, primary, epoch, rows, lag.
    pub fn shard_snaps(&self) -> Vec<ShardSnap> {
        let p = self.placement();
        let ctx = self.world.ctx();
        let primaries = self.current_primaries();
        let mut out = Vec::new();
        for t in 0..self.config().tables.len() as u16 {
            for s in 0..p.shard_count() {
                let key = (TableId(t), ShardId(s));
                let replicas = p.replicas(ShardId(s));
                let (epoch, primary) =
                    primaries[t as usize * p.shard_count() as usize + s as usize];
                let pn = self.world.nodes.get(&primary);
                let rows = pn
                    .and_then(|n| n.durable.stores.get(&key))
                    .map(|st| st.live_rows())
                    .unwrap_or(0);
                let lag = match pn {
                    Some(n) if n.is_up() && n.is_primary(key) => n.replica_lag(&ctx, key),
                    _ => vec![],
                };
                out.push(ShardSnap {
                    table: TableId(t),
                    shard: ShardId(s),
                    replicas,
                    primary,
                    epoch,
                    live_primary: self.world.is_up(primary).then_some(primary),
                    rows,
                    lag,
                });
            }
        }
        out
    }

    /// Rows per table across DCs, at most `max_keys` keys per table (in key order).
    pub fn data_view(&self, max_keys: usize) -> Vec<TableSnap> {
        let p = self.placement();
        let mut out = Vec::new();
        for (ti, spec) in self.config().tables.iter().enumerate() {
            let table = TableId(ti as u16);
            let mut pks: BTreeSet<Pk> = BTreeSet::new();
            for n in self.world.nodes.values() {
                for (k, st) in &n.durable.stores {
                    if k.0 == table {
                        pks.extend(st.rows.keys().cloned());
                    }
                }
            }
            let total_rows = pks.len();
            let mut keys = Vec::new();
            for pk in pks.into_iter().take(max_keys) {
                let shard = self.shard_of(&pk);
                let key = (table, shard);
                let (epoch, primary) = self.current_primary(key);
                let primary_store = self
                    .world
                    .nodes
                    .get(&primary)
                    .and_then(|n| n.durable.stores.get(&key));
                let primary_pos = primary_store
                    .and_then(|s| s.rows.get(&pk))
                    .map(|r| r.version.pos);
                let copies = p
                    .replicas(shard)
                    .into_iter()
                    .map(|d| {
                        let row = self
                            .world
                            .nodes
                            .get(&d)
                            .and_then(|n| n.durable.stores.get(&key))
                            .and_then(|s| s.rows.get(&pk));
                        let snap = row.map(|r| {
                            // Versions of this row in the primary's log newer than this copy.
                            let behind = primary_store
                                .map(|ps| {
                                    ps.log
                                        .iter()
                                        .rev()
                                        .take_while(|e| e.pos > r.version.pos)
                                        .filter(|e| e.body.writes_row(&pk))
                                        .count() as u64
                                })
                                .unwrap_or(0);
                            CopySnap {
                                up: self.world.is_up(d),
                                index: r.version.pos.index,
                                term: r.version.pos.epoch.term,
                                deleted: r.deleted,
                                value: r
                                    .cells
                                    .iter()
                                    .map(|(c, (v, _))| format!("{c}={v}"))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                behind: if primary_pos.is_some_and(|pp| pp <= r.version.pos) {
                                    0
                                } else {
                                    behind
                                },
                            }
                        });
                        (d, snap)
                    })
                    .collect();
                keys.push(KeySnap {
                    pk: pk_text(&pk),
                    shard,
                    primary,
                    epoch,
                    live_primary: self.live_primary(key).map(|x| x.1),
                    copies,
                });
            }
            out.push(TableSnap {
                table,
                name: spec.name.clone(),
                keys,
                total_rows,
            });
        }
        out
    }
}
