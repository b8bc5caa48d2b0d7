//! Read-only pictures of the simulation for the UI.
//!
//! Invariant: a snapshot is a copy; nothing in it points into the simulation, so the UI
//! can hold it across frames while the simulation moves on. Everything the page draws
//! comes from here, so everything it shows is a fact of the simulation.

use super::checker::Finding;
use super::config::{PlacementKind, SimConfig};
use super::detector::PeerState;
use super::ids::{DcId, ShardId, TableId, TxnId};
use super::msg::MsgKind;
use super::node::PartState;
use super::placement::{token, MoveReport};
use super::table::{pk_text, Epoch};
use super::time::SimTime;
use super::{Counters, Event, MetricPoint, Sim, TxnTrace};

#[derive(Clone, Debug, PartialEq)]
pub struct DcSnap {
    pub id: DcId,
    pub name: String,
    pub x: u32,
    pub y: u32,
    pub up: bool,
    /// Live rows stored here (all copies).
    pub rows: usize,
    /// Shards this DC is primary of (by its own knowledge).
    pub primaries: usize,
    /// This DC's own view of every other DC (None for itself, or when it is down).
    pub views: Vec<(DcId, Option<PeerState>)>,
    /// 2PC participant records here still prepared or in doubt.
    pub in_doubt: usize,
    /// Row locks held for 2PC.
    pub locks: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSnap {
    pub from: DcId,
    pub to: DcId,
    pub latency_ms: u32,
    pub cut: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgSnap {
    pub seq: u64,
    pub src: DcId,
    pub dst: DcId,
    pub send_at: SimTime,
    pub deliver_at: SimTime,
    pub kind: MsgKind,
    pub txn: Option<TxnId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardSnap {
    pub table: TableId,
    pub shard: ShardId,
    pub replicas: Vec<DcId>,
    /// The primary as the majority of live DCs know it (ties: newest epoch).
    pub primary: DcId,
    pub epoch: Epoch,
    pub rows: usize,
    /// Per replica: (dc, entries behind the primary, ms behind).
    pub lag: Vec<(DcId, u64, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingPoint {
    /// Position on the ring in millionths of a turn.
    pub ppm: u32,
    pub dc: DcId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingKey {
    pub key: String,
    pub ppm: u32,
    /// Owner and replicas under the active placement.
    pub replicas: Vec<DcId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub now: SimTime,
    pub seed: u64,
    pub trace_hash: u64,
    pub config: SimConfig,
    pub dcs: Vec<DcSnap>,
    pub links: Vec<LinkSnap>,
    pub in_flight: Vec<MsgSnap>,
    pub shards: Vec<ShardSnap>,
    pub placement: PlacementKind,
    pub ring: Vec<RingPoint>,
    pub ring_keys: Vec<RingKey>,
    pub txns: Vec<TxnTrace>,
    pub events: Vec<Event>,
    pub counters: Counters,
    pub findings: Vec<Finding>,
    pub metrics: Vec<MetricPoint>,
    pub last_moves: Option<MoveReport>,
}

/// One row key across DCs, for the data view's staleness map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySnap {
    pub pk: String,
    pub shard: ShardId,
    pub primary: DcId,
    pub epoch: Epoch,
    /// Per replica: its copy's version index and how many versions it is behind the
    /// primary (None: the DC holds no copy of this row).
    pub copies: Vec<(DcId, Option<CopySnap>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySnap {
    pub index: u64,
    pub term: u32,
    pub deleted: bool,
    pub value: String,
    pub behind: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSnap {
    pub table: TableId,
    pub name: String,
    pub keys: Vec<KeySnap>,
    pub total_rows: usize,
}

pub const SNAPSHOT_EVENTS: usize = 400;
pub const SNAPSHOT_TXNS: usize = 60;
pub const RING_KEYS: usize = 96;

fn ppm(t: u64) -> u32 {
    (((t >> 32) * 1_000_000) >> 32) as u32
}

impl Sim {
    pub fn snapshot(&self) -> Snapshot {
        let ids = self.dc_ids();
        let dcs = ids
            .iter()
            .map(|&id| {
                let n = self.node(id).expect("listed");
                let spec = self
                    .dc_spec(id)
                    .cloned()
                    .unwrap_or_else(|| super::config::region_dc(0));
                DcSnap {
                    id,
                    name: spec.name,
                    x: spec.x,
                    y: spec.y,
                    up: n.is_up(),
                    rows: n.durable.stores.values().map(|s| s.live_rows()).sum(),
                    primaries: n.durable.meta.values().filter(|m| m.primary == id).count(),
                    views: ids
                        .iter()
                        .filter(|&&o| o != id)
                        .map(|&o| (o, self.view(id, o)))
                        .collect(),
                    in_doubt: n
                        .durable
                        .part
                        .values()
                        .filter(|r| matches!(r.state, PartState::Prepared | PartState::InDoubt))
                        .count(),
                    locks: n.vol.locks.len(),
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
        let in_flight = self
            .in_flight()
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
            .collect();
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
        let mut txns: Vec<TxnTrace> = self.txns().rev().take(SNAPSHOT_TXNS).cloned().collect();
        txns.reverse();
        let events: Vec<Event> = {
            let all: Vec<&Event> = self.events().collect();
            all[all.len().saturating_sub(SNAPSHOT_EVENTS)..]
                .iter()
                .map(|e| (*e).clone())
                .collect()
        };
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
            findings: self.findings().to_vec(),
            metrics: self.metrics().cloned().collect(),
            last_moves: self.last_moves().cloned(),
        }
    }

    /// The authoritative primary of a shard: the newest epoch any live DC knows.
    fn current_meta(&self, key: (TableId, ShardId)) -> Option<(Epoch, DcId)> {
        self.dc_ids()
            .into_iter()
            .filter_map(|d| self.node(d))
            .filter(|n| n.is_up())
            .filter_map(|n| n.meta(key).map(|m| (m.epoch, m.primary)))
            .max()
    }

    pub fn shard_snaps(&self) -> Vec<ShardSnap> {
        let p = self.placement();
        let ctx = super::node::Ctx {
            now: self.now(),
            cfg: self.config(),
            placement: p,
            latency: &self.network().latency,
        };
        let mut out = Vec::new();
        for t in 0..self.config().tables.len() as u16 {
            for s in 0..p.shard_count() {
                let key = (TableId(t), ShardId(s));
                let replicas = p.replicas(ShardId(s));
                let (epoch, primary) = self
                    .current_meta(key)
                    .unwrap_or((Epoch::default(), replicas[0]));
                let pn = self.node(primary);
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
            let mut pks: std::collections::BTreeSet<super::table::Pk> = Default::default();
            for d in self.dc_ids() {
                if let Some(n) = self.node(d) {
                    for (k, st) in &n.durable.stores {
                        if k.0 == table {
                            pks.extend(st.rows.keys().cloned());
                        }
                    }
                }
            }
            let total_rows = pks.len();
            let mut keys = Vec::new();
            for pk in pks.into_iter().take(max_keys) {
                let shard = self.shard_of(&pk);
                let key = (table, shard);
                let (epoch, primary) = self
                    .current_meta(key)
                    .unwrap_or((Epoch::default(), p.replicas(shard)[0]));
                let primary_store = self.node(primary).and_then(|n| n.durable.stores.get(&key));
                let primary_pos = primary_store
                    .and_then(|s| s.rows.get(&pk))
                    .map(|r| r.version.pos);
                let copies = p
                    .replicas(shard)
                    .into_iter()
                    .map(|d| {
                        let row = self
                            .node(d)
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
                                        .filter(|e| e.op.pk == pk)
                                        .count() as u64
                                })
                                .unwrap_or(0);
                            CopySnap {
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
