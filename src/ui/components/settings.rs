//! Settings: every field `UserCommand::Configure` accepts, the latency matrix and link
//! cuts, partitions, a new run (seed, DC count) and scenario export / import.
//!
//! Invariants: the form edits text drafts; nothing reaches the simulation until "Apply",
//! and then only a config every field of which parsed through the core's schema
//! (`fields::FIELDS`: bounds and parsers shared with the URL and `SimConfig::validate`)
//! and that passed `validate` (the core re-checks). Each problem is shown next to the
//! field it concerns; the running sim is kept. While the drafts are untouched they follow
//! the live config.

use crate::sim::fields::{self, Field, Kind};
use crate::sim::parse_mode;
use crate::sim::{DcId, SimConfig, UserCommand};
use crate::ui::components::{input_checked, input_value, note_view};
use crate::ui::fmt;
use crate::ui::pairs::Pairs;
use crate::ui::state::{Action, Note, Origin, Topo};
use std::rc::Rc;
use yew::prelude::*;

/// Groups of fields (keys of `fields::FIELDS`), in display order.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "Placement & replication",
        &[
            "replication_factor",
            "vnodes",
            "replication_interval_ms",
            "replication_batch",
            "placement",
        ],
    ),
    (
        "Failure detection",
        &[
            "heartbeat_interval_ms",
            "suspect_after_ms",
            "dead_after_ms",
            "failover",
        ],
    ),
    ("Timeouts", &["txn_timeout_ms", "request_timeout_ms"]),
    ("Reads", &["read_policy", "read_consistency"]),
    (
        "Workload",
        &[
            "ops_per_sec",
            "read_pct",
            "write_pct",
            "txn_pct",
            "keys",
            "distribution",
        ],
    ),
    ("Network", &["loss_permille", "jitter_ms"]),
];

/// The fields the form edits, in display order.
fn form_fields() -> impl Iterator<Item = &'static Field> {
    GROUPS
        .iter()
        .flat_map(|(_, keys)| keys.iter())
        .filter_map(|k| fields::field(k))
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub config: Rc<SimConfig>,
    pub topo: Rc<Topo>,
    pub settings_note: Note,
    pub latency_note: Note,
    pub network_note: Note,
    pub new_run_note: Note,
    pub scenario_note: Note,
    pub export: Option<AttrValue>,
    /// Commands (settings, latency, links, partitions), notes, new run, import, export.
    pub on_action: Callback<Action>,
}

pub enum Msg {
    /// A form field's text changed (by key).
    Text(&'static str, String),
    /// Table `i`'s replication mode text changed.
    Mode(usize, String),
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
    /// Drafts of the form fields, by key, as typed.
    texts: Pairs<&'static str, String>,
    /// Drafts of each table's replication mode.
    modes: Vec<String>,
    errors: Pairs<String, String>,
    general: Option<String>,
    dirty: bool,
    latency_error: Option<String>,
    group: Pairs<DcId, ()>,
    new_seed: String,
    new_dcs: String,
    new_error: Option<String>,
    scenario: String,
}

impl SettingsPanel {
    fn load(&mut self, cfg: &SimConfig) {
        self.texts.clear();
        for f in form_fields() {
            self.texts.insert(f.key, f.text(cfg));
        }
        self.modes = cfg.tables.iter().map(|t| t.mode.to_string()).collect();
        self.errors.clear();
        self.general = None;
        self.dirty = false;
    }

    fn text(&self, key: &str) -> &str {
        self.texts.get(key).map(String::as_str).unwrap_or("")
    }

    /// Parses the drafts into the live config, or records per-field errors.
    fn build(&mut self, live: &SimConfig) -> Option<SimConfig> {
        self.errors.clear();
        self.general = None;
        // Only the fields this form edits come from the drafts; the rest is live.
        let mut c = live.clone();
        for f in form_fields() {
            let text = self.text(f.key).to_string();
            if let Err(e) = f.apply(&mut c, &text) {
                self.errors.insert(f.key.into(), f.form_message(&e, &text));
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
                    self.errors.insert(fields::mode_key(i), e.to_string());
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

    /// A new run's config: the live settings on the typed DC count and seed.
    fn new_run(&self, live: &SimConfig) -> Result<SimConfig, String> {
        let mut c = live.clone();
        for (key, text) in [("seed", &self.new_seed), ("dcs", &self.new_dcs)] {
            if let Some(f) = fields::field(key) {
                f.apply(&mut c, text)
                    .map_err(|e| f.form_message(&e, text))?;
            }
        }
        c.validate().map_err(|e| e.to_string())?;
        Ok(c)
    }

    /// One form field, drawn by its kind: a text input, a select or a checkbox.
    fn field(&self, ctx: &Context<Self>, f: &'static Field) -> Html {
        let key = f.key;
        let id = format!("field-{key}");
        let text = self.text(key);
        let err = self.errors.get(key);
        let err_note = err.map(|e| html! { <p class="note err" data-testid={format!("field-error-{key}")}>{ e.clone() }</p> });
        let link = ctx.link();
        match f.kind {
            Kind::Num { .. } => html! {
                <div key={key} class="field">
                    <label for={id.clone()}>{ f.label }</label>
                    <span class="input-unit">
                        <input id={id.clone()} type="text" inputmode="numeric" data-testid={id} value={text.to_string()}
                            aria-invalid={err.is_some().to_string()} oninput={link.callback(move |e: InputEvent| Msg::Text(key, input_value(&e)))} />
                        <span class="unit">{ f.unit }</span>
                    </span>
                    { for err_note }
                </div>
            },
            Kind::Word { options, .. } => {
                let opts = options.iter().map(
                    |(v, l)| html! { <option key={*v} value={*v} selected={*v == text}>{ *l }</option> },
                );
                html! {
                    <div key={key} class="field">
                        <label for={id.clone()}>{ f.label }</label>
                        <select id={id.clone()} data-testid={id} onchange={link.callback(move |e: Event| Msg::Text(key, input_value(&e)))}>{ for opts }</select>
                        { for err_note }
                    </div>
                }
            }
            Kind::Flag { .. } => html! {
                <div key={key} class="field check">
                    <label><input type="checkbox" data-testid={id} checked={text == "true"}
                        onchange={link.callback(move |e: Event| Msg::Text(key, input_checked(&e).to_string()))} />{ format!(" {}", f.label) }</label>
                    { for err_note }
                </div>
            },
        }
    }
}

impl Component for SettingsPanel {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let cfg = &ctx.props().config;
        let mut s = SettingsPanel {
            texts: Pairs::default(),
            modes: vec![],
            errors: Pairs::default(),
            general: None,
            dirty: false,
            latency_error: None,
            group: Pairs::default(),
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
        let act = &p.on_action;
        match msg {
            Msg::Text(key, v) => {
                self.texts.insert(key, v);
                self.dirty = true;
            }
            Msg::Mode(i, v) => {
                if let Some(t) = self.modes.get_mut(i) {
                    *t = v;
                }
                self.dirty = true;
            }
            Msg::Apply => match self.build(&p.config) {
                Some(c) => {
                    // The drafts now equal what is sent: follow the live config again.
                    self.dirty = false;
                    act.emit(Action::Command(
                        UserCommand::Configure(Box::new(c)),
                        Origin::Settings,
                    ));
                }
                None => act.emit(Action::Note(Origin::Settings, None)),
            },
            Msg::Reset => {
                let cfg = p.config.clone();
                self.load(&cfg);
                act.emit(Action::Note(Origin::Settings, None));
            }
            Msg::Latency(a, b, v) => match v.trim().parse::<u32>() {
                Ok(ms) => {
                    self.latency_error = None;
                    act.emit(Action::Command(
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
                    act.emit(Action::Note(Origin::Latency, None));
                }
            },
            Msg::PartitionPick(d, on) => {
                if on {
                    self.group.insert(d, ());
                } else {
                    self.group.remove(&d);
                }
            }
            Msg::Partition => {
                let group: Vec<DcId> = self
                    .group
                    .keys()
                    .copied()
                    .filter(|d| p.topo.names.iter().any(|n| n.0 == *d))
                    .collect();
                if group.is_empty() || group.len() == p.topo.names.len() {
                    act.emit(Action::Note(
                        Origin::Network,
                        Some(Err(
                            "Tick some (not all) DCs to cut them off from the rest.".into(),
                        )),
                    ));
                } else {
                    act.emit(Action::Command(
                        UserCommand::Partition(group),
                        Origin::Network,
                    ));
                }
            }
            Msg::NewSeed(v) => self.new_seed = v,
            Msg::NewDcs(v) => self.new_dcs = v,
            Msg::NewRun => match self.new_run(&p.config) {
                Ok(c) => {
                    self.new_error = None;
                    act.emit(Action::NewRun(Box::new(c)));
                }
                Err(e) => self.new_error = Some(e),
            },
            Msg::ScenarioText(t) => self.scenario = t,
            Msg::Import => act.emit(Action::Import(self.scenario.clone())),
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let p = ctx.props();
        let link = ctx.link();
        let groups = GROUPS.iter().map(|(title, keys)| {
            let modes = (*title == "Placement & replication").then(|| {
                p.config.tables.iter().enumerate().map(|(i, t)| {
                    let key = fields::mode_key(i);
                    let err = self.errors.get(&key);
                    let current = self.modes.get(i).cloned().unwrap_or_default();
                    // Quorum sizes up to R as the form has it now (the run's R if the
                    // field does not read as a number); the current value is always a
                    // choice, so a quorum above a lowered R stays visible with its error.
                    let r = self.text("replication_factor").trim().parse::<usize>().unwrap_or(usize::from(p.config.replication_factor));
                    let mut choices = fields::mode_choices(r);
                    if !current.is_empty() && !choices.iter().any(|(v, _)| *v == current) {
                        choices.push((current.clone(), current.clone()));
                    }
                    let opts = choices.into_iter().map(|(v, l)| {
                        let sel = v == current;
                        html! { <option key={v.clone()} value={v} selected={sel}>{ l }</option> }
                    });
                    html! {
                        <div key={key.clone()} class="field">
                            <label for={format!("field-{key}")}>{ format!("Replication of {}", t.name) }</label>
                            <select id={format!("field-{key}")} data-testid={format!("field-{key}")}
                                aria-invalid={err.is_some().to_string()}
                                onchange={link.callback(move |e: Event| Msg::Mode(i, input_value(&e)))}>{ for opts }</select>
                            if let Some(e) = err { <p class="note err" data-testid={format!("field-error-{key}")}>{ e.clone() }</p> }
                        </div>
                    }
                }).collect::<Html>()
            });
            html! {
                <fieldset key={*title} class="group">
                    <legend>{ *title }</legend>
                    { for keys.iter().filter_map(|k| fields::field(k)).map(|f| self.field(ctx, f)) }
                    { for modes }
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
                let toggle = p.on_action.clone();
                html! {
                    <td key={b.0} class={classes!(cut.then_some("cut"))}>
                        <input type="text" inputmode="numeric" class="lat" data-testid={format!("latency-{}-{}", a.0, b.0)} value={ms.to_string()}
                            aria-label={format!("latency {} → {} ms", an, fmt::dc_name(names, b))}
                            onchange={link.callback(move |e: Event| Msg::Latency(a, b, input_value(&e)))} />
                        <button class={classes!("cut-btn", cut.then_some("on"))} data-testid={format!("cut-{}-{}", a.0, b.0)}
                            title={if cut { "heal this direction" } else { "cut this direction" }} aria-pressed={cut.to_string()}
                            onclick={Callback::from(move |_: MouseEvent| toggle.emit(Action::ToggleLink(a, b)))}>{ "✂" }</button>
                    </td>
                }
            });
            html! { <tr key={a.0}><th>{ an.clone() }</th>{ for cells }</tr> }
        });
        let picks = names.iter().map(|(id, n)| {
            let id = *id;
            html! {
                <label key={id.0} class="chip">
                    <input type="checkbox" data-testid={format!("partition-dc-{}", id.0)} checked={self.group.contains_key(&id)}
                        onchange={link.callback(move |e: Event| Msg::PartitionPick(id, input_checked(&e)))} />
                    <span class={classes!("swatch", fmt::dc_bg(id))} />{ n.clone() }
                </label>
            }
        });
        let heal_all = p
            .on_action
            .reform(|_: MouseEvent| Action::Command(UserCommand::HealAll, Origin::Network));
        let export = p.on_action.reform(|_: MouseEvent| Action::Export);

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
