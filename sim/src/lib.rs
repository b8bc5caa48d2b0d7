//! The deterministic core of the Table Store playground: datacenters as sans-IO state
//! machines, the world that routes their messages and timers, and a checker watching it.
//!
//! Invariants (each module states its own):
//! - Only `Sim::step`, `Sim::advance_to` / `run_until` and `Sim::apply` change a `Sim`;
//!   each records what happened as `Event`s and folds it into the trace hash.
//! - A run is a pure function of (config, seed, user commands and the instants they were
//!   applied at): events run in `(time, seq)` order, the only randomness is seeded, and
//!   nothing reads a clock, iterates a hash map, or uses floating point.
//! - No web dependency: this crate compiles and is tested natively.
//!
//! Where things are, one hop from here:
//! - the `Sim` handle and its event loop: `sim`; the world it runs over (queue, routing,
//!   the one `Ctx` lent to nodes): `world`, its event queue: `queue`;
//! - what is recorded (event log, trace hash, counters, metrics, 2PC traces): `record`,
//!   fed by `facts` (what the world makes of what nodes report);
//! - user commands and their validation: `commands`; settings and membership: `admin`;
//!   read-only questions: `queries`, where one key lives: `lookup`, and the UI's
//!   picture: `snapshot`;
//! - a datacenter: `node`, one child per mechanism (client front end, replication,
//!   heartbeats, failover, 2PC, balancer), speaking the leaf `vocab`;
//! - data and rules: `table`, `placement`, `net`, `workload`, `checker`, `config`,
//!   `scenario`; seeded fault schedules and the settle step: `schedule`; rewind, fork
//!   and checkpoints: `timeline`, its share links: `link`, the moments a scrubber marks:
//!   `markers`; leaves: `ids`, `time`, `rng`, `sort` (stable sorts with little wasm),
//!   `vecmap` (small sorted-vector maps and sets with little wasm).
//! - every behaviour of a small world, breadth-first over the same nodes: `explore`.
#![warn(unreachable_pub, missing_docs)]

mod admin;
pub mod bench;
pub mod checker;
mod commands;
#[allow(missing_docs)] // Owned by the UI work (a field schema is landing there).
pub mod config;
mod drain;
pub mod explore;
mod facts;
#[allow(missing_docs)] // The settings schema (one place for keys, bounds and parsers).
pub mod fields;
pub mod fp;
pub mod history;
mod ids;
pub mod lesson;
pub mod link;
mod lookup;
pub mod markers;
pub mod net;
mod node;
pub mod pacing;
pub mod placement;
mod queries;
mod queue;
mod record;
pub mod report;
pub mod rng;
#[allow(missing_docs)] // Owned by the UI work (a field schema is landing there).
pub mod scenario;
pub mod schedule;
pub mod session;
mod sim;
mod snapshot;
pub mod sort;
pub mod table;
mod time;
pub mod timeline;
pub mod trace;
mod vecmap;
mod vocab;
pub mod workload;
mod world;

// The public surface the app (and any other front end) uses: every name it needs is here,
// at the crate root, so the module tree behind it can change without breaking callers.
pub use checker::{Finding, FindingCounts, FindingKind};
pub use commands::{validate_op, CommandError, UserCommand};
pub use config::{
    region_dc, ConfigError, KeyDistribution, PlacementKind, ReadConsistency, ReadPolicy,
    ReplicationMode, SimConfig, MAX_DCS, MIN_DCS,
};
pub use fields::{Field, FieldError, FIELDS};
pub use ids::{DcId, ReqId, ShardId, TableId, TxnId};
pub use link::{LinkError, RunLink, LINK_VERSION, LINK_VERSION_PLAIN};
pub use lookup::{
    CopyVersion, KeyLookup, LookupCopy, LookupError, ModuloPlace, RingPlace, LOOKUP_KEY_MAX,
};
pub use markers::{Marker, MarkerKind};
pub use node::{Bugs, ShardMeta};
pub use pacing::{pos_of_speed, speed_of, Pacing, SPEED_MAX};
pub use placement::MoveReport;
pub use queries::DcLoad;
pub use record::{
    Breakpoint, Counters, Event, EventKind, MetricPoint, TxnMsg, TxnStatus, TxnTrace,
    EVENT_LOG_CAP, METRIC_POINTS, TXN_TRACE_CAP,
};
pub use scenario::{
    config_from_query, parse_form, parse_mode, parse_scenario, scenario_json, settings_from_query,
    settings_from_query_with, FormOp, InputError, QuerySettings, Scenario, ScheduledCommand,
};
pub use session::{Hit, Progress, Session};
pub use sim::Sim;
pub use snapshot::{
    CopySnap, CopyState, DcSnap, KeySnap, LinkSnap, MsgSnap, RingKey, RingPoint, ShardSnap,
    Snapshot, TableSnap,
};
pub use time::SimTime;
pub use timeline::{BranchInfo, Moment, Timeline};
pub use vecmap::{Packed, VecMap};
pub use vocab::{ClientOp, CoordState, MsgKind, PartState, PeerState};
