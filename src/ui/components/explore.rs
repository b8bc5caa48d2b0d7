//! The Explore panel: every ordering of a small configuration of the real nodes (or of a
//! seeded bug's), explored in a Web Worker (`ui::explore::Driver`), with its progress, the
//! properties' results, and a found counterexample as a per-DC sequence diagram, loaded
//! into the timeline and linked for replay.
//!
//! Invariants:
//! - Its own UI state only (the fields' drafts, the driver, the last report); the run in
//!   the timeline changes only through the `Action::OpenCounterexample` it sends.
//! - Bad fields give a sentence naming the field (`explore-error`) and start nothing.
//! - At most one exploration at a time: Run replaces (and ends) the previous one; Cancel,
//!   a new preset or unmounting ends it.

use crate::sim::explore::api::{presets, Counterexample, ExploreConfig, ExploreReport};
use crate::ui::components::el::AttrText;
use crate::ui::components::input_value;
use crate::ui::explore::{Driver, Event, Slice};
use crate::ui::state::Action;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_action: Callback<Action>,
}

/// The editable fields: (key, label).
const FIELDS: [(&str, &str); 7] = [
    ("dcs", "DCs"),
    ("keys", "Keys"),
    ("txns", "Transactions"),
    ("writes", "Writes"),
    ("crashes", "Crashes"),
    ("cuts", "Cuts"),
    ("max_states", "Max states"),
];

fn field_values(c: &ExploreConfig) -> Vec<String> {
    [
        u64::from(c.dcs),
        u64::from(c.keys),
        u64::from(c.txns),
        u64::from(c.writes),
        u64::from(c.crashes),
        u64::from(c.cuts),
        c.max_states,
    ]
    .iter()
    .map(u64::to_string)
    .collect()
}

pub enum Msg {
    Preset(String),
    Field(usize, String),
    Run,
    Cancel,
    Driver(u32, Event),
    Load,
}

pub struct ExplorePanel {
    preset: String,
    drafts: Vec<String>,
    error: Option<String>,
    driver: Option<Driver>,
    /// Which run the driver's events belong to (older ones are ignored).
    run_id: u32,
    /// The configuration of the run shown.
    running: Option<ExploreConfig>,
    last: Option<Slice>,
    started_ms: f64,
    elapsed_ms: f64,
    /// Where the run goes: in a worker, or on the page's thread (and why).
    on_page: Option<String>,
    cancelled: bool,
    loaded: bool,
}

impl ExplorePanel {
    fn config(&self) -> Result<ExploreConfig, String> {
        let mut nums = Vec::with_capacity(FIELDS.len());
        for ((_, label), v) in FIELDS.iter().zip(&self.drafts) {
            match v.trim().parse::<u64>() {
                Ok(n) => nums.push(n),
                Err(_) => return Err(format!("{label} must be a whole number (got {v:.20?}).")),
            }
        }
        let small = |i: usize| u32::try_from(nums[i]).unwrap_or(u32::MAX);
        let c = ExploreConfig {
            preset: self.preset.clone(),
            dcs: small(0),
            keys: small(1),
            txns: small(2),
            writes: small(3),
            crashes: small(4),
            cuts: small(5),
            max_states: nums[6],
        };
        c.spec()?;
        Ok(c)
    }

    fn start(&mut self, ctx: &Context<Self>, cfg: ExploreConfig) {
        self.driver = None;
        self.run_id += 1;
        let id = self.run_id;
        let on = ctx.link().callback(move |e| Msg::Driver(id, e));
        self.driver = match Driver::worker(&cfg, on.clone()) {
            Ok(d) => {
                self.on_page = None;
                Some(d)
            }
            Err(why) => {
                self.on_page = Some(why);
                Some(Driver::local(&cfg, on))
            }
        };
        self.running = Some(cfg);
        self.last = None;
        self.started_ms = js_sys::Date::now();
        self.elapsed_ms = 0.0;
        self.cancelled = false;
        self.loaded = false;
    }

    fn load(&mut self, ctx: &Context<Self>, cx: &Counterexample) {
        if let Some(sc) = &cx.scenario {
            ctx.props().on_action.emit(Action::OpenCounterexample {
                scenario: sc.clone(),
                bug: cx.bug.clone(),
            });
            self.loaded = true;
        }
    }
}

impl Component for ExplorePanel {
    type Message = Msg;
    type Properties = Props;

    fn create(_: &Context<Self>) -> Self {
        let first = presets().into_iter().next();
        ExplorePanel {
            preset: first.as_ref().map(|p| p.key.clone()).unwrap_or_default(),
            drafts: first.map(|p| field_values(&p.config)).unwrap_or_default(),
            error: None,
            driver: None,
            run_id: 0,
            running: None,
            last: None,
            started_ms: 0.0,
            elapsed_ms: 0.0,
            on_page: None,
            cancelled: false,
            loaded: false,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Preset(key) => {
                if let Some(p) = presets().into_iter().find(|p| p.key == key) {
                    self.preset = p.key;
                    self.drafts = field_values(&p.config);
                    self.error = None;
                }
            }
            Msg::Field(i, v) => {
                if let Some(d) = self.drafts.get_mut(i) {
                    *d = v;
                }
            }
            Msg::Run => match self.config() {
                Ok(cfg) => {
                    self.error = None;
                    self.start(ctx, cfg);
                }
                Err(e) => self.error = Some(e),
            },
            Msg::Cancel => {
                if self.driver.take().is_some() {
                    self.run_id += 1;
                    self.cancelled = true;
                }
            }
            Msg::Driver(id, _) if id != self.run_id => return false,
            Msg::Driver(_, Event::Slice(s)) => {
                self.elapsed_ms = js_sys::Date::now() - self.started_ms;
                let done = s.report.done;
                let cx = s.report.counterexample.clone();
                self.last = Some(*s);
                if done {
                    self.driver = None;
                    if let (Some(cx), false) = (cx, self.loaded) {
                        self.load(ctx, &cx);
                    }
                }
            }
            Msg::Driver(_, Event::Refused(e)) => {
                self.driver = None;
                self.error = Some(e);
            }
            Msg::Driver(_, Event::WorkerFailed(why)) if self.last.is_some() => {
                // It ran and then failed (out of memory, a panic): not a reason to try
                // the same run on the page's thread.
                self.driver = None;
                self.error = Some(format!("The exploration stopped in its worker: {why}"));
            }
            Msg::Driver(_, Event::WorkerFailed(why)) => {
                // The worker could not load the wasm here: the same run on this thread.
                if let Some(cfg) = self.running.clone() {
                    self.run_id += 1;
                    let id = self.run_id;
                    let on = ctx.link().callback(move |e| Msg::Driver(id, e));
                    self.driver = Some(Driver::local(&cfg, on));
                    self.on_page = Some(why);
                    self.started_ms = js_sys::Date::now();
                }
            }
            Msg::Load => {
                if let Some(cx) = self
                    .last
                    .as_ref()
                    .and_then(|s| s.report.counterexample.clone())
                {
                    self.load(ctx, &cx);
                }
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let about = presets()
            .into_iter()
            .find(|p| p.key == self.preset)
            .map(|p| p.about)
            .unwrap_or_default();
        let options = presets().into_iter().map(|p| {
            html! { <option value={p.key.clone()} selected={p.key == self.preset}>{ p.title }</option> }
        });
        let on_preset = link.callback(|e: Event_| Msg::Preset(input_value(&e)));
        let fields = FIELDS.iter().enumerate().map(|(i, (key, label))| {
            let on = link.callback(move |e: InputEvent| Msg::Field(i, input_value(&e)));
            html! {
                <label class="explore-field">{ *label }
                    <input type="text" inputmode="numeric" size="7" data-testid={format!("explore-field-{key}")}
                        value={self.drafts.get(i).cloned().unwrap_or_default()} oninput={on} />
                </label>
            }
        });
        let running = self.driver.is_some();
        let run_button = if running {
            html! { <button data-testid="explore-run" data-running="true" onclick={link.callback(|_| Msg::Cancel)}>{ "Cancel" }</button> }
        } else {
            html! { <button data-testid="explore-run" data-running="false" class="primary" onclick={link.callback(|_| Msg::Run)}>{ "Run" }</button> }
        };
        html! {
            <section class="explore" data-testid="explore" aria-label="Explore every ordering">
                <p class="hint">{ "Every ordering of a small configuration of the real node code: deliveries, timers, crashes and cuts, breadth-first, each state checked." }</p>
                <div class="explore-form">
                    <label>{ "Configuration " }
                        <select data-testid="explore-preset" onchange={on_preset}>{ for options }</select>
                    </label>
                    { for fields }
                    { run_button }
                </div>
                <p class="hint" data-testid="explore-about">{ about }</p>
                if let Some(e) = &self.error {
                    <p class="note err" role="alert" data-testid="explore-error">{ e.clone() }</p>
                }
                { self.progress_view() }
                { self.last.as_ref().map(|s| properties_view(&s.report)).unwrap_or_default() }
                { self.counterexample_view(ctx) }
            </section>
        }
    }
}

/// `Event` is the driver's; the DOM event type of a select's change.
type Event_ = yew::Event;

impl ExplorePanel {
    fn progress_view(&self) -> Html {
        let Some(cfg) = &self.running else {
            return html! {};
        };
        let mode = match &self.on_page {
            None => {
                html! { <span data-testid="explore-mode" data-mode="worker">{ "in a Web Worker" }</span> }
            }
            Some(why) => html! {
                <span data-testid="explore-mode" data-mode="page" title={why.clone()}>
                    { "on the page's thread, in slices between frames (no Web Worker here)" }
                </span>
            },
        };
        let (states, depth, done, truncated, mem) =
            self.last.as_ref().map_or((0, 0, false, false, 0.0), |s| {
                (
                    s.report.states,
                    s.report.depth,
                    s.report.done,
                    s.report.truncated,
                    s.wasm_bytes,
                )
            });
        let secs = self.elapsed_ms / 1000.0;
        let rate = if secs > 0.0 {
            states as f64 / secs
        } else {
            0.0
        };
        let status = if self.cancelled {
            "cancelled"
        } else if !done {
            "exploring…"
        } else if truncated {
            "stopped at the state limit (not exhaustive)"
        } else if self
            .last
            .as_ref()
            .is_some_and(|s| s.report.counterexample.is_some())
        {
            "violation found (stopped at the first)"
        } else {
            "done: every reachable state checked"
        };
        html! {
            <p class="explore-progress" role="status" data-testid="explore-states" data-states={states.attr()}
                data-done={done.attr()} data-truncated={truncated.attr()} data-depth={depth.attr()} data-cancelled={self.cancelled.attr()}
                data-seconds={format!("{secs:.2}")} data-wasm-bytes={format!("{mem:.0}")}
                data-preset={cfg.preset.clone()}>
                { format!("{states} states, depth {depth}, {rate:.0} states/s, {secs:.1} s — {status} ") }
                { mode }
            </p>
        }
    }

    fn counterexample_view(&self, ctx: &Context<Self>) -> Html {
        let Some(cx) = self
            .last
            .as_ref()
            .and_then(|s| s.report.counterexample.as_ref())
        else {
            return html! {};
        };
        let lanes = cx
            .dcs
            .iter()
            .map(|d| html! { <th scope="col">{ d.clone() }</th> });
        let rows = cx.steps.iter().enumerate().map(|(i, st)| {
            let cells = (0..cx.dcs.len()).map(|lane| {
                let acts = st.actors.contains(&lane);
                let changes: Vec<&str> = st
                    .changes
                    .iter()
                    .filter(|c| c.lane == lane)
                    .map(|c| c.text.as_str())
                    .collect();
                html! {
                    <td class={classes!("lane", acts.then_some("actor"), (!changes.is_empty()).then_some("changed"))}>
                        if acts { <span class="dot" aria-hidden="true">{ "●" }</span> }
                        { changes.join(", ") }
                    </td>
                }
            });
            html! {
                <tr data-testid={format!("explore-step-{i}")} data-ms={st.at_ms.attr()}>
                    <th scope="row">{ format!("{}. [{} ms] {}", i + 1, st.at_ms, st.text) }</th>
                    { for cells }
                    <td class="finding">{ st.findings.join("; ") }</td>
                </tr>
            }
        });
        let replay = cx.link.as_ref().map(|l| {
            let base = web_sys::window()
                .and_then(|w| w.location().href().ok())
                .map(|h| h.split('#').next().unwrap_or_default().to_string())
                .unwrap_or_default();
            let bug = cx
                .bug
                .as_ref()
                .map(|b| format!("&bug={b}"))
                .unwrap_or_default();
            format!("{base}#run={l}{bug}")
        });
        let load = ctx.link().callback(|_| Msg::Load);
        html! {
            <div class="explore-cx" data-testid="explore-counterexample" data-property={cx.property.clone()}
                data-steps={cx.steps.len().attr()} data-loaded={self.loaded.attr()}>
                <h3>{ format!("Counterexample: {} violated in {} steps", cx.property, cx.steps.len()) }
                    { cx.bug.as_ref().map(|b| format!(" (seeded bug {b})")).unwrap_or_default() }</h3>
                <table class="explore-diagram" data-testid="explore-diagram">
                    <thead><tr><th scope="col">{ "step" }</th>{ for lanes }<th scope="col">{ "checker" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                if let Some(href) = replay {
                    <p>
                        <button data-testid="explore-load" onclick={load}>{ "Load into the timeline" }</button>
                        { " " }
                        <a data-testid="explore-replay-link" href={href} target="_blank" rel="noopener">{ "Replay link" }</a>
                        if self.loaded { <span class="note ok">{ " Loaded: the run in the timeline is this counterexample, paused at its end." }</span> }
                    </p>
                }
                if let Some(why) = &cx.why_no_scenario {
                    <p class="hint" data-testid="explore-no-scenario">{ why.clone() }</p>
                }
            </div>
        }
    }
}

fn properties_view(r: &ExploreReport) -> Html {
    let items = r.properties.iter().map(|p| {
        html! {
            <li data-testid={format!("explore-property-{}", p.name)} data-result={p.result.clone()}
                class={classes!("prop", p.result.clone())}>
                <span class="name">{ p.name.clone() }</span>{ format!(" ({}): ", p.kind) }<strong>{ p.result.clone() }</strong>
            </li>
        }
    });
    html! { <ul class="explore-props" data-testid="explore-properties">{ for items }</ul> }
}
