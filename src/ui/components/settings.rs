//! Settings: every field `UserCommand::Configure` accepts, the latency matrix and link
//! cuts, partitions, a new run (seed, DC count) and scenario export / import.
//!
//! Invariants: the form edits a draft; nothing reaches the simulation until "Apply", and
//! then only a config that parsed and passed `SimConfig::validate` (the core re-checks).
//! Each problem is shown next to the field it concerns; the running sim is kept. While the
//! draft is untouched it follows the live config.

use crate::sim::parse_mode;
use crate::sim::{DcId, UserCommand};
use crate::sim::{
    KeyDistribution, PlacementKind, ReadConsistency, ReadPolicy, ReplicationMode, SimConfig,
    MAX_DCS, MIN_DCS,
};
use crate::ui::app::{Cbs, Note, Origin, Topo};
use crate::ui::components::{input_checked, input_value, note_view};
use crate::ui::fmt;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::prelude::*;

/// A numeric setting: its key (testids, errors), label, unit, getter and checked setter.
struct NumField {
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    get: fn(&SimConfig) -> u64,
    set: fn(&mut SimConfig, u64) -> Result<(), String>,
}

fn small<T: TryFrom<u64>>(v: u64) -> Result<T, String> {
    T::try_from(v).map_err(|_| "That number is far too large.".to_string())
}

const FIELDS: &[NumField] = &[
    NumField {
        key: "replication_factor",
        label: "Replication factor R",
        unit: "copies",
        get: |c| c.replication_factor as u64,
        set: |c, v| {
            c.replication_factor = small(v)?;
            Ok(())
        },
    },
    NumField {
        key: "vnodes",
        label: "Virtual nodes per DC",
        unit: "",
        get: |c| c.vnodes as u64,
        set: |c, v| {
            c.vnodes = small(v)?;
            Ok(())
        },
    },
    NumField {
        key: "heartbeat_interval_ms",
        label: "Heartbeat interval",
        unit: "ms",
        get: |c| c.heartbeat_interval_ms,
        set: |c, v| {
            c.heartbeat_interval_ms = v;
            Ok(())
        },
    },
    NumField {
        key: "suspect_after_ms",
        label: "Suspect after silence",
        unit: "ms",
        get: |c| c.suspect_after_ms,
        set: |c, v| {
            c.suspect_after_ms = v;
            Ok(())
        },
    },
    NumField {
        key: "dead_after_ms",
        label: "Dead after silence",
        unit: "ms",
        get: |c| c.dead_after_ms,
        set: |c, v| {
            c.dead_after_ms = v;
            Ok(())
        },
    },
    NumField {
        key: "replication_interval_ms",
        label: "Replication interval (async)",
        unit: "ms",
        get: |c| c.replication_interval_ms,
        set: |c, v| {
            c.replication_interval_ms = v;
            Ok(())
        },
    },
    NumField {
        key: "replication_batch",
        label: "Replication batch",
        unit: "entries",
        get: |c| c.replication_batch as u64,
        set: |c, v| {
            c.replication_batch = small(v)?;
            Ok(())
        },
    },
    NumField {
        key: "txn_timeout_ms",
        label: "Transaction timeout",
        unit: "ms",
        get: |c| c.txn_timeout_ms,
        set: |c, v| {
            c.txn_timeout_ms = v;
            Ok(())
        },
    },
    NumField {
        key: "request_timeout_ms",
        label: "Request timeout",
        unit: "ms",
        get: |c| c.request_timeout_ms,
        set: |c, v| {
            c.request_timeout_ms = v;
            Ok(())
        },
    },
    NumField {
        key: "ops_per_sec",
        label: "Workload rate",
        unit: "ops/s",
        get: |c| c.workload.ops_per_sec as u64,
        set: |c, v| {
            c.workload.ops_per_sec = small(v)?;
            Ok(())
        },
    },
    NumField {
        key: "read_pct",
        label: "Reads",
        unit: "%",
        get: |c| c.workload.read_pct as u64,
        set: |c, v| {
            c.workload.read_pct = small(v)?;
            Ok(())
        },
    },
    NumField {
        key: "write_pct",
        label: "Writes",
        unit: "%",
        get: |c| c.workload.write_pct as u64,
        set: |c, v| {
            c.workload.write_pct = small(v)?;
            Ok(())
        },
    },
    NumField {
        key: "txn_pct",
        label: "Transactions",
        unit: "%",
        get: |c| c.workload.txn_pct as u64,
        set: |c, v| {
            c.workload.txn_pct = small(v)?;
            Ok(())
        },
    },
    NumField {
        key: "keys",
        label: "Keys",
        unit: "k0…",
        get: |c| c.workload.keys as u64,
        set: |c, v| {
            c.workload.keys = small(v)?;
            Ok(())
        },
    },
    NumField {
        key: "loss_permille",
        label: "Message loss",
        unit: "‰",
        get: |c| c.loss_permille as u64,
        set: |c, v| {
            c.loss_permille = small(v)?;
            Ok(())
        },
    },
    NumField {
        key: "jitter_ms",
        label: "Latency jitter",
        unit: "ms",
        get: |c| c.jitter_ms as u64,
        set: |c, v| {
            c.jitter_ms = small(v)?;
            Ok(())
        },
    },
];

/// Groups of fields, in display order.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "Placement & replication",
        &[
            "replication_factor",
            "vnodes",
            "replication_interval_ms",
            "replication_batch",
        ],
    ),
    (
        "Failure detection",
        &["heartbeat_interval_ms", "suspect_after_ms", "dead_after_ms"],
    ),
    ("Timeouts", &["txn_timeout_ms", "request_timeout_ms"]),
    ("Reads", &[]),
    (
        "Workload",
        &["ops_per_sec", "read_pct", "write_pct", "txn_pct", "keys"],
    ),
    ("Network", &["loss_permille", "jitter_ms"]),
];

fn mode_text(m: ReplicationMode) -> String {
    match m {
        ReplicationMode::Async => "async".into(),
        ReplicationMode::SemiSync => "semisync".into(),
        ReplicationMode::Sync => "sync".into(),
        ReplicationMode::Quorum(w) => format!("quorum{w}"),
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub config: Rc<SimConfig>,
    pub topo: Rc<Topo>,
    pub cbs: Cbs,
    pub settings_note: Note,
    pub latency_note: Note,
    pub network_note: Note,
    pub new_run_note: Note,
    pub scenario_note: Note,
    pub export: Option<AttrValue>,
}

pub enum Msg {
    Num(usize, String),
    Mode(usize, String),
    Placement(String),
    Policy(String),
    Consistency(String),
    Distribution(String),
    Failover(bool),
    Apply,
    Reset,
    Latency(DcId, DcId, String),
    PartitionPick(DcId, bool),
    Partition,
    NewSeed(String),
    NewDcs(String),
    NewRun,
    ScenarioText(String),
    Import,
}

pub struct SettingsPanel {
    draft: SimConfig,
    texts: Vec<String>,
    modes: Vec<String>,
    errors: BTreeMap<String, String>,
    general: Option<String>,
    dirty: bool,
    latency_error: Option<String>,
    group: BTreeSet<DcId>,
    new_seed: String,
    new_dcs: String,
    new_error: Option<String>,
    scenario: String,
}

impl SettingsPanel {
    fn load(&mut self, cfg: &SimConfig) {
        self.draft = cfg.clone();
        self.texts = FIELDS.iter().map(|f| (f.get)(cfg).to_string()).collect();
        self.modes = cfg.tables.iter().map(|t| mode_text(t.mode)).collect();
        self.errors.clear();
        self.general = None;
        self.dirty = false;
    }

    /// Parses the draft into a config, or records per-field errors.
    fn build(&mut self, base: &SimConfig) -> Option<SimConfig> {
        self.errors.clear();
        self.general = None;
        let mut c = self.draft.clone();
        // Only the fields this form edits come from the draft; the rest is live.
        c.dcs = base.dcs.clone();
        c.latency_ms = base.latency_ms.clone();
        c.seed = base.seed;
        c.workload.client_dcs = base.workload.client_dcs.clone();
        for (f, text) in FIELDS.iter().zip(&self.texts) {
            match text.trim().parse::<u64>() {
                Ok(v) => {
                    if let Err(e) = (f.set)(&mut c, v) {
                        self.errors.insert(f.key.into(), e);
                    }
                }
                Err(_) => {
                    self.errors.insert(
                        f.key.into(),
                        format!(
                            "{}: type a whole number ({:.20} is not one).",
                            f.label, text
                        ),
                    );
                }
            }
        }
        for (i, text) in self.modes.iter().enumerate() {
            match parse_mode(text) {
                Ok(m) => {
                    if let Some(t) = c.tables.get_mut(i) {
                        t.mode = m;
                    }
                }
                Err(e) => {
                    self.errors.insert(format!("mode-{i}"), e.to_string());
                }
            }
        }
        if !self.errors.is_empty() {
            return None;
        }
        // Same check as `Configure`: client DCs are ids, validated by the core separately.
        let mut probe = c.clone();
        probe.workload.client_dcs.clear();
        if let Err(e) = probe.validate() {
            match e.field() {
                Some(k) => {
                    self.errors.insert(k, e.to_string());
                }
                None => self.general = Some(e.to_string()),
            }
            return None;
        }
        Some(c)
    }

    fn num_input(&self, ctx: &Context<Self>, key: &str) -> Html {
        let Some(i) = FIELDS.iter().position(|f| f.key == key) else {
            return html! {};
        };
        let f = &FIELDS[i];
        let err = self.errors.get(f.key);
        let id = format!("field-{}", f.key);
        html! {
            <div key={f.key} class="field">
                <label for={id.clone()}>{ f.label }</label>
                <span class="input-unit">
                    <input id={id.clone()} type="text" inputmode="numeric" data-testid={id} value={self.texts[i].clone()}
                        aria-invalid={err.is_some().to_string()} oninput={ctx.link().callback(move |e: InputEvent| Msg::Num(i, input_value(&e)))} />
                    <span class="unit">{ f.unit }</span>
                </span>
                if let Some(e) = err { <p class="note err" data-testid={format!("field-error-{}", f.key)}>{ e.clone() }</p> }
            </div>
        }
    }

    fn select(
        &self,
        ctx: &Context<Self>,
        key: &'static str,
        label: &'static str,
        options: &[(&'static str, &'static str)],
        current: &str,
        msg: fn(String) -> Msg,
    ) -> Html {
        let opts = options.iter().map(
            |(v, l)| html! { <option key={*v} value={*v} selected={*v == current}>{ *l }</option> },
        );
        let id = format!("field-{key}");
        html! {
            <div key={key} class="field">
                <label for={id.clone()}>{ label }</label>
                <select id={id.clone()} data-testid={id} onchange={ctx.link().callback(move |e: Event| msg(input_value(&e)))}>{ for opts }</select>
            </div>
        }
    }
}

impl Component for SettingsPanel {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let cfg = &ctx.props().config;
        let mut s = SettingsPanel {
            draft: (**cfg).clone(),
            texts: vec![],
            modes: vec![],
            errors: BTreeMap::new(),
            general: None,
            dirty: false,
            latency_error: None,
            group: BTreeSet::new(),
            new_seed: cfg.seed.to_string(),
            new_dcs: cfg.dcs.len().to_string(),
            new_error: None,
            scenario: ctx
                .props()
                .export
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_default(),
        };
        s.load(cfg);
        s
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &Props) -> bool {
        let p = ctx.props();
        if !Rc::ptr_eq(&p.config, &old.config) && !self.dirty {
            self.load(&p.config);
        }
        if p.export != old.export {
            if let Some(t) = &p.export {
                self.scenario = t.to_string();
            }
        }
        true
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let p = ctx.props();
        match msg {
            Msg::Num(i, v) => {
                if let Some(t) = self.texts.get_mut(i) {
                    *t = v;
                }
                self.dirty = true;
            }
            Msg::Mode(i, v) => {
                if let Some(t) = self.modes.get_mut(i) {
                    *t = v;
                }
                self.dirty = true;
            }
            Msg::Placement(v) => {
                self.draft.placement = if v == "ring" {
                    PlacementKind::Ring
                } else {
                    PlacementKind::Modulo
                };
                self.dirty = true;
            }
            Msg::Policy(v) => {
                self.draft.read_policy = match v.as_str() {
                    "roundrobin" => ReadPolicy::RoundRobin,
                    "leastloaded" => ReadPolicy::LeastLoaded,
                    "nearest" => ReadPolicy::Nearest,
                    _ => ReadPolicy::Hash,
                };
                self.dirty = true;
            }
            Msg::Consistency(v) => {
                self.draft.read_consistency = match v.as_str() {
                    "quorum" => ReadConsistency::Quorum,
                    "owner" => ReadConsistency::Owner,
                    _ => ReadConsistency::One,
                };
                self.dirty = true;
            }
            Msg::Distribution(v) => {
                self.draft.workload.distribution = if v == "zipf" {
                    KeyDistribution::Zipf
                } else {
                    KeyDistribution::Uniform
                };
                self.dirty = true;
            }
            Msg::Failover(b) => {
                self.draft.failover = b;
                self.dirty = true;
            }
            Msg::Apply => {
                if let Some(c) = self.build(&p.config) {
                    // The draft now equals what is sent: follow the live config again.
                    self.dirty = false;
                    p.cbs
                        .cmd
                        .emit((UserCommand::Configure(Box::new(c)), Origin::Settings));
                } else {
                    p.cbs.note.emit((Origin::Settings, None));
                }
            }
            Msg::Reset => {
                let cfg = p.config.clone();
                self.load(&cfg);
                p.cbs.note.emit((Origin::Settings, None));
            }
            Msg::Latency(a, b, v) => match v.trim().parse::<u32>() {
                Ok(ms) => {
                    self.latency_error = None;
                    p.cbs.cmd.emit((
                        UserCommand::SetLatency { from: a, to: b, ms },
                        Origin::Latency,
                    ));
                }
                Err(_) => {
                    self.latency_error = Some(format!(
                        "Latency {} → {}: type a whole number of milliseconds ({:.20} is not one).",
                        fmt::dc_name(&p.topo.names, a),
                        fmt::dc_name(&p.topo.names, b),
                        v
                    ));
                    p.cbs.note.emit((Origin::Latency, None));
                }
            },
            Msg::PartitionPick(d, on) => {
                if on {
                    self.group.insert(d);
                } else {
                    self.group.remove(&d);
                }
            }
            Msg::Partition => {
                let group: Vec<DcId> = self
                    .group
                    .iter()
                    .copied()
                    .filter(|d| p.topo.names.iter().any(|n| n.0 == *d))
                    .collect();
                if group.is_empty() || group.len() == p.topo.names.len() {
                    p.cbs.note.emit((
                        Origin::Network,
                        Some(Err(
                            "Tick some (not all) DCs to cut them off from the rest.".into(),
                        )),
                    ));
                } else {
                    p.cbs
                        .cmd
                        .emit((UserCommand::Partition(group), Origin::Network));
                }
            }
            Msg::NewSeed(v) => self.new_seed = v,
            Msg::NewDcs(v) => self.new_dcs = v,
            Msg::NewRun => {
                self.new_error = None;
                let seed = self.new_seed.trim().parse::<u64>();
                let n = self.new_dcs.trim().parse::<usize>();
                match (seed, n) {
                    (Err(_), _) => {
                        self.new_error = Some(format!(
                            "Seed: type a whole number from 0 to {} ({:.20} is not one).",
                            u64::MAX,
                            self.new_seed
                        ))
                    }
                    (_, Err(_)) => {
                        self.new_error = Some(format!(
                            "Datacenters: type a number from {MIN_DCS} to {MAX_DCS}."
                        ))
                    }
                    (_, Ok(n)) if !(MIN_DCS..=MAX_DCS).contains(&n) => {
                        self.new_error = Some(format!(
                            "Datacenters: a run needs {MIN_DCS} to {MAX_DCS}; got {n}."
                        ))
                    }
                    (Ok(seed), Ok(n)) => {
                        // Same settings as now, on n fresh DCs with default latencies.
                        let live = &p.config;
                        let mut c = SimConfig::with_dcs(n);
                        let keep = SimConfig {
                            dcs: c.dcs.clone(),
                            latency_ms: c.latency_ms.clone(),
                            ..(**live).clone()
                        };
                        c = keep;
                        c.seed = seed;
                        c.replication_factor = c.replication_factor.min(n as u8);
                        c.workload.client_dcs.clear();
                        for t in &mut c.tables {
                            if let ReplicationMode::Quorum(w) = t.mode {
                                t.mode = ReplicationMode::Quorum(w.min(c.replication_factor));
                            }
                        }
                        match c.validate() {
                            Ok(()) => p.cbs.new_run.emit(c),
                            Err(e) => self.new_error = Some(e.to_string()),
                        }
                    }
                }
            }
            Msg::ScenarioText(t) => self.scenario = t,
            Msg::Import => p.cbs.import.emit(self.scenario.clone()),
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let p = ctx.props();
        let link = ctx.link();
        let d = &self.draft;
        let groups = GROUPS.iter().map(|(title, keys)| {
            let extra = match *title {
                "Placement & replication" => {
                    let modes = p.config.tables.iter().enumerate().map(|(i, t)| {
                        let key = format!("mode-{i}");
                        let err = self.errors.get(&key);
                        html! {
                            <div key={key.clone()} class="field">
                                <label for={format!("field-{key}")}>{ format!("Replication of {}", t.name) }</label>
                                <input id={format!("field-{key}")} type="text" data-testid={format!("field-{key}")} value={self.modes.get(i).cloned().unwrap_or_default()}
                                    aria-invalid={err.is_some().to_string()} placeholder="async | semisync | sync | quorumN"
                                    oninput={link.callback(move |e: InputEvent| Msg::Mode(i, input_value(&e)))} />
                                if let Some(e) = err { <p class="note err" data-testid={format!("field-error-{key}")}>{ e.clone() }</p> }
                            </div>
                        }
                    });
                    html! {
                        <>
                            { self.select(ctx, "placement", "Placement", &[("modulo", "Modulo (SHA-1 mod N)"), ("ring", "Ring (consistent hashing)")],
                                if d.placement == PlacementKind::Ring { "ring" } else { "modulo" }, Msg::Placement) }
                            { for modes }
                        </>
                    }
                }
                "Failure detection" => html! {
                    <div class="field check">
                        <label><input type="checkbox" data-testid="field-failover" checked={d.failover}
                            onchange={link.callback(|e: Event| Msg::Failover(input_checked(&e)))} />{ " Fail over when a majority sees an owner dead" }</label>
                    </div>
                },
                "Reads" => {
                    let policy = match d.read_policy {
                        ReadPolicy::Hash => "hash",
                        ReadPolicy::RoundRobin => "roundrobin",
                        ReadPolicy::LeastLoaded => "leastloaded",
                        ReadPolicy::Nearest => "nearest",
                    };
                    let cons = match d.read_consistency {
                        ReadConsistency::One => "one",
                        ReadConsistency::Quorum => "quorum",
                        ReadConsistency::Owner => "owner",
                    };
                    html! {
                        <>
                            { self.select(ctx, "read_policy", "Read load balancing", &[("hash", "Hash (the seed's)"), ("roundrobin", "Round robin"), ("leastloaded", "Least loaded"), ("nearest", "Nearest")], policy, Msg::Policy) }
                            { self.select(ctx, "read_consistency", "Read consistency", &[("one", "One (may be stale)"), ("quorum", "Quorum"), ("owner", "Owner only")], cons, Msg::Consistency) }
                        </>
                    }
                }
                "Workload" => self.select(ctx, "distribution", "Key distribution", &[("zipf", "Zipf (hot keys)"), ("uniform", "Uniform")],
                    if d.workload.distribution == KeyDistribution::Zipf { "zipf" } else { "uniform" }, Msg::Distribution),
                _ => html! {},
            };
            html! {
                <fieldset key={*title} class="group">
                    <legend>{ *title }</legend>
                    { for keys.iter().map(|k| self.num_input(ctx, k)) }
                    { extra }
                </fieldset>
            }
        });

        // Latency matrix with per-direction cut toggles.
        let names = &p.topo.names;
        let head = names.iter().map(|(id, n)| html! { <th key={id.0} title={n.clone()}><span class={classes!("swatch", fmt::dc_bg(*id))} />{ id.0 }</th> });
        let rows = names.iter().map(|(a, an)| {
            let a = *a;
            let cells = names.iter().map(|(b, _)| {
                let b = *b;
                if a == b {
                    return html! { <td key={b.0} class="self">{ "—" }</td> };
                }
                let l = p.topo.links.iter().find(|l| l.from == a && l.to == b);
                let ms = l.map(|l| l.latency_ms).unwrap_or(0);
                let cut = l.is_some_and(|l| l.cut);
                let toggle = p.cbs.toggle_link.clone();
                html! {
                    <td key={b.0} class={classes!(cut.then_some("cut"))}>
                        <input type="text" inputmode="numeric" class="lat" data-testid={format!("latency-{}-{}", a.0, b.0)} value={ms.to_string()}
                            aria-label={format!("latency {} → {} ms", an, fmt::dc_name(names, b))}
                            onchange={link.callback(move |e: Event| Msg::Latency(a, b, input_value(&e)))} />
                        <button class={classes!("cut-btn", cut.then_some("on"))} data-testid={format!("cut-{}-{}", a.0, b.0)}
                            title={if cut { "heal this direction" } else { "cut this direction" }} aria-pressed={cut.to_string()}
                            onclick={Callback::from(move |_: MouseEvent| toggle.emit((a, b)))}>{ "✂" }</button>
                    </td>
                }
            });
            html! { <tr key={a.0}><th>{ an.clone() }</th>{ for cells }</tr> }
        });
        let picks = names.iter().map(|(id, n)| {
            let id = *id;
            html! {
                <label key={id.0} class="chip">
                    <input type="checkbox" data-testid={format!("partition-dc-{}", id.0)} checked={self.group.contains(&id)}
                        onchange={link.callback(move |e: Event| Msg::PartitionPick(id, input_checked(&e)))} />
                    <span class={classes!("swatch", fmt::dc_bg(id))} />{ n.clone() }
                </label>
            }
        });
        let heal_all = {
            let cmd = p.cbs.cmd.clone();
            Callback::from(move |_: MouseEvent| cmd.emit((UserCommand::HealAll, Origin::Network)))
        };
        let export = {
            let cb = p.cbs.export.clone();
            Callback::from(move |_: MouseEvent| cb.emit(()))
        };

        html! {
            <div class="settings-panel">
                <section class="settings-form">
                    <div class="row">
                        <h2>{ "Settings" }</h2>
                        <button class="primary" data-testid="settings-apply" onclick={link.callback(|_| Msg::Apply)}>{ "Apply" }</button>
                        <button data-testid="settings-reset" onclick={link.callback(|_| Msg::Reset)} disabled={!self.dirty}>{ "Discard changes" }</button>
                        if self.dirty { <span class="muted">{ "edited — not applied yet" }</span> }
                    </div>
                    if let Some(g) = &self.general { <p class="note err" data-testid="settings-error">{ g.clone() }</p> }
                    if !self.errors.is_empty() { <p class="note err" data-testid="settings-error">{ "Nothing was applied: fix the fields marked in red." }</p> }
                    { note_view(&p.settings_note, "settings-error") }
                    <div class="groups">{ for groups }</div>
                </section>

                <section class="network">
                    <h2>{ "Network" }</h2>
                    <p class="caption">{ "One-way latency in ms (row → column; press Enter or leave the field to apply). ✂ cuts or heals one direction — you can also click a link lane on the map." }</p>
                    <div class="scroll-x">
                        <table class="latency-matrix" data-testid="latency-matrix">
                            <thead><tr><th>{ "from ↓ to →" }</th>{ for head }</tr></thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    </div>
                    if let Some(e) = &self.latency_error { <p class="note err" data-testid="latency-error">{ e.clone() }</p> }
                    { note_view(&p.latency_note, "latency-error") }
                    <div class="row">
                        <span>{ "Partition: cut " }</span>{ for picks }<span>{ " off from the rest" }</span>
                        <button data-testid="partition" onclick={link.callback(|_| Msg::Partition)}>{ "Partition" }</button>
                        <button class="ok" data-testid="heal-all" onclick={heal_all}>{ "Heal all links" }</button>
                    </div>
                    { note_view(&p.network_note, "network-error") }
                </section>

                <section class="new-run">
                    <h2>{ "New run" }</h2>
                    <p class="caption">{ "Starts over with the current settings on N datacenters (default latencies). Same seed + same actions = the same run." }</p>
                    <div class="row">
                        <label>{ "seed " }<input type="text" inputmode="numeric" data-testid="new-seed" value={self.new_seed.clone()}
                            oninput={link.callback(|e: InputEvent| Msg::NewSeed(input_value(&e)))} /></label>
                        <label>{ "datacenters " }<input type="text" inputmode="numeric" data-testid="new-dcs" value={self.new_dcs.clone()} class="short"
                            oninput={link.callback(|e: InputEvent| Msg::NewDcs(input_value(&e)))} /></label>
                        <button data-testid="new-run" onclick={link.callback(|_| Msg::NewRun)}>{ "Start new run" }</button>
                    </div>
                    if let Some(e) = &self.new_error { <p class="note err" data-testid="new-run-error">{ e.clone() }</p> }
                    { note_view(&p.new_run_note, "new-run-error") }
                </section>

                <section class="scenario">
                    <h2>{ "Scenario" }</h2>
                    <p class="caption">{ "Export the starting settings and every action so far as JSON; paste one and import it to replay it exactly (a new run)." }</p>
                    <textarea data-testid="scenario-text" rows="8" value={self.scenario.clone()} spellcheck="false"
                        placeholder="{ \"config\": …, \"commands\": [[ms, command], …] }"
                        oninput={link.callback(|e: InputEvent| Msg::ScenarioText(input_value(&e)))} />
                    <div class="row">
                        <button data-testid="scenario-export" onclick={export}>{ "Export" }</button>
                        <button data-testid="scenario-import" onclick={link.callback(|_| Msg::Import)}>{ "Import & replay" }</button>
                    </div>
                    { note_view(&p.scenario_note, "scenario-error") }
                </section>
            </div>
        }
    }
}
