//! Configuration of a run. Invariant: a `SimConfig` that passed `validate()` (written in
//! `fields`, next to the bounds it checks) can be run without any further checks; every
//! rejection is a `ConfigError` a person can read.

use super::ids::DcId;
use super::table::{COMPACT_EVERY, COMPACT_KEEP};
use serde::{Deserialize, Serialize};
use std::fmt;

pub const MIN_DCS: usize = 2;
pub const MAX_DCS: usize = 16;
pub const MAX_TABLES: usize = 8;
pub const MAX_KEYS: u32 = 100_000;
pub const MAX_RATE: u32 = 5_000;
pub const MAX_LATENCY_MS: u32 = 10_000;
pub const MAX_VNODES: u32 = 256;
pub const MAX_NAME_LEN: usize = 32;

/// Where a DC sits. `x` in 0..=1000 (west → east), `y` in 0..=500 (north → south): an
/// equirectangular world map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcSpec {
    pub name: String,
    pub x: u32,
    pub y: u32,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlacementKind {
    /// The seed document's `int(sha1(key)) % N`.
    Modulo,
    /// Consistent hashing with virtual nodes.
    Ring,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicationMode {
    /// Ack after the local write; a timer ships the log in batches.
    Async,
    /// Ack after one replica has the entry.
    SemiSync,
    /// Ack after every replica the primary believes live has the entry.
    Sync,
    /// Ack once this many copies (primary included) hold the entry.
    Quorum(u8),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadPolicy {
    /// The seed's: a replica chosen by the key's hash.
    Hash,
    RoundRobin,
    /// The replica with the fewest requests outstanding from this client DC.
    LeastLoaded,
    /// The replica closest (lowest latency) to the client's DC.
    Nearest,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadConsistency {
    /// One replica, chosen by the policy; may be stale.
    One,
    /// A majority of replicas; the newest version wins.
    Quorum,
    /// The current primary only.
    Owner,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyDistribution {
    Uniform,
    /// Zipf with exponent 1: key k is drawn with weight 1/k.
    Zipf,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    pub name: String,
    /// Primary-key columns; the first is the partition key.
    pub pk: Vec<String>,
    pub columns: Vec<String>,
    pub mode: ReplicationMode,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadSpec {
    /// Client operations per simulated second, all DCs together. 0 = idle.
    pub ops_per_sec: u32,
    /// Mix in percent; the three must sum to 100.
    pub read_pct: u32,
    pub write_pct: u32,
    pub txn_pct: u32,
    /// Keys are `k0 .. k{keys-1}`.
    pub keys: u32,
    pub distribution: KeyDistribution,
    /// Home DCs of the clients; empty means every DC.
    pub client_dcs: Vec<DcId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    pub seed: u64,
    pub dcs: Vec<DcSpec>,
    /// One-way latency in ms, `latency_ms[src][dst]`; the diagonal is ignored (local = 0).
    pub latency_ms: Vec<Vec<u32>>,
    pub jitter_ms: u32,
    pub loss_permille: u32,
    pub placement: PlacementKind,
    pub vnodes: u32,
    pub replication_factor: u8,
    pub tables: Vec<TableSpec>,
    pub heartbeat_interval_ms: u64,
    pub suspect_after_ms: u64,
    pub dead_after_ms: u64,
    pub replication_interval_ms: u64,
    pub replication_batch: u32,
    pub txn_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub read_policy: ReadPolicy,
    pub read_consistency: ReadConsistency,
    /// Whether the cluster fails partitions over when a majority sees their owner dead.
    pub failover: bool,
    pub workload: WorkloadSpec,
    /// Log compaction: entries a primary keeps below what every live replica has
    /// acknowledged (`table::COMPACT_KEEP`; not a page setting — the explorer makes it
    /// small so a snapshot install fits a small world). Left out of files and links when
    /// it is the default, so they read and hash as before.
    #[serde(
        default = "default_compact_keep",
        skip_serializing_if = "is_default_compact_keep"
    )]
    pub compact_keep: u64,
    /// Log compaction: a primary compacts once this many entries are compactable
    /// (`table::COMPACT_EVERY`, 1 to 1 000 000; as `compact_keep`).
    #[serde(
        default = "default_compact_every",
        skip_serializing_if = "is_default_compact_every"
    )]
    pub compact_every: u64,
}

fn default_compact_keep() -> u64 {
    COMPACT_KEEP
}

fn is_default_compact_keep(v: &u64) -> bool {
    *v == COMPACT_KEEP
}

fn default_compact_every() -> u64 {
    COMPACT_EVERY
}

fn is_default_compact_every(v: &u64) -> bool {
    *v == COMPACT_EVERY
}

/// Placement as the form and URL spell it.
impl fmt::Display for PlacementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PlacementKind::Modulo => "modulo",
            PlacementKind::Ring => "ring",
        })
    }
}

/// Read policy as the form and URL spell it.
impl fmt::Display for ReadPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReadPolicy::Hash => "hash",
            ReadPolicy::RoundRobin => "roundrobin",
            ReadPolicy::LeastLoaded => "leastloaded",
            ReadPolicy::Nearest => "nearest",
        })
    }
}

/// Read consistency as the form and URL spell it.
impl fmt::Display for ReadConsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReadConsistency::One => "one",
            ReadConsistency::Quorum => "quorum",
            ReadConsistency::Owner => "owner",
        })
    }
}

/// Key distribution as the form spells it.
impl fmt::Display for KeyDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyDistribution::Zipf => "zipf",
            KeyDistribution::Uniform => "uniform",
        })
    }
}

/// Replication mode as the form and URL spell it (`parse_mode` reads it back).
impl fmt::Display for ReplicationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplicationMode::Async => f.write_str("async"),
            ReplicationMode::SemiSync => f.write_str("semisync"),
            ReplicationMode::Sync => f.write_str("sync"),
            ReplicationMode::Quorum(w) => write!(f, "quorum{w}"),
        }
    }
}

/// A known region: name, longitude and latitude in tenths of a degree.
struct Region {
    name: &'static str,
    lon10: i32,
    lat10: i32,
}

const REGIONS: [Region; 16] = [
    Region {
        name: "cn-hangzhou",
        lon10: 1202,
        lat10: 303,
    },
    Region {
        name: "us-east",
        lon10: -775,
        lat10: 390,
    },
    Region {
        name: "eu-central",
        lon10: 87,
        lat10: 501,
    },
    Region {
        name: "ap-southeast",
        lon10: 1038,
        lat10: 14,
    },
    Region {
        name: "us-west",
        lon10: -1219,
        lat10: 373,
    },
    Region {
        name: "cn-beijing",
        lon10: 1164,
        lat10: 399,
    },
    Region {
        name: "ap-northeast",
        lon10: 1397,
        lat10: 357,
    },
    Region {
        name: "eu-west",
        lon10: -1,
        lat10: 515,
    },
    Region {
        name: "ap-south",
        lon10: 729,
        lat10: 191,
    },
    Region {
        name: "me-east",
        lon10: 553,
        lat10: 253,
    },
    Region {
        name: "au-southeast",
        lon10: 1512,
        lat10: -339,
    },
    Region {
        name: "sa-east",
        lon10: -466,
        lat10: -235,
    },
    Region {
        name: "cn-shenzhen",
        lon10: 1141,
        lat10: 225,
    },
    Region {
        name: "ca-central",
        lon10: -736,
        lat10: 455,
    },
    Region {
        name: "af-south",
        lon10: 184,
        lat10: -339,
    },
    Region {
        name: "id-jakarta",
        lon10: 1068,
        lat10: -62,
    },
];

/// Integer square root (floor), so default latencies are identical on every target.
fn isqrt(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let mut x = n;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

/// The DC spec for region `i` of the built-in catalogue (wrapping past 16 with a suffix).
pub fn region_dc(i: usize) -> DcSpec {
    let r = &REGIONS[i % REGIONS.len()];
    let name = if i < REGIONS.len() {
        r.name.to_string()
    } else {
        format!("{}-{}", r.name, i / REGIONS.len() + 1)
    };
    // Equirectangular projection onto 1000 × 500.
    let x = ((r.lon10 + 1800) as u32 * 1000) / 3600;
    let y = ((900 - r.lat10) as u32 * 500) / 1800;
    DcSpec { name, x, y }
}

/// Default one-way latency between two map positions: fibre covers the 40 000 km
/// circumference (1000 map units) in ~200 ms, routes are ~1.5× longer, plus 3 ms of
/// switching. East–west distance wraps around the globe.
pub fn default_latency(a: &DcSpec, b: &DcSpec) -> u32 {
    let dx = (a.x as i64 - b.x as i64).unsigned_abs();
    let dx = dx.min(1000 - dx.min(1000));
    let dy = (a.y as i64 - b.y as i64).unsigned_abs();
    let dist = isqrt(dx * dx + dy * dy);
    (3 + dist * 3 / 10) as u32
}

pub fn latency_matrix(dcs: &[DcSpec]) -> Vec<Vec<u32>> {
    dcs.iter()
        .map(|a| {
            dcs.iter()
                .map(|b| if a == b { 0 } else { default_latency(a, b) })
                .collect()
        })
        .collect()
}

impl SimConfig {
    /// A config with `n` DCs from the region catalogue and every other setting at its
    /// teaching default.
    pub fn with_dcs(n: usize) -> SimConfig {
        let dcs: Vec<DcSpec> = (0..n).map(region_dc).collect();
        let latency_ms = latency_matrix(&dcs);
        SimConfig {
            seed: 1,
            dcs,
            latency_ms,
            jitter_ms: 2,
            loss_permille: 0,
            placement: PlacementKind::Modulo,
            vnodes: 16,
            replication_factor: 3.min(n as u8),
            tables: vec![
                TableSpec {
                    name: "users".into(),
                    pk: vec!["user_id".into()],
                    columns: vec!["name".into(), "balance".into()],
                    mode: ReplicationMode::Async,
                },
                TableSpec {
                    name: "orders".into(),
                    pk: vec!["order_id".into(), "line".into()],
                    columns: vec!["item".into(), "qty".into()],
                    mode: ReplicationMode::Sync,
                },
            ],
            heartbeat_interval_ms: 500,
            suspect_after_ms: 1_500,
            dead_after_ms: 4_000,
            replication_interval_ms: 1_000,
            replication_batch: 64,
            txn_timeout_ms: 2_000,
            request_timeout_ms: 3_000,
            read_policy: ReadPolicy::Hash,
            read_consistency: ReadConsistency::One,
            failover: true,
            workload: WorkloadSpec {
                ops_per_sec: 20,
                read_pct: 60,
                write_pct: 30,
                txn_pct: 10,
                keys: 200,
                distribution: KeyDistribution::Zipf,
                client_dcs: vec![],
            },
            compact_keep: COMPACT_KEEP,
            compact_every: COMPACT_EVERY,
        }
    }

    /// The same settings on `n` DCs from the region catalogue with default latencies: the
    /// replication factor and write quorums shrink to fit, client home DCs are cleared.
    /// On the default config this is exactly `SimConfig::with_dcs(n)`.
    pub fn resize(&mut self, n: usize) {
        let fresh = SimConfig::with_dcs(n);
        self.dcs = fresh.dcs;
        self.latency_ms = fresh.latency_ms;
        self.replication_factor = self.replication_factor.min(n as u8);
        self.workload.client_dcs.clear();
        for t in &mut self.tables {
            if let ReplicationMode::Quorum(w) = t.mode {
                t.mode = ReplicationMode::Quorum(w.min(self.replication_factor));
            }
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig::with_dcs(5)
    }
}

/// Why a configuration was refused. `Display` is the message shown next to the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A setting outside its bounds (`fields::FIELDS`); `text` names the bounds.
    OutOfRange {
        /// The field's key.
        key: &'static str,
        /// The message.
        text: String,
    },
    DcName(usize),
    DcPosition(String),
    DuplicateDc(String),
    LatencyShape(usize),
    Latency {
        from: String,
        to: String,
        ms: u32,
    },
    ReplicationFactor {
        r: u8,
        dcs: usize,
    },
    TableCount(usize),
    TableName(usize),
    DuplicateTable(String),
    PrimaryKey(String),
    ColumnName(String),
    DuplicateColumn(String),
    WriteQuorum {
        table: String,
        /// The table's index in `SimConfig::tables`.
        index: usize,
        w: u8,
        r: u8,
    },
    Silences {
        heartbeat: u64,
        suspect: u64,
        dead: u64,
    },
    Mix(u32, u32, u32),
    ClientDc(u16),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ConfigError::*;
        match self {
            OutOfRange { text, .. } => f.write_str(text),
            DcName(i) => write!(f, "Datacenter #{} needs a name of 1 to {MAX_NAME_LEN} characters.", i + 1),
            DcPosition(n) => write!(f, "Datacenter {n} is off the map (x must be 0–1000, y 0–500)."),
            DuplicateDc(n) => write!(f, "Two datacenters are named {n}; names must be unique."),
            LatencyShape(n) => write!(f, "The latency matrix must be {n} × {n}, one row and column per datacenter."),
            Latency { from, to, ms } => write!(f, "Latency {from} → {to} is {ms} ms; it must be 1 to {MAX_LATENCY_MS} ms."),
            ReplicationFactor { r, dcs } => write!(f, "Replication factor {r} is impossible with {dcs} datacenters (1 to {dcs})."),
            TableCount(n) => write!(f, "Define 1 to {MAX_TABLES} tables; got {n}."),
            TableName(i) => write!(f, "Table #{} needs a name of 1 to {MAX_NAME_LEN} characters.", i + 1),
            DuplicateTable(n) => write!(f, "Two tables are named {n}."),
            PrimaryKey(t) => write!(f, "Table {t} needs 1 to 4 primary-key columns (the first is the partition key)."),
            ColumnName(t) => write!(f, "Table {t} has an empty or over-long column name."),
            DuplicateColumn(t) => write!(f, "Table {t} names a column twice."),
            WriteQuorum { table, w, r, .. } => write!(f, "Table {table}: a write quorum of {w} needs 1 to {r} copies (the replication factor)."),
            Silences { heartbeat, suspect, dead } => write!(f, "Need heartbeat ({heartbeat} ms) < suspect-after ({suspect} ms) < dead-after ({dead} ms)."),
            Mix(r, w, t) => write!(f, "Read {r}% + write {w}% + transaction {t}% must add up to 100%."),
            ClientDc(d) => write!(f, "Client home DC{d} does not exist."),
        }
    }
}

impl std::error::Error for ConfigError {}
