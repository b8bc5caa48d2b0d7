//! The top-level component: owns the `Sim`, the clock (a gloo `Interval`) and UI state.
//!
//! Invariants:
//! - The `Sim` lives here only; it changes only through `advance`, `Sim::step` and
//!   `Sim::apply`, and every successful user command is recorded with its instant so the
//!   run can be exported as a scenario and replayed.
//! - One tick = at most one snapshot and one render. Sim time advances by
//!   speed × wall Δt, with Δt clamped to 250 ms so a background tab does not jump.
//! - Pause and single-step are exact: paused, nothing advances; `step` runs one event.
//! - A refused command leaves the sim unchanged and its message lands next to the control
//!   that sent it (`Origin`).
//! - Breakpoints live in the `Sim` (`Sim::set_breakpoint`, kept across new runs). When
//!   `advance_to` stops at one, the App pauses with the clock on that event and shows why
//!   (`BreakpointHit`); a `step` that runs such an event shows the same note.

use crate::sim::CoordState;
use crate::sim::Finding;
use crate::sim::MsgKind;
use crate::sim::{config_from_query, parse_scenario, scenario_json, Scenario, ScheduledCommand};
use crate::sim::{
    Breakpoint, DcId, Event, EventKind, MetricPoint, ReqId, Sim, SimTime, TxnId, TxnTrace,
    UserCommand,
};
use crate::sim::{LinkSnap, RingKey, RingPoint, Snapshot, TableSnap};
use crate::sim::{PlacementKind, SimConfig};
use crate::ui::components::{
    controls::Controls, data::DataPanel, dcs::DcTable, findings::FindingsPanel, help::Help,
    log::LogPanel, map::WorldMap, matrix::DetectorMatrix, metrics::MetricsPanel,
    operate::OperatePanel, ring::RingPanel, settings::SettingsPanel, txn::TxnPanel,
};
use gloo_timers::callback::Interval;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Wall-clock milliseconds between ticks (~30 Hz: smooth dots, one render per tick).
const TICK_MS: u32 = 33;
/// Longest wall-time step taken in one tick (a throttled background tab resumes gently).
const MAX_WALL_DT_MS: f64 = 250.0;
/// Wall time one tick may spend simulating; past it the run falls behind the requested
/// speed (and says so) rather than freezing the page.
const TICK_BUDGET_MS: f64 = 22.0;
/// Speed slider: position 0..=SPEED_MAX maps log-linearly onto MIN_SPEED..=MIN_SPEED·1000.
pub const SPEED_MAX: u32 = 1000;
const MIN_SPEED: f64 = 0.05;
/// Data view refresh at most this often (it walks every stored row).
const DATA_EVERY_MS: f64 = 250.0;

pub fn speed_of(pos: u32) -> f64 {
    MIN_SPEED * 1000f64.powf(pos.min(SPEED_MAX) as f64 / SPEED_MAX as f64)
}

/// Slider position of 1× (≈ 434).
pub fn pos_of_speed(speed: f64) -> u32 {
    ((speed / MIN_SPEED).ln() / 1000f64.ln() * SPEED_MAX as f64)
        .round()
        .clamp(0.0, SPEED_MAX as f64) as u32
}

fn wall_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tab {
    Ring,
    Txn,
    Data,
    Metrics,
    Log,
    Findings,
    Settings,
    Operate,
}

impl Tab {
    pub const ALL: [Tab; 8] = [
        Tab::Ring,
        Tab::Txn,
        Tab::Data,
        Tab::Metrics,
        Tab::Log,
        Tab::Findings,
        Tab::Settings,
        Tab::Operate,
    ];
    fn key(self) -> &'static str {
        match self {
            Tab::Ring => "ring",
            Tab::Txn => "txn",
            Tab::Data => "data",
            Tab::Metrics => "metrics",
            Tab::Log => "log",
            Tab::Findings => "findings",
            Tab::Settings => "settings",
            Tab::Operate => "operate",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Tab::Ring => "Placement",
            Tab::Txn => "2PC",
            Tab::Data => "Data",
            Tab::Metrics => "Metrics",
            Tab::Log => "Event log",
            Tab::Findings => "Checker",
            Tab::Settings => "Settings",
            Tab::Operate => "Operate",
        }
    }
}

/// Where a command came from, so its refusal is shown next to that control.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Banner,
    Settings,
    Latency,
    Network,
    Ring,
    Operate,
    NewRun,
    Scenario,
}

const ORIGINS: usize = 8;

impl Origin {
    fn index(self) -> usize {
        self as usize
    }
}

/// Feedback for one control: `Ok(text)` or `Err(text)`.
pub type Note = Option<Result<AttrValue, AttrValue>>;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Theme {
    Auto,
    Light,
    Dark,
}

/// The ring panel's inputs; replaced only when they change.
#[derive(Clone, Debug, PartialEq)]
pub struct RingView {
    pub placement: PlacementKind,
    pub ring: Vec<RingPoint>,
    pub keys: Vec<RingKey>,
    pub last_moves: Option<crate::sim::MoveReport>,
    pub vnodes: u32,
    pub r: u8,
}

/// The network's shape: DC names and positions plus links; replaced only when it changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Topo {
    pub names: Vec<(DcId, String)>,
    pub pos: Vec<(DcId, u32, u32)>,
    pub links: Vec<LinkSnap>,
}

impl Topo {
    pub fn pos(&self, d: DcId) -> Option<(f64, f64)> {
        self.pos
            .iter()
            .find(|p| p.0 == d)
            .map(|p| (p.1 as f64, p.2 as f64))
    }
}

/// A snapshot cut into pieces with independent lifetimes (see module invariants).
#[derive(Clone)]
pub struct Pieces {
    /// Everything per-frame; `events`, `txns`, `metrics`, `findings`, `ring*` emptied.
    pub snap: Rc<Snapshot>,
    pub topo: Rc<Topo>,
    pub events: Rc<Vec<Event>>,
    pub txns: Rc<Vec<TxnTrace>>,
    pub metrics: Rc<Vec<MetricPoint>>,
    pub findings: Rc<Vec<Finding>>,
    pub ring: Rc<RingView>,
    pub config: Rc<SimConfig>,
    pub views: Rc<Vec<ViewRow>>,
}

/// One observer's row of the detector matrix; replaced only when a view changes.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewRow {
    pub id: DcId,
    pub name: String,
    pub up: bool,
    pub views: Vec<(DcId, Option<crate::sim::PeerState>)>,
}

/// Where the run stopped at a breakpoint: the event that hit it, explained.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakpointHit {
    pub kind: Breakpoint,
    /// The event's sequence number (a new hit has a new one).
    pub seq: u64,
    pub at: SimTime,
    pub text: AttrValue,
    pub txn: Option<TxnId>,
    pub dc: Option<DcId>,
}

/// Whether an event hits `bp` — the same rule as the core's (`Sim::advance_to`).
fn hits(bp: Breakpoint, kind: &EventKind) -> bool {
    match (bp, kind) {
        (Breakpoint::TxnDecision, EventKind::Coord { state, .. }) => {
            matches!(state, CoordState::Committed | CoordState::Aborted)
        }
        (Breakpoint::Failover, EventKind::FailoverIssued { .. }) => true,
        (Breakpoint::Finding, EventKind::Finding { .. }) => true,
        _ => false,
    }
}

/// Replaces `slot` only if the new value differs, so unchanged pieces keep their `Rc`.
fn keep_or<T: PartialEq>(slot: &mut Rc<T>, new: T) {
    if **slot != new {
        *slot = Rc::new(new);
    }
}

fn cut(mut s: Snapshot, prev: Option<&Pieces>) -> Pieces {
    let events = std::mem::take(&mut s.events);
    let txns = std::mem::take(&mut s.txns);
    let metrics = std::mem::take(&mut s.metrics);
    let findings = std::mem::take(&mut s.findings);
    let ring = RingView {
        placement: s.placement,
        ring: std::mem::take(&mut s.ring),
        keys: std::mem::take(&mut s.ring_keys),
        last_moves: s.last_moves.clone(),
        vnodes: s.config.vnodes,
        r: s.config.replication_factor,
    };
    let topo = Topo {
        names: s.dcs.iter().map(|d| (d.id, d.name.clone())).collect(),
        pos: s.dcs.iter().map(|d| (d.id, d.x, d.y)).collect(),
        links: std::mem::take(&mut s.links),
    };
    let config = s.config.clone();
    let views: Vec<ViewRow> = s
        .dcs
        .iter()
        .map(|d| ViewRow {
            id: d.id,
            name: d.name.clone(),
            up: d.up,
            views: d.views.clone(),
        })
        .collect();
    match prev {
        None => Pieces {
            config: Rc::new(config),
            views: Rc::new(views),
            snap: Rc::new(s),
            topo: Rc::new(topo),
            events: Rc::new(events),
            txns: Rc::new(txns),
            metrics: Rc::new(metrics),
            findings: Rc::new(findings),
            ring: Rc::new(ring),
        },
        Some(p) => {
            let mut out = p.clone();
            out.snap = Rc::new(s);
            keep_or(&mut out.topo, topo);
            // Events are append-only with increasing seq: comparing the ends is enough.
            let same_events = p.events.len() == events.len()
                && p.events.last().map(|e| e.seq) == events.last().map(|e| e.seq);
            if !same_events {
                out.events = Rc::new(events);
            }
            keep_or(&mut out.txns, txns);
            let same_metrics = p.metrics.len() == metrics.len()
                && p.metrics.last().map(|m| m.t) == metrics.last().map(|m| m.t);
            if !same_metrics {
                out.metrics = Rc::new(metrics);
            }
            if p.findings.len() != findings.len() {
                out.findings = Rc::new(findings);
            }
            keep_or(&mut out.ring, ring);
            keep_or(&mut out.config, config);
            keep_or(&mut out.views, views);
            out
        }
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct AppProps {
    /// URL query (`?seed=7&dcs=6…`) to configure the run from; `None` reads the page URL.
    #[prop_or_default]
    pub query: Option<AttrValue>,
    /// Start running immediately.
    #[prop_or(true)]
    pub autoplay: bool,
}

impl Default for AppProps {
    fn default() -> Self {
        AppProps {
            query: None,
            autoplay: true,
        }
    }
}

pub enum Msg {
    Tick,
    Play,
    Pause,
    TogglePlay,
    Step,
    SetBreakpoint(Option<Breakpoint>),
    Speed(u32),
    SpeedBy(i32),
    /// Apply a command; a refusal is shown at `Origin`.
    Cmd(UserCommand, Origin),
    ToggleDc(DcId),
    ToggleLink(DcId, DcId),
    SelectTxn(Option<TxnId>),
    SelectDc(Option<DcId>),
    /// Jump to a moment: select the txn / DC of a log entry or finding.
    Focus {
        txn: Option<TxnId>,
        dc: Option<DcId>,
    },
    Tab(Tab),
    ToggleKind(MsgKind),
    NewRun(Box<SimConfig>),
    Import(String),
    /// Issue a manual op; remembers its request id to show the result.
    Issue(UserCommand),
    Note(Origin, Note),
    Export,
    DismissError,
    CycleTheme,
    ToggleLarge,
    ToggleHelp,
    Key(String),
}

/// Callbacks made once in `create` and handed to children (stable identity: no re-render).
#[derive(Clone, PartialEq)]
pub struct Cbs {
    pub cmd: Callback<(UserCommand, Origin)>,
    pub toggle_dc: Callback<DcId>,
    pub toggle_link: Callback<(DcId, DcId)>,
    pub select_txn: Callback<Option<TxnId>>,
    pub select_dc: Callback<Option<DcId>>,
    pub focus: Callback<(Option<TxnId>, Option<DcId>)>,
    pub toggle_kind: Callback<MsgKind>,
    pub new_run: Callback<SimConfig>,
    pub import: Callback<String>,
    pub issue: Callback<UserCommand>,
    pub note: Callback<(Origin, Note)>,
    pub export: Callback<()>,
    pub play: Callback<()>,
    pub pause: Callback<()>,
    pub step: Callback<()>,
    pub breakpoint: Callback<Option<Breakpoint>>,
    pub speed: Callback<u32>,
    pub tab: Callback<Tab>,
    pub theme: Callback<()>,
    pub large: Callback<()>,
    pub help: Callback<()>,
}

pub struct App {
    sim: Sim,
    /// The run's starting config and the commands applied since, for export.
    initial: SimConfig,
    recorded: Vec<ScheduledCommand>,
    /// Commands of an imported scenario not yet reached.
    pending: VecDeque<ScheduledCommand>,
    pieces: Pieces,
    data: Rc<Vec<TableSnap>>,
    data_wall: f64,
    running: bool,
    speed_pos: u32,
    last_wall: f64,
    /// Sub-millisecond remainder of simulated time still owed.
    carry: f64,
    /// Achieved speed (simulated ms per wall ms), smoothed; shown when the simulation
    /// cannot keep up with the requested speed.
    achieved: Option<f64>,
    _interval: Interval,
    keys: Option<Closure<dyn FnMut(web_sys::KeyboardEvent)>>,
    error: Option<String>,
    notes: [Note; ORIGINS],
    tab: Tab,
    selected_txn: Option<TxnId>,
    selected_dc: Option<DcId>,
    hidden_kinds: u32,
    theme: Theme,
    large: bool,
    help: bool,
    last_op: Option<ReqId>,
    /// The last exported scenario text, shown in the scenario box.
    export: Option<AttrValue>,
    /// Why the run is paused at a breakpoint, until Play / Step / a new run.
    bp_hit: Option<BreakpointHit>,
    cbs: Cbs,
}

fn kind_bit(k: MsgKind) -> u32 {
    1 << (k as u32)
}

impl App {
    fn snapshot(&mut self) {
        let s = self.sim.snapshot();
        self.pieces = cut(s, Some(&self.pieces));
        if self.tab == Tab::Data {
            self.refresh_data(false);
        }
    }

    fn refresh_data(&mut self, force: bool) {
        let now = wall_ms();
        if force || now - self.data_wall >= DATA_EVERY_MS {
            self.data_wall = now;
            keep_or(&mut self.data, self.sim.data_view(64));
        }
    }

    fn set_note(&mut self, o: Origin, n: Note) {
        if o == Origin::Banner {
            self.error = n.and_then(|r| r.err()).map(|s| s.to_string());
        } else {
            self.notes[o.index()] = n;
        }
    }

    /// Applies a command now, recording it on success.
    fn apply(&mut self, cmd: UserCommand, origin: Origin) -> bool {
        match self.sim.apply(cmd.clone()) {
            Ok(()) => {
                // The event count pins the moment even between two events of one instant.
                let (at, after_events) = (self.sim.now(), Some(self.sim.steps()));
                self.recorded.push(ScheduledCommand {
                    at,
                    after_events,
                    cmd,
                });
                if origin != Origin::Banner {
                    self.notes[origin.index()] = None;
                }
                true
            }
            Err(e) => {
                self.set_note(origin, Some(Err(e.to_string().into())));
                false
            }
        }
    }

    /// Advances to `t`, applying any imported commands that fall due on the way. Returns
    /// true if it stopped early at the breakpoint (the clock then stays on that event).
    fn advance_to(&mut self, t: SimTime) -> bool {
        while let Some((at, after)) = self.pending.front().map(|e| (e.at, e.after_events)) {
            if at > t {
                break;
            }
            if self.sim.run_until(at, after) {
                return true;
            }
            if let Some(e) = self.pending.pop_front() {
                self.apply(e.cmd, Origin::Scenario);
            }
        }
        self.sim.advance_to(t)
    }

    /// Looks for the newest event after `after` (an event seq) that hits the breakpoint
    /// and, if there is one, explains it in `bp_hit`; a 2PC decision also selects its
    /// transaction in the 2PC tab so its diagram shows. Returns whether one was found.
    fn note_hit(&mut self, after: u64) -> bool {
        let Some(bp) = self.sim.breakpoint() else {
            return false;
        };
        let Some(e) = self
            .sim
            .events()
            .filter(|e| e.seq > after && hits(bp, &e.kind))
            .last()
            .cloned()
        else {
            return false;
        };
        let names = &self.pieces.topo.names;
        let name = |d: DcId| crate::ui::fmt::dc_name(names, d);
        let (text, txn, dc) = match &e.kind {
            EventKind::Coord { txn, state } => {
                let what = if *state == CoordState::Committed {
                    "COMMIT"
                } else {
                    "ABORT"
                };
                let coord = e.dc.map(name).unwrap_or_else(|| "the coordinator".into());
                (
                    format!(
                        "Paused: {txn}'s coordinator {coord} has decided {what}; its decision has not left yet — kill it now to see participants block in doubt."
                    ),
                    Some(*txn),
                    e.dc,
                )
            }
            EventKind::FailoverIssued {
                table,
                shard,
                term,
                old,
                new,
            } => {
                let table = self
                    .pieces
                    .config
                    .tables
                    .get(table.0 as usize)
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| format!("table {}", table.0));
                (
                    format!(
                        "Paused: a failover was issued for {table} {shard}: {} → {} (term {term}) — watch the new primary take over; revive {} later to see it step down.",
                        name(*old),
                        name(*new),
                        name(*old)
                    ),
                    None,
                    Some(*new),
                )
            }
            EventKind::Finding { index, kind } => {
                let txn = self.sim.findings().get(*index).and_then(|f| f.txn);
                (
                    format!(
                        "Paused: the checker reported a finding (#{index}, {}) — open the Checker tab to see what broke and why.",
                        kind.label()
                    ),
                    txn,
                    e.dc,
                )
            }
            _ => (String::from("Paused at the breakpoint."), None, e.dc),
        };
        if bp == Breakpoint::TxnDecision {
            if let Some(t) = txn {
                self.selected_txn = Some(t);
                self.tab = Tab::Txn;
            }
        }
        self.bp_hit = Some(BreakpointHit {
            kind: bp,
            seq: e.seq,
            at: e.at,
            text: text.into(),
            txn,
            dc,
        });
        true
    }

    /// Exactly one event (or the next imported command, if it comes first).
    fn step_once(&mut self) {
        let next = self.sim.next_event_at();
        let due = self.pending.front().is_some_and(|e| {
            e.after_events.is_some_and(|n| self.sim.steps() >= n) || next.is_none_or(|n| e.at < n)
        });
        if due {
            if let Some(e) = self.pending.pop_front() {
                self.sim.run_until(e.at, e.after_events);
                self.apply(e.cmd, Origin::Scenario);
            }
        } else {
            self.sim.step();
        }
    }

    fn restart(&mut self, sim: Sim, initial: SimConfig, pending: VecDeque<ScheduledCommand>) {
        let bp = self.sim.breakpoint();
        self.sim = sim;
        self.sim.set_breakpoint(bp);
        self.bp_hit = None;
        self.initial = initial;
        self.recorded.clear();
        self.pending = pending;
        self.carry = 0.0;
        self.selected_txn = None;
        self.selected_dc = None;
        self.last_op = None;
        self.pieces = cut(self.sim.snapshot(), None);
        self.refresh_data(true);
    }

    fn scenario_text(&self) -> String {
        let mut commands = self.recorded.clone();
        commands.extend(self.pending.iter().cloned());
        scenario_json(&Scenario {
            config: self.initial.clone(),
            commands,
        })
    }

    fn apply_theme(&self) {
        let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        else {
            return;
        };
        let _ = match self.theme {
            Theme::Auto => root.remove_attribute("data-theme"),
            Theme::Light => root.set_attribute("data-theme", "light"),
            Theme::Dark => root.set_attribute("data-theme", "dark"),
        };
    }

    fn install_keys(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        let cb =
            Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
                if e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                // Typing in a field (or pressing space on a focused button) is not a shortcut.
                let tag = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .map(|el| el.tag_name())
                    .unwrap_or_default();
                if matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT" | "BUTTON") {
                    return;
                }
                let key = e.key();
                if matches!(
                    key.as_str(),
                    " " | "s" | "S" | "+" | "=" | "-" | "_" | "?" | "Escape"
                ) {
                    e.prevent_default();
                    link.send_message(Msg::Key(key));
                }
            });
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if doc
                .add_event_listener_with_callback("keydown", cb.as_ref().unchecked_ref())
                .is_ok()
            {
                self.keys = Some(cb);
            }
        }
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = AppProps;

    fn create(ctx: &Context<Self>) -> Self {
        let props = ctx.props();
        let query = match &props.query {
            Some(q) => q.to_string(),
            None => web_sys::window()
                .and_then(|w| w.location().search().ok())
                .unwrap_or_default(),
        };
        let (cfg, error) = match config_from_query(&query) {
            Ok(c) => (c, None),
            Err(e) => (
                SimConfig::default(),
                Some(format!("{e} Running with the default settings instead.")),
            ),
        };
        // `config_from_query` validated the config; the default is valid by construction.
        let (sim, cfg, error) = match Sim::new(cfg.clone()) {
            Ok(s) => (s, cfg, error),
            Err(e) => {
                let d = SimConfig::default();
                match Sim::new(d.clone()) {
                    Ok(s) => (
                        s,
                        d,
                        Some(format!("{e} Running with the default settings instead.")),
                    ),
                    Err(e2) => panic!("the default configuration is invalid: {e2}"),
                }
            }
        };
        let link = ctx.link();
        let interval = {
            let link = link.clone();
            Interval::new(TICK_MS, move || link.send_message(Msg::Tick))
        };
        let cbs = Cbs {
            cmd: link.callback(|(c, o)| Msg::Cmd(c, o)),
            toggle_dc: link.callback(Msg::ToggleDc),
            toggle_link: link.callback(|(a, b)| Msg::ToggleLink(a, b)),
            select_txn: link.callback(Msg::SelectTxn),
            select_dc: link.callback(Msg::SelectDc),
            focus: link.callback(|(txn, dc)| Msg::Focus { txn, dc }),
            toggle_kind: link.callback(Msg::ToggleKind),
            new_run: link.callback(|c| Msg::NewRun(Box::new(c))),
            import: link.callback(Msg::Import),
            issue: link.callback(Msg::Issue),
            note: link.callback(|(o, n)| Msg::Note(o, n)),
            export: link.callback(|_| Msg::Export),
            play: link.callback(|_| Msg::Play),
            pause: link.callback(|_| Msg::Pause),
            step: link.callback(|_| Msg::Step),
            breakpoint: link.callback(Msg::SetBreakpoint),
            speed: link.callback(Msg::Speed),
            tab: link.callback(Msg::Tab),
            theme: link.callback(|_| Msg::CycleTheme),
            large: link.callback(|_| Msg::ToggleLarge),
            help: link.callback(|_| Msg::ToggleHelp),
        };
        let pieces = cut(sim.snapshot(), None);
        let mut app = App {
            sim,
            initial: cfg,
            recorded: Vec::new(),
            pending: VecDeque::new(),
            pieces,
            data: Rc::new(Vec::new()),
            data_wall: f64::NEG_INFINITY,
            running: props.autoplay,
            speed_pos: pos_of_speed(1.0),
            last_wall: wall_ms(),
            carry: 0.0,
            achieved: None,
            _interval: interval,
            keys: None,
            error,
            notes: Default::default(),
            tab: Tab::Txn,
            selected_txn: None,
            selected_dc: None,
            hidden_kinds: 0,
            theme: Theme::Auto,
            large: false,
            help: false,
            last_op: None,
            export: None,
            bp_hit: None,
            cbs,
        };
        app.install_keys(ctx);
        app
    }

    fn update(&mut self, _ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Tick => {
                let now = wall_ms();
                let dt = (now - self.last_wall).clamp(0.0, MAX_WALL_DT_MS);
                self.last_wall = now;
                if !self.running {
                    return false;
                }
                self.carry += dt * speed_of(self.speed_pos);
                let whole = self.carry.floor();
                if whole < 1.0 {
                    return false;
                }
                self.carry -= whole;
                let start = self.sim.now();
                let target = start.plus(whole as u64);
                let before = self.sim.counters().events;
                // Advance in slices so a tick never blocks the page for long: what does
                // not fit in the budget is dropped and the run falls behind.
                let slice = (whole as u64 / 8).max(1);
                let mut reached = start;
                let mut behind = false;
                while reached < target {
                    reached = reached.plus(slice).min(target);
                    if self.advance_to(reached) {
                        // Stopped at the breakpoint: pause on that event.
                        self.running = false;
                        self.carry = 0.0;
                        self.note_hit(before);
                        break;
                    }
                    if reached < target && wall_ms() - now > TICK_BUDGET_MS {
                        behind = true;
                        self.carry = 0.0;
                        break;
                    }
                }
                let rate = self.sim.now().since(start) as f64 / dt.max(1.0);
                self.achieved = match (behind, self.achieved) {
                    (true, Some(a)) => Some(0.8 * a + 0.2 * rate),
                    (true, None) => Some(rate),
                    // Keeping up again: stop showing an achieved speed.
                    (false, Some(a)) if rate < 0.9 * speed_of(self.speed_pos) => {
                        Some(0.8 * a + 0.2 * rate)
                    }
                    (false, _) => None,
                };
                self.snapshot();
                true
            }
            Msg::Play => {
                self.bp_hit = None;
                self.running = true;
                self.last_wall = wall_ms();
                true
            }
            Msg::Pause => {
                self.running = false;
                self.carry = 0.0;
                true
            }
            Msg::TogglePlay => {
                let m = if self.running { Msg::Pause } else { Msg::Play };
                <Self as Component>::update(self, _ctx, m)
            }
            Msg::Step => {
                self.running = false;
                self.carry = 0.0;
                self.bp_hit = None;
                let before = self.sim.counters().events;
                self.step_once();
                self.note_hit(before);
                self.snapshot();
                true
            }
            Msg::SetBreakpoint(bp) => {
                self.sim.set_breakpoint(bp);
                true
            }
            Msg::Speed(p) => {
                self.speed_pos = p.min(SPEED_MAX);
                true
            }
            Msg::SpeedBy(d) => {
                self.speed_pos = (self.speed_pos as i32 + d).clamp(0, SPEED_MAX as i32) as u32;
                true
            }
            Msg::Cmd(cmd, origin) => {
                let ok = self.apply(cmd, origin);
                if ok && origin != Origin::Banner {
                    self.notes[origin.index()] = Some(Ok("Applied.".into()));
                }
                self.snapshot();
                true
            }
            Msg::ToggleDc(d) => {
                let cmd = if self.sim.is_up(d) {
                    UserCommand::Kill(d)
                } else {
                    UserCommand::Revive(d)
                };
                self.apply(cmd, Origin::Banner);
                self.snapshot();
                true
            }
            Msg::ToggleLink(a, b) => {
                let cut = self
                    .pieces
                    .topo
                    .links
                    .iter()
                    .any(|l| l.from == a && l.to == b && l.cut);
                let cmd = if cut {
                    UserCommand::HealLink { from: a, to: b }
                } else {
                    UserCommand::CutLink { from: a, to: b }
                };
                self.apply(cmd, Origin::Network);
                self.snapshot();
                true
            }
            Msg::SelectTxn(t) => {
                self.selected_txn = t;
                true
            }
            Msg::SelectDc(d) => {
                self.selected_dc = if self.selected_dc == d { None } else { d };
                true
            }
            Msg::Focus { txn, dc } => {
                if let Some(t) = txn {
                    self.selected_txn = Some(t);
                    self.tab = Tab::Txn;
                }
                if dc.is_some() {
                    self.selected_dc = dc;
                }
                true
            }
            Msg::Tab(t) => {
                self.tab = t;
                if t == Tab::Data {
                    self.refresh_data(true);
                }
                true
            }
            Msg::ToggleKind(k) => {
                self.hidden_kinds ^= kind_bit(k);
                true
            }
            Msg::NewRun(cfg) => {
                match Sim::new((*cfg).clone()) {
                    Ok(sim) => {
                        self.restart(sim, *cfg, VecDeque::new());
                        self.notes[Origin::NewRun.index()] = Some(Ok("New run started.".into()));
                    }
                    Err(e) => self.notes[Origin::NewRun.index()] = Some(Err(e.to_string().into())),
                }
                true
            }
            Msg::Import(text) => {
                let res = parse_scenario(&text).and_then(|sc| {
                    Sim::new(sc.config.clone())
                        .map(|sim| (sim, sc))
                        .map_err(|e| crate::sim::InputError(e.to_string()))
                });
                match res {
                    Ok((sim, sc)) => {
                        let n = sc.commands.len();
                        self.restart(sim, sc.config, sc.commands.into_iter().collect());
                        self.notes[Origin::Scenario.index()] = Some(Ok(format!(
                            "Imported: a new run with {n} scheduled command(s)."
                        )
                        .into()));
                    }
                    Err(e) => {
                        self.notes[Origin::Scenario.index()] = Some(Err(e.to_string().into()))
                    }
                }
                true
            }
            Msg::Issue(cmd) => {
                let req = self.sim.next_req();
                if self.apply(cmd, Origin::Operate) {
                    self.last_op = Some(req);
                    self.notes[Origin::Operate.index()] =
                        Some(Ok(format!("Issued as request #{}.", req.0).into()));
                }
                self.snapshot();
                true
            }
            Msg::Note(o, n) => {
                self.set_note(o, n);
                true
            }
            Msg::Export => {
                // Computed here: only the App knows the recorded commands.
                self.export = Some(self.scenario_text().into());
                self.notes[Origin::Scenario.index()] = Some(Ok(format!(
                    "Exported {} command(s); copy the text to keep it.",
                    self.recorded.len() + self.pending.len()
                )
                .into()));
                true
            }
            Msg::DismissError => {
                self.error = None;
                true
            }
            Msg::CycleTheme => {
                self.theme = match self.theme {
                    Theme::Auto => Theme::Light,
                    Theme::Light => Theme::Dark,
                    Theme::Dark => Theme::Auto,
                };
                self.apply_theme();
                true
            }
            Msg::ToggleLarge => {
                self.large = !self.large;
                true
            }
            Msg::ToggleHelp => {
                self.help = !self.help;
                true
            }
            Msg::Key(k) => match k.as_str() {
                " " => <Self as Component>::update(self, _ctx, Msg::TogglePlay),
                "s" | "S" => <Self as Component>::update(self, _ctx, Msg::Step),
                "+" | "=" => <Self as Component>::update(self, _ctx, Msg::SpeedBy(100)),
                "-" | "_" => <Self as Component>::update(self, _ctx, Msg::SpeedBy(-100)),
                "?" => <Self as Component>::update(self, _ctx, Msg::ToggleHelp),
                "Escape" => {
                    self.help = false;
                    true
                }
                _ => false,
            },
        }
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        if let (Some(cb), Some(doc)) = (
            self.keys.take(),
            web_sys::window().and_then(|w| w.document()),
        ) {
            let _ = doc.remove_event_listener_with_callback("keydown", cb.as_ref().unchecked_ref());
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let p = &self.pieces;
        let cbs = &self.cbs;
        let link = ctx.link();
        let error = self.error.as_ref().map(|e| {
            html! {
                <div class="error-banner" role="alert" data-testid="error">
                    <span>{ e.clone() }</span>
                    <button class="ghost" data-testid="error-dismiss" onclick={link.callback(|_| Msg::DismissError)} title="Dismiss">{ "✕" }</button>
                </div>
            }
        });
        let tabs = Tab::ALL.iter().map(|&t| {
            let badge = match t {
                Tab::Findings if !p.findings.is_empty() => {
                    // Red only for violations; expected findings (a setting's price) are amber.
                    let bad = p.findings.iter().any(|f| f.kind.is_violation());
                    html! { <span class={classes!("badge", (!bad).then_some("warn"))} data-testid="findings-count"
                        data-violations={bad.to_string()}>{ p.findings.len() }</span> }
                }
                Tab::Txn => {
                    let n: usize = p.snap.dcs.iter().map(|d| d.in_doubt).sum();
                    if n > 0 { html! { <span class="badge warn" title="participants prepared or in doubt">{ n }</span> } } else { html! {} }
                }
                _ => html! {},
            };
            let tab_cb = cbs.tab.clone();
            html! {
                <button key={t.key()} role="tab" aria-selected={(t == self.tab).to_string()}
                    class={classes!("tab", (t == self.tab).then_some("active"))}
                    data-testid={format!("tab-{}", t.key())}
                    onclick={Callback::from(move |_| tab_cb.emit(t))}>
                    { t.title() }{ badge }
                </button>
            }
        });
        let note = |o: Origin| self.notes[o.index()].clone();
        let panel = match self.tab {
            Tab::Ring => html! {
                <RingPanel ring={p.ring.clone()} topo={p.topo.clone()} config={p.config.clone()} cbs={cbs.clone()} note={note(Origin::Ring)}
                    selected_dc={self.selected_dc} />
            },
            Tab::Txn => html! {
                <TxnPanel txns={p.txns.clone()} topo={p.topo.clone()} now={p.snap.now} selected={self.selected_txn} cbs={cbs.clone()} />
            },
            Tab::Data => html! {
                <DataPanel data={self.data.clone()} snap={p.snap.clone()} topo={p.topo.clone()} />
            },
            Tab::Metrics => {
                html! { <MetricsPanel metrics={p.metrics.clone()} topo={p.topo.clone()} /> }
            }
            Tab::Log => html! {
                <LogPanel events={p.events.clone()} topo={p.topo.clone()} cbs={cbs.clone()} selected_dc={self.selected_dc} selected_txn={self.selected_txn} />
            },
            Tab::Findings => {
                html! { <FindingsPanel findings={p.findings.clone()} cbs={cbs.clone()} selected_txn={self.selected_txn} /> }
            }
            Tab::Settings => html! {
                <SettingsPanel config={p.config.clone()} topo={p.topo.clone()} cbs={cbs.clone()}
                    settings_note={note(Origin::Settings)} latency_note={note(Origin::Latency)} network_note={note(Origin::Network)}
                    new_run_note={note(Origin::NewRun)} scenario_note={note(Origin::Scenario)} export={self.export.clone()} />
            },
            Tab::Operate => html! {
                <OperatePanel config={p.config.clone()} topo={p.topo.clone()} cbs={cbs.clone()} note={note(Origin::Operate)}
                    last_op={self.last_op} events={p.events.clone()} />
            },
        };
        html! {
            <div class={classes!("app", self.large.then_some("large"))} data-testid="app">
                <Controls running={self.running} speed_pos={self.speed_pos} speed={speed_of(self.speed_pos)} achieved={self.achieved}
                    now={p.snap.now} seed={p.snap.seed} theme={self.theme} large={self.large} cbs={cbs.clone()}
                    pending={self.pending.len()} breakpoint={self.sim.breakpoint()} hit={self.bp_hit.clone()} />
                { for error }
                <main class="layout">
                    <section class="panel map-panel" aria-label="World map">
                        <WorldMap snap={p.snap.clone()} topo={p.topo.clone()} selected_txn={self.selected_txn}
                            selected_dc={self.selected_dc} hidden_kinds={self.hidden_kinds} cbs={cbs.clone()} />
                    </section>
                    <section class="panel side" aria-label="Datacenters and failure detectors">
                        <DcTable snap={p.snap.clone()} cbs={cbs.clone()} selected_dc={self.selected_dc} />
                        <DetectorMatrix views={p.views.clone()} selected_dc={self.selected_dc} />
                    </section>
                    <section class="panel tabs-panel">
                        <nav class="tabs" role="tablist">{ for tabs }</nav>
                        <div class="tab-body" role="tabpanel">{ panel }</div>
                    </section>
                </main>
                if self.help {
                    <Help on_close={cbs.help.clone()} />
                }
            </div>
        }
    }
}
