//! `window.tablestore`: a small JS API for scripts (teachers' demos, the console), as
//! documented in docs/JS_API.md.
//!
//! - `window.tablestore.format`: the format number (1).
//! - `window.tablestore.snapshot()`: the run as the page shows it, as a plain object
//!   (`PublicSnapshot`).
//! - `window.tablestore.lookup(table, key)`: `Sim::lookup`'s answer as a plain object
//!   (`PublicLookup`), or `{ format, error }` for a bad table or key.
//!
//! Invariants:
//! - Read-only: nothing here changes the run; every value is copied out of the core's own
//!   answers (`Sim::snapshot`, `Sim::data_view`, `Sim::lookup`, the session's breakpoint)
//!   and the page's labels (`fmt`, `state::bp_key`), never computed a second time.
//! - Field names are snake_case and stable: format 1 only ever gains fields; a renamed or
//!   removed field means format 2.
//! - Never panics: a session that is busy (borrowed) or a value that does not serialize
//!   gives `{ format, error }`.
//! - The closures live in `JsApi`, which the App owns; dropping it removes
//!   `window.tablestore` if it is still this App's (no `forget`).

use crate::sim::{
    CoordState, DcId, KeyLookup, PlacementKind, Session, Sim, Snapshot, TableId, TableSnap,
    TxnTrace,
};
use crate::ui::fmt;
use crate::ui::state::{bp_key, BreakpointHit};
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// The format of every object this API returns.
pub const FORMAT: u32 = 1;
/// Keys per table in `snapshot().keys` (the data view's first keys, in key order).
pub const SNAPSHOT_KEYS: usize = 16;
/// The property of `window` the API is installed as.
pub const GLOBAL: &str = "tablestore";

/// One DC.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicDc {
    pub id: u16,
    pub name: String,
    pub up: bool,
    /// Shards this DC is the live primary of (`Sim::live_primary`; 0 while it is down):
    /// the DC table's and the map's figure.
    pub primary_shards: usize,
    /// Live rows stored here (all copies).
    pub rows: usize,
    /// 2PC participants in the shards it leads that are in doubt (`Sim::dc_loads`).
    pub in_doubt: usize,
    /// 2PC participants in the shards it leads prepared and waiting, not in doubt.
    pub prepared: usize,
    /// Row locks held for 2PC in the shards it leads.
    pub locks: usize,
}

/// One shard of one table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicShard {
    /// The table's name.
    pub table: String,
    pub table_id: u16,
    pub shard: u32,
    /// The primary as the majority of live DCs know it.
    pub primary: u16,
    /// The primary's epoch term.
    pub epoch: u32,
    /// `primary` if it is up, else null (a failover is pending): what the page shows.
    pub live_primary: Option<u16>,
    /// Replicas under the placement in force, owner first.
    pub replicas: Vec<u16>,
    /// Live rows at the primary.
    pub rows: usize,
}

/// One participant of a transaction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicParticipant {
    pub dc: u16,
    /// The shards it acted for ("users s3").
    pub shards: Vec<String>,
    /// prepared | indoubt | committed | aborted | none (the 2PC badge's `data-state`).
    pub state: &'static str,
}

/// One 2PC transaction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicTxn {
    pub id: u64,
    pub coordinator: u16,
    /// working | committed | aborted | ended (the 2PC list's `data-state`).
    pub state: &'static str,
    /// pending | indoubt | committed | aborted: `TxnTrace::status`, the one outcome the
    /// 2PC list shows (its `data-status`).
    pub status: &'static str,
    pub started_ms: u64,
    pub participants: Vec<PublicParticipant>,
}

/// The breakpoint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicBreakpoint {
    /// The breakpoint armed now: none | txn-decision | failover | finding | write-acked |
    /// prepare-sent (the values of `?pause_at=`).
    pub armed: &'static str,
    /// "Keep armed" is on.
    pub keep: bool,
    /// The hit the page shows (the run is paused there), or null.
    pub hit: Option<PublicHit>,
}

/// A breakpoint hit, as the page's note shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicHit {
    pub kind: &'static str,
    pub seq: u64,
    pub at_ms: u64,
    pub txn: Option<u64>,
    pub dc: Option<u16>,
    pub text: String,
}

/// The checker's findings, counted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicFindings {
    pub total: usize,
    pub violations: usize,
}

/// One replica's copy of a row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicCopy {
    pub dc: u16,
    /// The copy's version: log index and term (null: the DC holds no copy).
    pub index: Option<u64>,
    pub term: Option<u32>,
    pub deleted: bool,
    /// Versions of the row the primary has that this copy lacks.
    pub behind: u64,
}

/// One row key across its replicas (the data view's staleness map).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicKey {
    pub table: String,
    pub key: String,
    pub shard: u32,
    pub primary: u16,
    pub epoch: u32,
    /// `primary` if it is up, else null (the data view's ★ and owner column).
    pub live_primary: Option<u16>,
    pub copies: Vec<PublicCopy>,
}

/// The last placement or membership change's move report (the placement tab's).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicMoves {
    /// Stored keys examined.
    pub keys: u64,
    /// Of those, how many changed owner in that change.
    pub moved: u64,
    /// How many would change owner under modulo / the ring for the member change alone.
    pub modulo_moved: u64,
    pub ring_moved: u64,
    /// modulo | ring, before and after.
    pub from: &'static str,
    pub to: &'static str,
    pub from_members: usize,
    pub to_members: usize,
}

/// `window.tablestore.snapshot()`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicSnapshot {
    pub format: u32,
    pub now_ms: u64,
    /// Decimal text: a seed may exceed JS's safe integers.
    pub seed: String,
    pub running: bool,
    /// modulo | ring
    pub placement: &'static str,
    pub dcs: Vec<PublicDc>,
    pub shards: Vec<PublicShard>,
    pub transactions: Vec<PublicTxn>,
    pub breakpoint: PublicBreakpoint,
    pub findings: PublicFindings,
    pub keys: Vec<PublicKey>,
    /// The last move report, or null before any change.
    pub moves: Option<PublicMoves>,
}

/// A replica's copy of a looked-up key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicLookupCopy {
    pub dc: u16,
    pub up: bool,
    /// `{ term, index, deleted, rows }` of its newest row of the key, or null.
    pub version: Option<PublicVersion>,
}

/// A stored row's version.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicVersion {
    pub term: u32,
    pub index: u64,
    pub deleted: bool,
    pub rows: usize,
}

/// `window.tablestore.lookup(table, key)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicLookup {
    pub format: u32,
    pub table: String,
    pub table_id: u16,
    pub key: String,
    pub sha1: String,
    /// modulo | ring
    pub placement: &'static str,
    pub shard: u32,
    /// The owner under the placement in force (first replica), or null.
    pub owner: Option<u16>,
    pub replicas: Vec<u16>,
    /// The shard's current primary (may differ from the owner after a failover).
    pub primary: u16,
    pub epoch: u32,
    /// `int(sha1) mod N` over the members: N and the bucket.
    pub modulo_n: u64,
    pub modulo_bucket: u64,
    /// The ring position in millionths of a turn, or null for an empty ring.
    pub ring_ppm: Option<u32>,
    pub copies: Vec<PublicLookupCopy>,
}

/// `{ format, error }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicError {
    pub format: u32,
    pub error: String,
}

fn placement_key(p: PlacementKind) -> &'static str {
    match p {
        PlacementKind::Modulo => "modulo",
        PlacementKind::Ring => "ring",
    }
}

fn coord_state(t: &TxnTrace) -> CoordState {
    t.coord_states
        .last()
        .map(|x| x.1)
        .unwrap_or(CoordState::Working)
}

fn table_name(snap: &Snapshot, t: TableId) -> String {
    snap.config
        .tables
        .get(t.0 as usize)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| format!("#{}", t.0))
}

impl PublicSnapshot {
    /// The public view of `snap` (the core's snapshot), `data` (its data view), the
    /// session's breakpoint and the hit the page shows.
    pub fn new(
        snap: &Snapshot,
        data: &[TableSnap],
        session: &Session,
        hit: Option<&BreakpointHit>,
    ) -> PublicSnapshot {
        let dc = |d: DcId| d.0;
        PublicSnapshot {
            format: FORMAT,
            now_ms: snap.now.0,
            seed: snap.seed.to_string(),
            running: session.pacing().running(),
            placement: placement_key(snap.placement),
            dcs: snap
                .dcs
                .iter()
                .map(|d| PublicDc {
                    id: d.id.0,
                    name: d.name.clone(),
                    up: d.up,
                    primary_shards: d.primaries,
                    rows: d.rows,
                    in_doubt: d.in_doubt,
                    prepared: d.prepared,
                    locks: d.locks,
                })
                .collect(),
            shards: snap
                .shards
                .iter()
                .map(|s| PublicShard {
                    table: table_name(snap, s.table),
                    table_id: s.table.0,
                    shard: s.shard.0,
                    primary: s.primary.0,
                    epoch: s.epoch.term,
                    live_primary: s.live_primary.map(dc),
                    replicas: s.replicas.iter().copied().map(dc).collect(),
                    rows: s.rows,
                })
                .collect(),
            transactions: snap
                .txns
                .iter()
                .map(|t| PublicTxn {
                    id: t.id.0,
                    coordinator: t.coordinator.0,
                    state: fmt::coord_label(coord_state(t)),
                    status: fmt::txn_status_key(t.status()),
                    started_ms: t.started.0,
                    participants: t
                        .participants
                        .iter()
                        .map(|&d| PublicParticipant {
                            dc: d.0,
                            shards: t.shards.get(&d).cloned().unwrap_or_default(),
                            state: fmt::part_label(
                                t.part_states.get(&d).and_then(|v| v.last()).map(|x| x.1),
                            ),
                        })
                        .collect(),
                })
                .collect(),
            breakpoint: PublicBreakpoint {
                armed: bp_key(session.breakpoint()),
                keep: session.keeps_breakpoint(),
                hit: hit.map(|h| PublicHit {
                    kind: bp_key(Some(h.kind)),
                    seq: h.seq,
                    at_ms: h.at.0,
                    txn: h.txn.map(|t| t.0),
                    dc: h.dc.map(dc),
                    text: h.text.to_string(),
                }),
            },
            findings: PublicFindings {
                total: snap.finding_counts.total() as usize,
                violations: snap.finding_counts.violations() as usize,
            },
            keys: data
                .iter()
                .flat_map(|t| {
                    t.keys.iter().map(|k| PublicKey {
                        table: t.name.clone(),
                        key: k.pk.clone(),
                        shard: k.shard.0,
                        primary: k.primary.0,
                        epoch: k.epoch.term,
                        live_primary: k.live_primary.map(dc),
                        copies: k
                            .copies
                            .iter()
                            .map(|(d, c)| PublicCopy {
                                dc: d.0,
                                index: c.as_ref().map(|c| c.index),
                                term: c.as_ref().map(|c| c.term),
                                deleted: c.as_ref().is_some_and(|c| c.deleted),
                                behind: c.as_ref().map(|c| c.behind).unwrap_or(0),
                            })
                            .collect(),
                    })
                })
                .collect(),
            moves: snap.last_moves.as_ref().map(|m| PublicMoves {
                keys: m.keys,
                moved: m.moved,
                modulo_moved: m.modulo_moved,
                ring_moved: m.ring_moved,
                from: placement_key(m.from_kind),
                to: placement_key(m.to_kind),
                from_members: m.from_members,
                to_members: m.to_members,
            }),
        }
    }

    /// The public view of the session's run now.
    pub fn of_session(session: &Session, hit: Option<&BreakpointHit>) -> PublicSnapshot {
        let sim = session.sim();
        PublicSnapshot::new(&sim.snapshot(), &sim.data_view(SNAPSHOT_KEYS), session, hit)
    }
}

impl PublicLookup {
    /// The public view of `Sim::lookup`'s answer.
    pub fn new(l: &KeyLookup, table: String) -> PublicLookup {
        PublicLookup {
            format: FORMAT,
            table,
            table_id: l.table.0,
            key: l.key.clone(),
            sha1: l.sha1_hex.clone(),
            placement: placement_key(l.placement),
            shard: l.shard.0,
            owner: l.owner().map(|d| d.0),
            replicas: l.replicas.iter().map(|d| d.0).collect(),
            primary: l.primary.0,
            epoch: l.term,
            modulo_n: l.modulo.n,
            modulo_bucket: l.modulo.bucket,
            ring_ppm: l.ring.as_ref().map(|r| r.ppm),
            copies: l
                .copies
                .iter()
                .map(|c| PublicLookupCopy {
                    dc: c.dc.0,
                    up: c.up,
                    version: c.version.as_ref().map(|v| PublicVersion {
                        term: v.term,
                        index: v.index,
                        deleted: v.deleted,
                        rows: v.rows,
                    }),
                })
                .collect(),
        }
    }
}

/// `table` as a script names it: a table name ("users") or index (0).
pub fn resolve_table(sim: &Sim, table: &JsValue) -> Result<TableId, String> {
    if let Some(name) = table.as_string() {
        return sim
            .table_named(&name)
            .ok_or_else(|| format!("There is no table named {name:?} in this run."));
    }
    match table.as_f64() {
        Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u16::MAX)).contains(&n) => {
            Ok(TableId(n as u16))
        }
        _ => Err("lookup(table, key): table is a table name (\"users\") or index (0).".into()),
    }
}

/// `lookup(table, key)` over `sim`: the answer or the reason there is none.
pub fn lookup(sim: &Sim, table: &JsValue, key: &JsValue) -> Result<PublicLookup, String> {
    let table = resolve_table(sim, table)?;
    let key = key
        .as_string()
        .ok_or("lookup(table, key): key is a string (for example \"k1\").")?;
    let l = sim.lookup(table, &key).map_err(|e| e.to_string())?;
    let name = sim
        .config()
        .tables
        .get(table.0 as usize)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    Ok(PublicLookup::new(&l, name))
}

/// Plain objects as JSON has them: a missing value (`None`) is `null`, not `undefined`.
const SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);

fn to_js<T: Serialize>(v: &T) -> JsValue {
    v.serialize(&SERIALIZER)
        .unwrap_or_else(|e| error(format!("{e}")))
}

fn error(text: String) -> JsValue {
    PublicError {
        format: FORMAT,
        error: text,
    }
    .serialize(&SERIALIZER)
    .unwrap_or(JsValue::NULL)
}

const BUSY: &str = "The playground is busy; call again.";

/// What the API reads: the App's session and the breakpoint hit its page shows.
#[derive(Clone)]
pub struct Shared {
    pub session: Rc<RefCell<Session>>,
    pub hit: Rc<RefCell<Option<BreakpointHit>>>,
}

/// `window.tablestore` while it is installed; dropping it uninstalls it.
pub struct JsApi {
    object: js_sys::Object,
    _snapshot: Closure<dyn Fn() -> JsValue>,
    _lookup: Closure<dyn Fn(JsValue, JsValue) -> JsValue>,
}

impl JsApi {
    /// Installs `window.tablestore` over `shared` (replacing another App's); None
    /// without a window.
    pub fn install(shared: Shared) -> Option<JsApi> {
        let window = web_sys::window()?;
        let s = shared.clone();
        let snapshot = Closure::<dyn Fn() -> JsValue>::new(move || {
            let (Ok(session), Ok(hit)) = (s.session.try_borrow(), s.hit.try_borrow()) else {
                return error(BUSY.into());
            };
            to_js(&PublicSnapshot::of_session(&session, hit.as_ref()))
        });
        let s = shared;
        let lookup = Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(
            move |table: JsValue, key: JsValue| {
                let Ok(session) = s.session.try_borrow() else {
                    return error(BUSY.into());
                };
                match self::lookup(session.sim(), &table, &key) {
                    Ok(l) => to_js(&l),
                    Err(e) => error(e),
                }
            },
        );
        let object = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&object, &k.into(), v).is_ok();
        let ok = set("format", &FORMAT.into())
            && set("snapshot", snapshot.as_ref())
            && set("lookup", lookup.as_ref())
            && js_sys::Reflect::set(&window, &GLOBAL.into(), &object).is_ok();
        ok.then_some(JsApi {
            object,
            _snapshot: snapshot,
            _lookup: lookup,
        })
    }
}

impl Drop for JsApi {
    fn drop(&mut self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let ours = js_sys::Reflect::get(&window, &GLOBAL.into())
            .is_ok_and(|v| js_sys::Object::is(&v, &self.object));
        if ours {
            let _ = js_sys::Reflect::delete_property(&window, &GLOBAL.into());
        }
    }
}
