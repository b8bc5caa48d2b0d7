//! Parsing what people type or paste: URL parameters, form fields, scenario files.
//!
//! Invariants: every parser takes untrusted text, never panics, bounds the size of what it
//! accepts, and returns either a value that passed validation or an `InputError` whose
//! text says what to fix. Settings are parsed through `fields::FIELDS`, so the URL, the
//! settings form and `SimConfig::validate` share one set of bounds and parsers. Nothing
//! here touches a running simulation.

use super::commands::validate_op;
use super::config::{SimConfig, MAX_DCS, MAX_LATENCY_MS, MAX_NAME_LEN, MIN_DCS};
use super::fields::{self, err, FIELDS};
// The word parsers and their error belong to the settings schema; they stay reachable here.
use super::commands::UserCommand;
pub use super::fields::{
    parse_consistency, parse_distribution, parse_mode, parse_placement, parse_policy, InputError,
};
use super::ids::{DcId, TableId};
use super::node::Bugs;
use super::table::{Pk, Value, WriteKind, WriteOp};
use super::time::SimTime;
use super::vocab::ClientOp;
use serde::{Deserialize, Serialize};

pub const MAX_SCENARIO_BYTES: usize = 256 * 1024;
pub const MAX_SCENARIO_COMMANDS: usize = 2_000;
pub const MAX_FIELD_CHARS: usize = 512;

/// A command and the exact moment it was applied: the instant, and how many events the
/// simulation had processed by then (several events can share an instant; without the
/// count a command applied mid-instant, after single-stepping, would replay late).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledCommand {
    pub at: SimTime,
    /// Omit it in a hand-written scenario: the command then runs after every event of
    /// its instant. The rule (`Sim::run_until`): every event before `at` runs first;
    /// the count only orders the command among the events of the instant `at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_events: Option<u64>,
    pub cmd: UserCommand,
}

/// A run to replay: settings plus timed commands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub config: SimConfig,
    pub commands: Vec<ScheduledCommand>,
    /// Where a headless run ends (the runner's `run` stops here before reading the end
    /// state; absent: at the last command). Optional, so files without it (every file
    /// the page exported before it existed) still load; the page ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<SimTime>,
    /// Seeded protocol bugs (`Bugs`: broken variants, for teaching and for proving the
    /// checker sees them); absent: none, the correct protocol. Optional, so every file
    /// written before it existed still loads; a share link carrying it is link format 2
    /// (`link::LINK_VERSION`), which a page that predates it refuses by name
    /// instead of silently running the correct protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bugs: Option<Bugs>,
}

pub fn parse_scenario(text: &str) -> Result<Scenario, InputError> {
    if text.len() > MAX_SCENARIO_BYTES {
        return err(format!(
            "The scenario is {} KB; the limit is {} KB.",
            text.len() / 1024,
            MAX_SCENARIO_BYTES / 1024
        ));
    }
    let sc: Scenario =
        serde_json::from_str(text).map_err(|e| InputError(format!("Not a scenario file: {e}.")))?;
    sc.config
        .validate()
        .map_err(|e| InputError(e.to_string()))?;
    if sc.commands.len() > MAX_SCENARIO_COMMANDS {
        return err(format!(
            "A scenario holds at most {MAX_SCENARIO_COMMANDS} commands."
        ));
    }
    let mut last_at = SimTime::ZERO;
    let mut last_count: Option<(usize, u64)> = None;
    // DC ids a command may name: the initial ones, plus one per AddDc before it.
    let mut dc_ids = sc.config.dcs.len();
    for (i, c) in sc.commands.iter().enumerate() {
        let no = i + 1;
        if c.at < last_at {
            return err(format!(
                "Scenario commands must be in time order: command {no} is at {} ms, before the one above it ({} ms).",
                c.at.0, last_at.0
            ));
        }
        last_at = c.at;
        if let Some(n) = c.after_events {
            if let Some((j, m)) = last_count.filter(|&(_, m)| n < m) {
                return err(format!(
                    "Scenario commands must be in event order: command {no} comes after {n} events, command {j} after {m}."
                ));
            }
            last_count = Some((no, n));
        }
        if c.at.0 > MAX_SCENARIO_MS {
            return err("Scenario commands must fall within the first 24 hours.");
        }
        validate_command(&sc.config, dc_ids, &c.cmd)
            .map_err(|e| InputError(format!("Command {no} ({}): {e}", command_name(&c.cmd))))?;
        if matches!(c.cmd, UserCommand::AddDc(_)) {
            dc_ids += 1;
        }
    }
    if sc.until.is_some_and(|u| u.0 > MAX_SCENARIO_MS) {
        return err("A scenario must end within the first 24 hours.");
    }
    Ok(sc)
}

/// The latest instant a scenario may name (24 hours).
pub const MAX_SCENARIO_MS: u64 = 24 * 3600 * 1000;

fn command_name(c: &UserCommand) -> &'static str {
    match c {
        UserCommand::Kill(_) => "Kill",
        UserCommand::Revive(_) => "Revive",
        UserCommand::CutLink { .. } => "CutLink",
        UserCommand::HealLink { .. } => "HealLink",
        UserCommand::Partition(_) => "Partition",
        UserCommand::HealAll => "HealAll",
        UserCommand::SetLatency { .. } => "SetLatency",
        UserCommand::AddDc(_) => "AddDc",
        UserCommand::RemoveDc(_) => "RemoveDc",
        UserCommand::Configure(_) => "Configure",
        UserCommand::Issue { .. } => "Issue",
    }
}

/// Checks one imported command on its own, before anything runs: DC ids that can exist
/// (`dc_ids` of them so far: ids are never reused), latencies and positions in bounds,
/// settings that pass every rule that does not depend on the live DC list (the DC list
/// and latencies are not changed by `Configure`), operations that fit the schema
/// (ranges with start ≤ end). What depends on the run (a DC being up, say) is checked
/// when the command is applied, and a refusal there changes nothing.
fn validate_command(cfg: &SimConfig, dc_ids: usize, cmd: &UserCommand) -> Result<(), String> {
    let dc = |d: DcId| {
        if (d.0 as usize) < dc_ids {
            Ok(())
        } else {
            Err(format!(
                "there is no datacenter {d} at this point (ids 0 to {})",
                dc_ids.saturating_sub(1)
            ))
        }
    };
    let pair = |a: DcId, b: DcId| {
        dc(a)?;
        dc(b)?;
        if a == b {
            return Err("a link joins two different datacenters".to_string());
        }
        Ok(())
    };
    match cmd {
        UserCommand::Kill(d) | UserCommand::Revive(d) | UserCommand::RemoveDc(d) => dc(*d),
        UserCommand::CutLink { from, to } | UserCommand::HealLink { from, to } => pair(*from, *to),
        UserCommand::SetLatency { from, to, ms } => {
            pair(*from, *to)?;
            if *ms == 0 || *ms > MAX_LATENCY_MS {
                return Err(format!("latency {ms} ms is not 1 to {MAX_LATENCY_MS} ms"));
            }
            Ok(())
        }
        UserCommand::Partition(group) => {
            if group.len() > MAX_DCS {
                return Err(format!("a partition names at most {MAX_DCS} datacenters"));
            }
            group.iter().try_for_each(|&d| dc(d))
        }
        UserCommand::HealAll => Ok(()),
        UserCommand::AddDc(spec) => {
            if spec.name.trim().is_empty() || spec.name.chars().count() > MAX_NAME_LEN {
                return Err(format!(
                    "a datacenter needs a name of 1 to {MAX_NAME_LEN} characters"
                ));
            }
            if spec.x > 1000 || spec.y > 500 {
                return Err("a datacenter's position is within 1000 × 500".to_string());
            }
            Ok(())
        }
        UserCommand::Configure(new) => {
            // Validate on a DC list that fits: Configure keeps the live one.
            let mut probe = (**new).clone();
            let n = probe
                .dcs
                .len()
                .max(usize::from(probe.replication_factor))
                .clamp(MIN_DCS, MAX_DCS);
            let fresh = SimConfig::with_dcs(n);
            probe.dcs = fresh.dcs;
            probe.latency_ms = fresh.latency_ms;
            probe.workload.client_dcs.clear();
            probe.validate().map_err(|e| e.to_string())
        }
        UserCommand::Issue { home, op } => {
            dc(*home)?;
            validate_op(cfg, op)
        }
    }
}

pub fn scenario_json(sc: &Scenario) -> String {
    pretty(&serde_json::to_string(sc).unwrap_or_default())
}

/// `serde_json::to_string_pretty`'s layout (two-space indent, `": "`, empty `[]` / `{}`)
/// of compact JSON text. Share links serialize scenarios compactly anyway, so laying that
/// text out keeps one serializer per scenario type in the page's wasm instead of a second
/// (pretty) one, about 8 KB (issue 8). The test `pretty_matches_serde_json` holds it to
/// serde_json's own output.
fn pretty(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let (mut in_str, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '[' | '{' => {
                out.push(c);
                if matches!(chars.peek(), Some(']' | '}')) {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            ']' | '}' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// Reads `?seed=7&dcs=6&placement=ring&r=3&mode=sync&rate=50&policy=nearest&read=quorum`:
/// each parameter is a field of `fields::FIELDS` (its `param`), parsed and bounded there.
/// `dcs` is applied first wherever it stands, since it rebuilds the DC list the other
/// parameters apply to. Unknown parameters are an error too, so a typo is never silently
/// ignored. Strict: any refused parameter is an error naming every one refused; the page
/// uses `settings_from_query`, which keeps the valid ones.
pub fn config_from_query(query: &str) -> Result<SimConfig, InputError> {
    let q = settings_from_query(query);
    if q.problems.is_empty() {
        Ok(q.cfg)
    } else {
        Err(InputError(q.problems.join(" ")))
    }
}

/// What a page makes of its URL parameters: every valid one applied, and one message per
/// parameter it refused, all at once (a shared link with one typo keeps the rest).
#[derive(Clone, Debug)]
pub struct QuerySettings {
    /// The settings: the defaults changed by every valid parameter, or the defaults alone
    /// when the valid ones together break a rule across fields (`defaults_only`).
    pub cfg: SimConfig,
    /// What was refused and why, one sentence each, in the order the URL has them.
    pub problems: Vec<String>,
    /// The valid parameters together were invalid, so none was applied.
    pub defaults_only: bool,
}

/// Settings from URL parameters, keeping every valid one (see `QuerySettings`). `dcs` is
/// applied first, whatever its position, so the latency matrix and tables fit it.
pub fn settings_from_query(query: &str) -> QuerySettings {
    settings_from_query_with(query, &[])
}

/// As `settings_from_query`, for a page that reads some parameters of its own (`page`:
/// e.g. `embed`, `tab`, `speed`): those are neither settings nor unknown — they are
/// skipped here (the page parses them) and named among the known ones in the message
/// about an unknown parameter.
pub fn settings_from_query_with(query: &str, page: &[&str]) -> QuerySettings {
    let defaults = |problem: String| QuerySettings {
        cfg: SimConfig::default(),
        problems: vec![problem],
        defaults_only: true,
    };
    let q = query.trim_start_matches('?');
    if q.len() > 2048 {
        return defaults("The URL parameters are too long.".into());
    }
    let mut pairs: Vec<(&str, &str)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|part| part.split_once('=').unwrap_or((part, "")))
        .collect();
    // A stable sort: the order of the other parameters stays.
    crate::sort::sort_by_key(&mut pairs, |(k, _)| *k != "dcs");
    let mut cfg = SimConfig::default();
    let mut problems = Vec::new();
    let mut unknown = Vec::new();
    for (k, v) in pairs {
        if page.contains(&k) {
            continue;
        }
        let Some(f) = fields::by_param(k) else {
            unknown.push(format!("{k:.40}"));
            continue;
        };
        // A refused value leaves the setting as it was (`apply` writes only on success).
        if let Err(e) = f.apply(&mut cfg, v) {
            problems.push(f.url_message(&e, v));
        }
    }
    if !unknown.is_empty() {
        let known: Vec<&str> = FIELDS
            .iter()
            .filter_map(|f| f.param)
            .chain(page.iter().copied())
            .collect();
        let s = if unknown.len() == 1 { "" } else { "s" };
        problems.push(format!(
            "Unknown URL parameter{s} {}. Known: {}.",
            unknown.join(", "),
            known.join(", ")
        ));
    }
    match cfg.validate() {
        Ok(()) => QuerySettings {
            cfg,
            problems,
            defaults_only: false,
        },
        Err(e) => {
            problems.push(e.to_string());
            QuerySettings {
                cfg: SimConfig::default(),
                problems,
                defaults_only: true,
            }
        }
    }
}

/// A value typed in a form: an integer if it parses as one, otherwise a string (quotes
/// optional).
pub fn parse_value(s: &str) -> Value {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Value::Int(i);
    }
    Value::Str(t.trim_matches('"').into())
}

fn bounded(field: &str, s: &str) -> Result<(), InputError> {
    if s.chars().count() > MAX_FIELD_CHARS {
        return err(format!(
            "{field} is longer than {MAX_FIELD_CHARS} characters."
        ));
    }
    Ok(())
}

/// A primary key typed as `k1` or `o7/2` (one value per PK column, `/`-separated).
pub fn parse_pk(cfg: &SimConfig, table: TableId, s: &str) -> Result<Pk, InputError> {
    bounded("The key", s)?;
    let spec = cfg
        .tables
        .get(table.0 as usize)
        .ok_or_else(|| InputError("Pick a table.".into()))?;
    if s.trim().is_empty() {
        return err(format!(
            "Type a key for {} ({}).",
            spec.name,
            spec.pk.join("/")
        ));
    }
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() != spec.pk.len() {
        return err(format!(
            "Table {} has {} key column(s) ({}): type them separated by '/'.",
            spec.name,
            spec.pk.len(),
            spec.pk.join("/")
        ));
    }
    let mut pk: Pk = parts.iter().map(|p| parse_value(p)).collect();
    // The partition key is text in the workload (`k12`); keep what was typed as text.
    if let Some(Value::Int(i)) = pk.first() {
        pk[0] = Value::Str(i.to_string().into());
    }
    if pk
        .iter()
        .any(|v| matches!(v, Value::Str(s) if s.is_empty()))
    {
        return err("Key parts may not be empty.");
    }
    Ok(pk)
}

/// Columns typed as `name=alice, balance=10`.
pub fn parse_columns(
    cfg: &SimConfig,
    table: TableId,
    s: &str,
) -> Result<Vec<(crate::table::Text, Value)>, InputError> {
    bounded("The columns", s)?;
    let spec = cfg
        .tables
        .get(table.0 as usize)
        .ok_or_else(|| InputError("Pick a table.".into()))?;
    let mut out: Vec<(crate::table::Text, Value)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (c, v) = part.split_once('=').ok_or_else(|| {
            InputError(format!(
                "Write columns as name=value; {part:.40} has no '='."
            ))
        })?;
        let c = c.trim();
        if !spec.columns.iter().any(|x| x == c) {
            return err(format!(
                "Table {} has no column {c:.40} (columns: {}).",
                spec.name,
                spec.columns.join(", ")
            ));
        }
        if out.iter().any(|(x, _)| &**x == c) {
            return err(format!("Column {c} is given twice."));
        }
        out.push((c.into(), parse_value(v)));
    }
    Ok(out)
}

/// The operation chosen in the manual form.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FormOp {
    Get,
    Put,
    Delete,
    /// A transaction: `key; key; …` with the same columns for each row.
    Txn,
}

pub fn parse_form(
    cfg: &SimConfig,
    op: FormOp,
    table: TableId,
    key: &str,
    columns: &str,
) -> Result<ClientOp, InputError> {
    Ok(match op {
        FormOp::Get => ClientOp::Get {
            table,
            pk: parse_pk(cfg, table, key)?,
        },
        FormOp::Put => {
            let cols = parse_columns(cfg, table, columns)?;
            if cols.is_empty() {
                return err("PutRow needs at least one column, e.g. name=alice.");
            }
            ClientOp::Write(WriteOp {
                table,
                pk: parse_pk(cfg, table, key)?,
                kind: WriteKind::Put(cols),
            })
        }
        FormOp::Delete => ClientOp::Write(WriteOp {
            table,
            pk: parse_pk(cfg, table, key)?,
            kind: WriteKind::Delete,
        }),
        FormOp::Txn => {
            let cols = parse_columns(cfg, table, columns)?;
            if cols.is_empty() {
                return err("A transaction needs columns to write, e.g. balance=5.");
            }
            let keys: Vec<&str> = key
                .split(';')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .collect();
            if keys.len() < 2 || keys.len() > 16 {
                return err("A transaction writes 2 to 16 rows: type keys separated by ';', e.g. k1; k2; k3.");
            }
            let mut writes = Vec::new();
            for k in keys {
                let pk = parse_pk(cfg, table, k)?;
                if writes.iter().any(|w: &WriteOp| w.pk == pk) {
                    return err(format!("Key {k} appears twice."));
                }
                writes.push(WriteOp {
                    table,
                    pk,
                    kind: WriteKind::Put(cols.clone()),
                });
            }
            ClientOp::Txn(writes)
        }
    })
}

/// A DC named in a form or a URL: by name or by number.
pub fn parse_dc(names: &[(DcId, String)], s: &str) -> Result<DcId, InputError> {
    let t = s.trim();
    if let Some((id, _)) = names.iter().find(|(_, n)| n == t) {
        return Ok(*id);
    }
    if let Ok(i) = t.trim_start_matches("DC").parse::<u16>() {
        if names.iter().any(|(id, _)| id.0 == i) {
            return Ok(DcId(i));
        }
    }
    err(format!("No datacenter called {t:.40}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout on its own; `scenario_json` against serde_json's pretty printer, over
    /// every lesson's scenario, is the test `scenario_json_is_serde_json_pretty`
    /// (tests/lessons.rs).
    #[test]
    fn pretty_lays_out_compact_json() {
        assert_eq!(pretty("[]"), "[]");
        assert_eq!(
            pretty(r#"{"a":[1,{}],"b":{"c":"x,y","d":"\\\"]"}}"#),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {\n    \"c\": \"x,y\",\n    \"d\": \"\\\\\\\"]\"\n  }\n}"
        );
    }
}
