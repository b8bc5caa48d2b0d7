//! A snapshot cut into pieces with independent lifetimes, so a view whose piece did not
//! change keeps the same `Rc` and skips rendering.
//!
//! Invariants:
//! - Cutting never changes content: every piece holds exactly what the snapshot held.
//! - A piece gets a new `Rc` only when its content changed (events and metrics are
//!   append-only, so comparing their ends is enough); `snap` is new every time.
//! - `snap` keeps the per-frame parts; its `events`, `txns`, `metrics`, `findings`,
//!   `links`, `ring` and `ring_keys` are moved out into their own pieces.
//! - `Flight` (the clock and the messages in flight) is not cut from the snapshot either:
//!   the page takes it every frame, the snapshot only a few times a second while playing.
//! - `LookupView` is not cut from the snapshot: it is the core's `Sim::lookup` answer for
//!   the key the person typed (`lookup_view`), taken at the same instant as the snapshot.

use crate::sim::{
    DcId, Event, Finding, KeyLookup, LinkSnap, MetricPoint, MoveReport, MsgSnap, PeerState,
    PlacementKind, RingKey, RingPoint, Sim, SimConfig, SimTime, Snapshot, TableId, TxnTrace,
};
use std::rc::Rc;
use std::sync::Arc;

/// The ring panel's inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct RingView {
    pub placement: PlacementKind,
    pub ring: Vec<RingPoint>,
    pub keys: Vec<RingKey>,
    pub last_moves: Option<MoveReport>,
    /// A layout change waiting for open transactions (a drain), in words.
    pub draining: Option<String>,
    pub vnodes: u32,
    pub r: u8,
}

/// The key lookup's inputs: the table and key typed, and the core's answer for them now
/// (`Err`: why there is none, in words).
#[derive(Clone, Debug, PartialEq)]
pub struct LookupView {
    pub table: TableId,
    pub key: String,
    pub result: Result<KeyLookup, String>,
}

/// Asks the core where `key` of `table` lives now.
pub fn lookup_view(sim: &Sim, table: TableId, key: &str) -> LookupView {
    LookupView {
        table,
        key: key.to_string(),
        result: sim.lookup(table, key).map_err(|e| e.to_string()),
    }
}

/// What moves every frame: the clock and the messages in flight (`Sim::in_flight_snaps`),
/// taken every drawing frame, while the rest of the snapshot is taken a few times a second.
#[derive(Clone, Debug, PartialEq)]
pub struct Flight {
    pub now: SimTime,
    pub msgs: Vec<MsgSnap>,
}

impl Flight {
    /// The simulation's clock and messages in flight, now.
    pub fn of(sim: &Sim) -> Flight {
        Flight {
            now: sim.now(),
            msgs: sim.in_flight_snaps(),
        }
    }
}

/// The network's shape: DC names and positions plus links.
#[derive(Clone, Debug, PartialEq)]
pub struct Topo {
    pub names: Vec<(DcId, String)>,
    pub pos: Vec<(DcId, u32, u32)>,
    pub links: Vec<LinkSnap>,
    /// Table names by id (for shard names, `fmt::shard`).
    pub tables: Vec<String>,
}

impl Topo {
    /// A DC's position on the map.
    pub fn pos(&self, d: DcId) -> Option<(f64, f64)> {
        self.pos
            .iter()
            .find(|p| p.0 == d)
            .map(|p| (p.1 as f64, p.2 as f64))
    }
}

/// One observer's row of the detector matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewRow {
    pub id: DcId,
    pub name: String,
    pub up: bool,
    pub views: Vec<(DcId, Option<PeerState>)>,
}

/// The pieces (see the module invariants).
#[derive(Clone)]
pub struct Pieces {
    pub snap: Rc<Snapshot>,
    pub topo: Rc<Topo>,
    pub events: Rc<Vec<Arc<Event>>>,
    pub txns: Rc<Vec<Arc<TxnTrace>>>,
    pub metrics: Rc<Vec<Arc<MetricPoint>>>,
    pub findings: Rc<Vec<Arc<Finding>>>,
    pub ring: Rc<RingView>,
    pub config: Rc<SimConfig>,
    pub views: Rc<Vec<ViewRow>>,
}

/// Whether two windows end with the same shared element.
fn same_last<T>(a: Option<&Arc<T>>, b: Option<&Arc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Replaces `slot` only if the new value differs, so unchanged pieces keep their `Rc`.
pub fn keep_or<T: PartialEq>(slot: &mut Rc<T>, new: T) {
    if **slot != new {
        *slot = Rc::new(new);
    }
}

impl Pieces {
    /// Cuts a first snapshot.
    pub fn new(mut s: Snapshot) -> Pieces {
        Pieces {
            events: Rc::new(std::mem::take(&mut s.events)),
            txns: Rc::new(std::mem::take(&mut s.txns)),
            metrics: Rc::new(std::mem::take(&mut s.metrics)),
            findings: Rc::new(std::mem::take(&mut s.findings)),
            ring: Rc::new(ring_view(&mut s)),
            topo: Rc::new(topo(&mut s)),
            config: Rc::new(s.config.clone()),
            views: Rc::new(view_rows(&s)),
            snap: Rc::new(s),
        }
    }

    /// Cuts the next snapshot, keeping every piece whose content is unchanged.
    pub fn update(&mut self, mut s: Snapshot) {
        let events = std::mem::take(&mut s.events);
        if self.events.len() != events.len()
            || self.events.last().map(|e| e.seq) != events.last().map(|e| e.seq)
        {
            self.events = Rc::new(events);
        }
        let metrics = std::mem::take(&mut s.metrics);
        if self.metrics.len() != metrics.len()
            || self.metrics.last().map(|m| m.t) != metrics.last().map(|m| m.t)
        {
            self.metrics = Rc::new(metrics);
        }
        // Findings are only ever appended (the window slides): the newest tells.
        let findings = std::mem::take(&mut s.findings);
        if self.findings.len() != findings.len()
            || !same_last(self.findings.last(), findings.last())
        {
            self.findings = Rc::new(findings);
        }
        keep_or(&mut self.txns, std::mem::take(&mut s.txns));
        keep_or(&mut self.ring, ring_view(&mut s));
        keep_or(&mut self.topo, topo(&mut s));
        keep_or(&mut self.config, s.config.clone());
        keep_or(&mut self.views, view_rows(&s));
        self.snap = Rc::new(s);
    }
}

fn ring_view(s: &mut Snapshot) -> RingView {
    RingView {
        placement: s.placement,
        ring: std::mem::take(&mut s.ring),
        keys: std::mem::take(&mut s.ring_keys),
        last_moves: s.last_moves.clone(),
        draining: s.draining.clone(),
        vnodes: s.config.vnodes,
        r: s.config.replication_factor,
    }
}

fn topo(s: &mut Snapshot) -> Topo {
    Topo {
        names: s.dcs.iter().map(|d| (d.id, d.name.clone())).collect(),
        pos: s.dcs.iter().map(|d| (d.id, d.x, d.y)).collect(),
        links: std::mem::take(&mut s.links),
        tables: s.config.tables.iter().map(|t| t.name.clone()).collect(),
    }
}

fn view_rows(s: &Snapshot) -> Vec<ViewRow> {
    s.dcs
        .iter()
        .map(|d| ViewRow {
            id: d.id,
            name: d.name.clone(),
            up: d.up,
            views: d.views.clone(),
        })
        .collect()
}
