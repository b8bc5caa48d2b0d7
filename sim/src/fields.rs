//! The settings a person can type, described once: key, URL parameter, label, unit,
//! bounds and parser. The settings form, the URL parameters
//! (`scenario::config_from_query`) and `SimConfig::validate` all read `FIELDS`, so a
//! bound or a parser is written in one place.
//!
//! Invariants:
//! - A numeric field's `set` is only called with a value within `min..=max`, and every
//!   `max` fits the config field's type, so `set` never truncates; `get` after `set(v)`
//!   gives `v` (tested at both bounds of every numeric field).
//! - Word fields parse with the core's parsers (`scenario::parse_*`): an unknown word is
//!   an error, never a silent default.
//! - `SimConfig::validate` (here) checks each numeric field against its bounds, then what
//!   relates settings to each other or to the DC and table lists.
//! - Pure: no web dependency, no clock; nothing here touches a running simulation.

use crate::config::{
    ConfigError, KeyDistribution, PlacementKind, ReadConsistency, ReadPolicy, ReplicationMode,
    SimConfig, MAX_DCS, MAX_KEYS, MAX_LATENCY_MS, MAX_NAME_LEN, MAX_RATE, MAX_TABLES, MAX_VNODES,
    MIN_DCS,
};
use std::fmt;

/// One setting as a person types it.
pub struct Field {
    /// Stable name: the settings form's `field-<key>` and the key errors are filed under.
    pub key: &'static str,
    /// The URL parameter that sets it, if any (`?r=3`).
    pub param: Option<&'static str>,
    /// What the form calls it; messages start with it.
    pub label: &'static str,
    /// Shown after the input (`ms`, `%`, …).
    pub unit: &'static str,
    /// Its type, bounds or parser, and how it reads and writes a config.
    pub kind: Kind,
}

/// How a field's text becomes part of a config.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A whole number in `min..=max`.
    Num {
        /// Smallest value accepted.
        min: u64,
        /// Largest value accepted.
        max: u64,
        /// The value in a config.
        get: fn(&SimConfig) -> u64,
        /// Writes a value already within the bounds.
        set: fn(&mut SimConfig, u64),
    },
    /// A word read by the core's parser for it.
    Word {
        /// `(value, label)` choices for a select; empty: free text.
        options: &'static [(&'static str, &'static str)],
        /// The value in a config, as typed.
        get: fn(&SimConfig) -> String,
        /// Parses the text and writes it.
        set: fn(&mut SimConfig, &str) -> Result<(), InputError>,
    },
    /// On or off.
    Flag {
        /// The value in a config.
        get: fn(&SimConfig) -> bool,
        /// Writes the value.
        set: fn(&mut SimConfig, bool),
        /// Reads typed text; lenient, as URL switches have always been.
        parse: fn(&str) -> bool,
    },
}

/// Why typed text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldError {
    /// A numeric field got something that is not a whole number.
    NotANumber,
    /// A whole number outside the field's bounds.
    OutOfRange {
        /// What was typed.
        value: u64,
        /// Smallest value accepted.
        min: u64,
        /// Largest value accepted.
        max: u64,
    },
    /// The field's parser refused it; the text says why.
    Invalid(InputError),
}

fn small<T: TryFrom<u64> + Default>(v: u64) -> T {
    // Unreachable past the bounds (see the module invariants); 0 rather than a panic.
    T::try_from(v).unwrap_or_default()
}

macro_rules! num {
    ($key:literal, $param:expr, $label:literal, $unit:literal, $min:expr, $max:expr, |$c:ident| $place:expr) => {
        Field {
            key: $key,
            param: $param,
            label: $label,
            unit: $unit,
            kind: Kind::Num {
                min: $min as u64,
                max: $max as u64,
                get: |$c| $place as u64,
                set: |$c, v| $place = small(v),
            },
        }
    };
}

/// Every field, in URL-parameter order first (the order the "Known:" list gives), then the
/// ones only the settings form offers.
pub static FIELDS: [Field; 25] = [
    num!("seed", Some("seed"), "Seed", "", 0, u64::MAX, |c| c.seed),
    Field {
        key: "dcs",
        param: Some("dcs"),
        label: "Datacenters",
        unit: "",
        kind: Kind::Num {
            min: MIN_DCS as u64,
            max: MAX_DCS as u64,
            get: |c| c.dcs.len() as u64,
            set: |c, n| c.resize(n as usize),
        },
    },
    Field {
        key: "placement",
        param: Some("placement"),
        label: "Placement",
        unit: "",
        kind: Kind::Word {
            options: &[
                ("modulo", "Modulo (SHA-1 mod N)"),
                ("ring", "Ring (consistent hashing)"),
            ],
            get: |c| c.placement.to_string(),
            set: |c, s| {
                c.placement = parse_placement(s)?;
                Ok(())
            },
        },
    },
    num!(
        "replication_factor",
        Some("r"),
        "Replication factor R",
        "copies",
        1,
        MAX_DCS,
        |c| c.replication_factor
    ),
    num!(
        "vnodes",
        Some("vnodes"),
        "Virtual nodes per DC",
        "",
        1,
        MAX_VNODES,
        |c| c.vnodes
    ),
    Field {
        key: "mode",
        param: Some("mode"),
        label: "Replication of every table",
        unit: "",
        kind: Kind::Word {
            options: &[],
            get: |c| {
                c.tables
                    .first()
                    .map(|t| t.mode.to_string())
                    .unwrap_or_default()
            },
            set: |c, s| {
                let m = parse_mode(s)?;
                for t in &mut c.tables {
                    t.mode = m;
                }
                Ok(())
            },
        },
    },
    num!(
        "ops_per_sec",
        Some("rate"),
        "Workload rate",
        "ops/s",
        0,
        MAX_RATE,
        |c| c.workload.ops_per_sec
    ),
    num!("keys", Some("keys"), "Keys", "k0…", 1, MAX_KEYS, |c| c
        .workload
        .keys),
    Field {
        key: "zipf",
        param: Some("zipf"),
        label: "Zipf key distribution",
        unit: "",
        kind: Kind::Flag {
            get: |c| c.workload.distribution == KeyDistribution::Zipf,
            set: |c, on| {
                c.workload.distribution = if on {
                    KeyDistribution::Zipf
                } else {
                    KeyDistribution::Uniform
                }
            },
            parse: |s| {
                let s = s.to_ascii_lowercase();
                s == "1" || s == "true"
            },
        },
    },
    Field {
        key: "read_policy",
        param: Some("policy"),
        label: "Read load balancing",
        unit: "",
        kind: Kind::Word {
            options: &[
                ("hash", "Hash (the seed's)"),
                ("roundrobin", "Round robin"),
                ("leastloaded", "Least loaded"),
                ("nearest", "Nearest"),
            ],
            get: |c| c.read_policy.to_string(),
            set: |c, s| {
                c.read_policy = parse_policy(s)?;
                Ok(())
            },
        },
    },
    Field {
        key: "read_consistency",
        param: Some("read"),
        label: "Read consistency",
        unit: "",
        kind: Kind::Word {
            options: &[
                ("one", "One (may be stale)"),
                ("quorum", "Quorum"),
                ("owner", "Owner only"),
            ],
            get: |c| c.read_consistency.to_string(),
            set: |c, s| {
                c.read_consistency = parse_consistency(s)?;
                Ok(())
            },
        },
    },
    num!(
        "loss_permille",
        Some("loss"),
        "Message loss",
        "‰",
        0,
        500,
        |c| c.loss_permille
    ),
    Field {
        key: "failover",
        param: Some("failover"),
        label: "Fail over when a majority sees an owner dead",
        unit: "",
        kind: Kind::Flag {
            get: |c| c.failover,
            set: |c, on| c.failover = on,
            parse: |s| {
                let s = s.to_ascii_lowercase();
                !(s == "0" || s == "false" || s == "off")
            },
        },
    },
    num!(
        "heartbeat_interval_ms",
        None,
        "Heartbeat interval",
        "ms",
        50,
        10_000,
        |c| c.heartbeat_interval_ms
    ),
    // Suspect and dead silences are ordered against each other in `validate`.
    num!(
        "suspect_after_ms",
        None,
        "Suspect after silence",
        "ms",
        1,
        600_000,
        |c| c.suspect_after_ms
    ),
    num!(
        "dead_after_ms",
        None,
        "Dead after silence",
        "ms",
        1,
        600_000,
        |c| c.dead_after_ms
    ),
    num!(
        "replication_interval_ms",
        None,
        "Replication interval (async)",
        "ms",
        10,
        60_000,
        |c| c.replication_interval_ms
    ),
    num!(
        "replication_batch",
        None,
        "Replication batch",
        "entries",
        1,
        10_000,
        |c| c.replication_batch
    ),
    num!(
        "txn_timeout_ms",
        None,
        "Transaction timeout",
        "ms",
        100,
        600_000,
        |c| c.txn_timeout_ms
    ),
    num!(
        "request_timeout_ms",
        None,
        "Request timeout",
        "ms",
        100,
        600_000,
        |c| c.request_timeout_ms
    ),
    // Each share is a percentage; that the three add up to 100 is checked in `validate`.
    num!("read_pct", None, "Reads", "%", 0, 100, |c| c
        .workload
        .read_pct),
    num!("write_pct", None, "Writes", "%", 0, 100, |c| c
        .workload
        .write_pct),
    num!("txn_pct", None, "Transactions", "%", 0, 100, |c| c
        .workload
        .txn_pct),
    num!("jitter_ms", None, "Latency jitter", "ms", 0, 1_000, |c| c
        .jitter_ms),
    Field {
        key: "distribution",
        param: None,
        label: "Key distribution",
        unit: "",
        kind: Kind::Word {
            options: &[("zipf", "Zipf (hot keys)"), ("uniform", "Uniform")],
            get: |c| c.workload.distribution.to_string(),
            set: |c, s| {
                c.workload.distribution = parse_distribution(s)?;
                Ok(())
            },
        },
    },
];

/// The field named `key`.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// The field URL parameter `param` sets.
pub fn by_param(param: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.param == Some(param))
}

/// The replication modes a table can take with `r` copies per key, as (value, label):
/// the settings form's choices for each table (values as `parse_mode` reads them).
pub fn mode_choices(r: usize) -> Vec<(String, String)> {
    let mut out = vec![
        (
            "async".to_string(),
            "async — ack after the local write".to_string(),
        ),
        (
            "semisync".to_string(),
            "semisync — ack after one replica".to_string(),
        ),
        (
            "sync".to_string(),
            "sync — ack after every live replica".to_string(),
        ),
    ];
    for w in 1..=r.clamp(1, u8::MAX as usize) {
        out.push((
            format!("quorum{w}"),
            format!("quorum{w} — ack after {w} of {r} copies"),
        ));
    }
    out
}

/// The form key of table `i`'s replication mode (`field-mode-<i>` in the page).
pub fn mode_key(i: usize) -> String {
    format!("mode-{i}")
}

/// `12 ms`, `5%`, `3 copies`: a value with its unit, for messages.
fn with_unit(v: u64, unit: &str) -> String {
    match unit {
        "%" | "‰" => format!("{v}{unit}"),
        u if !u.is_empty() && u.chars().all(|c| c.is_ascii_alphabetic() || c == '/') => {
            format!("{v} {u}")
        }
        _ => v.to_string(),
    }
}

impl Field {
    /// Reads typed text as this numeric field's value (trimmed, within the bounds).
    pub fn parse_num(&self, text: &str) -> Result<u64, FieldError> {
        let Kind::Num { min, max, .. } = self.kind else {
            return Err(FieldError::NotANumber);
        };
        let value: u64 = text.trim().parse().map_err(|_| FieldError::NotANumber)?;
        if value < min || value > max {
            return Err(FieldError::OutOfRange { value, min, max });
        }
        Ok(value)
    }

    /// Parses typed text and writes it into `cfg`; on error `cfg` is unchanged.
    pub fn apply(&self, cfg: &mut SimConfig, text: &str) -> Result<(), FieldError> {
        match self.kind {
            Kind::Num { set, .. } => set(cfg, self.parse_num(text)?),
            Kind::Word { set, .. } => {
                // Parse into a copy: a parser may fail after writing part of it.
                let mut next = cfg.clone();
                set(&mut next, text).map_err(FieldError::Invalid)?;
                *cfg = next;
            }
            Kind::Flag { set, parse, .. } => set(cfg, parse(text)),
        }
        Ok(())
    }

    /// The value in `cfg` as a person would type it.
    pub fn text(&self, cfg: &SimConfig) -> String {
        match self.kind {
            Kind::Num { get, .. } => get(cfg).to_string(),
            Kind::Word { get, .. } => get(cfg),
            Kind::Flag { get, .. } => get(cfg).to_string(),
        }
    }

    /// The refusal for a numeric value outside the bounds (as `validate` reports it).
    pub fn out_of_range(&self, value: u64) -> ConfigError {
        let (min, max) = match self.kind {
            Kind::Num { min, max, .. } => (min, max),
            _ => (0, 0),
        };
        ConfigError::OutOfRange {
            key: self.key,
            text: format!(
                "{} must be {} to {}; got {}.",
                self.label,
                min,
                with_unit(max, self.unit),
                with_unit(value, self.unit)
            ),
        }
    }

    /// Checks `cfg`'s value against the bounds (numeric fields; others always pass).
    pub fn check(&self, cfg: &SimConfig) -> Result<(), ConfigError> {
        match self.kind {
            Kind::Num { min, max, get, .. } => {
                let v = get(cfg);
                if v < min || v > max {
                    return Err(self.out_of_range(v));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The message for `e` next to the form input where `typed` was entered.
    pub fn form_message(&self, e: &FieldError, typed: &str) -> String {
        match e {
            FieldError::NotANumber => format!(
                "{}: type a whole number ({typed:.20} is not one).",
                self.label
            ),
            FieldError::OutOfRange { value, .. } => self.out_of_range(*value).to_string(),
            FieldError::Invalid(e) => e.0.clone(),
        }
    }

    /// The message for `e` when `typed` came as this field's URL parameter.
    pub fn url_message(&self, e: &FieldError, typed: &str) -> String {
        let p = self.param.unwrap_or(self.key);
        match e {
            FieldError::NotANumber => format!("URL parameter {p}={typed:.40} is not a number."),
            FieldError::OutOfRange { value, min, max } => {
                format!("URL parameter {p}={value} must be between {min} and {max}.")
            }
            // The parser's sentence, after the parameter as typed: a banner listing
            // several refused ones names each.
            FieldError::Invalid(e) => format!("URL parameter {p}={typed:.40}: {}", e.0),
        }
    }
}

// ------------------------------------------------------------------ word parsers

/// Why typed or pasted text was refused; the text says what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// A refusal with this text.
pub(crate) fn err<T>(s: impl Into<String>) -> Result<T, InputError> {
    Err(InputError(s.into()))
}

/// `modulo` (also `mod`, `hash`) or `ring` (also `consistent`).
pub fn parse_placement(s: &str) -> Result<PlacementKind, InputError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "modulo" | "mod" | "hash" => Ok(PlacementKind::Modulo),
        "ring" | "consistent" => Ok(PlacementKind::Ring),
        o => err(format!("Placement {o:.20} is not modulo or ring.")),
    }
}

/// `async`, `semisync`, `sync` or `quorumN` (the inverse of `ReplicationMode`'s `Display`).
pub fn parse_mode(s: &str) -> Result<ReplicationMode, InputError> {
    let s = s.trim().to_ascii_lowercase();
    match s.as_str() {
        "async" => Ok(ReplicationMode::Async),
        "semisync" | "semi-sync" | "semi" => Ok(ReplicationMode::SemiSync),
        "sync" => Ok(ReplicationMode::Sync),
        o => match o.strip_prefix("quorum") {
            Some(n) => {
                let w: u8 = n
                    .trim_matches(|c| c == '(' || c == ')' || c == '-' || c == ':')
                    .parse()
                    .map_err(|_| {
                        InputError(format!("Quorum needs a size, e.g. quorum2; got {o:.20}."))
                    })?;
                Ok(ReplicationMode::Quorum(w))
            }
            None => err(format!(
                "Replication mode {o:.20} is not async, semisync, sync or quorumN."
            )),
        },
    }
}

/// `hash`, `roundrobin`, `leastloaded` or `nearest` (and a few spellings of each).
pub fn parse_policy(s: &str) -> Result<ReadPolicy, InputError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "hash" => Ok(ReadPolicy::Hash),
        "roundrobin" | "round-robin" | "rr" => Ok(ReadPolicy::RoundRobin),
        "leastloaded" | "least-loaded" | "least" => Ok(ReadPolicy::LeastLoaded),
        "nearest" => Ok(ReadPolicy::Nearest),
        o => err(format!(
            "Read policy {o:.20} is not hash, roundrobin, leastloaded or nearest."
        )),
    }
}

/// `zipf` or `uniform`.
pub fn parse_distribution(s: &str) -> Result<KeyDistribution, InputError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "zipf" => Ok(KeyDistribution::Zipf),
        "uniform" => Ok(KeyDistribution::Uniform),
        o => err(format!("Key distribution {o:.20} is not zipf or uniform.")),
    }
}

/// `one`, `quorum` or `owner` (also `primary`).
pub fn parse_consistency(s: &str) -> Result<ReadConsistency, InputError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "one" => Ok(ReadConsistency::One),
        "quorum" => Ok(ReadConsistency::Quorum),
        "owner" | "primary" => Ok(ReadConsistency::Owner),
        o => err(format!(
            "Read consistency {o:.20} is not one, quorum or owner."
        )),
    }
}

// ------------------------------------------------------------------ validation

impl SimConfig {
    /// Checks every setting; the first problem found is returned. Bounds of single
    /// settings come from `fields::FIELDS`; the checks here relate settings to each other
    /// or to the DC and table lists.
    pub fn validate(&self) -> Result<(), ConfigError> {
        use ConfigError as E;
        for f in &FIELDS {
            f.check(self)?;
        }
        let n = self.dcs.len();
        for (i, dc) in self.dcs.iter().enumerate() {
            if dc.name.trim().is_empty() || dc.name.chars().count() > MAX_NAME_LEN {
                return Err(E::DcName(i));
            }
            if dc.x > 1000 || dc.y > 500 {
                return Err(E::DcPosition(dc.name.clone()));
            }
            if self.dcs[..i].iter().any(|o| o.name == dc.name) {
                return Err(E::DuplicateDc(dc.name.clone()));
            }
        }
        if self.latency_ms.len() != n || self.latency_ms.iter().any(|r| r.len() != n) {
            return Err(E::LatencyShape(n));
        }
        for (i, row) in self.latency_ms.iter().enumerate() {
            for (j, &l) in row.iter().enumerate() {
                if i != j && (l == 0 || l > MAX_LATENCY_MS) {
                    return Err(E::Latency {
                        from: self.dcs[i].name.clone(),
                        to: self.dcs[j].name.clone(),
                        ms: l,
                    });
                }
            }
        }
        if self.replication_factor as usize > n {
            return Err(E::ReplicationFactor {
                r: self.replication_factor,
                dcs: n,
            });
        }
        if self.tables.is_empty() || self.tables.len() > MAX_TABLES {
            return Err(E::TableCount(self.tables.len()));
        }
        for (i, t) in self.tables.iter().enumerate() {
            if t.name.trim().is_empty() || t.name.chars().count() > MAX_NAME_LEN {
                return Err(E::TableName(i));
            }
            if self.tables[..i].iter().any(|o| o.name == t.name) {
                return Err(E::DuplicateTable(t.name.clone()));
            }
            if t.pk.is_empty() || t.pk.len() > 4 {
                return Err(E::PrimaryKey(t.name.clone()));
            }
            let mut all: Vec<&String> = t.pk.iter().chain(t.columns.iter()).collect();
            if all
                .iter()
                .any(|c| c.trim().is_empty() || c.chars().count() > MAX_NAME_LEN)
            {
                return Err(E::ColumnName(t.name.clone()));
            }
            let len = all.len();
            crate::sort::sort(&mut all);
            all.dedup();
            if all.len() != len {
                return Err(E::DuplicateColumn(t.name.clone()));
            }
            if let ReplicationMode::Quorum(w) = t.mode {
                if w == 0 || w > self.replication_factor {
                    return Err(E::WriteQuorum {
                        table: t.name.clone(),
                        index: i,
                        w,
                        r: self.replication_factor,
                    });
                }
            }
        }
        if self.compact_keep > 1_000_000 {
            return Err(E::OutOfRange {
                key: "compact_keep",
                text: "Compaction keeps 0 to 1000000 entries.".into(),
            });
        }
        if self.compact_every == 0 || self.compact_every > 1_000_000 {
            return Err(E::OutOfRange {
                key: "compact_every",
                text: "Compaction runs every 1 to 1000000 entries.".into(),
            });
        }
        let hb = self.heartbeat_interval_ms;
        if self.suspect_after_ms <= hb || self.dead_after_ms <= self.suspect_after_ms {
            return Err(E::Silences {
                heartbeat: hb,
                suspect: self.suspect_after_ms,
                dead: self.dead_after_ms,
            });
        }
        let w = &self.workload;
        // Checked: each is bounded above, but a sum of untrusted u32s must never wrap.
        let sum = w
            .read_pct
            .checked_add(w.write_pct)
            .and_then(|s| s.checked_add(w.txn_pct));
        if sum != Some(100) {
            return Err(E::Mix(w.read_pct, w.write_pct, w.txn_pct));
        }
        for d in &w.client_dcs {
            if d.0 as usize >= n {
                return Err(E::ClientDc(d.0));
            }
        }
        Ok(())
    }
}

impl ConfigError {
    /// The key of the field (`fields`) the problem is about, for showing it next to that
    /// input; `None` for problems of the config as a whole.
    pub fn field(&self) -> Option<String> {
        use ConfigError as E;
        Some(match self {
            E::OutOfRange { key, .. } => (*key).to_string(),
            E::ReplicationFactor { .. } => "replication_factor".into(),
            E::WriteQuorum { index, .. } => mode_key(*index),
            E::Silences { .. } => "suspect_after_ms".into(),
            E::Mix(..) => "txn_pct".into(),
            _ => return None,
        })
    }
}
