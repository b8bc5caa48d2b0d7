//! The top-level component: reduces `Action`s over the run (the core's `Session`: the
//! `Sim`, replay, pacing) and the view state, owns the web glue (the frame loop, the wall
//! clock, the key listener) and lays out the components.
//!
//! Invariants:
//! - The `Session` lives here only; it changes only in `update`, and every successful
//!   user command goes through `Session::apply`, which logs it on the current branch
//!   (acting in the past forks a new one). Seeks (scrubber, markers, keys) go through
//!   `Session::seek*`, which pause; the timeline bar's picture (`TimelinePieces`) is read
//!   after every move, with the snapshot.
//! - A `#run=<link>` fragment opens that run (paused) instead of the query's settings; a
//!   broken one is named in the banner and the query's run goes on.
//! - A tick per animation frame; frames alternate between simulating (the session decides
//!   how much simulated time the wall Δt buys: speed, budget, breakpoint; the budget
//!   follows the frames, `FrameBudget`: late frames shrink it) and drawing (at most one
//!   snapshot and one render), so no frame holds both.
//! - While the run plays, the clock, the messages in flight (`Flight`) and the timeline
//!   bar follow every drawing frame; the snapshot (DCs, tables, panels) at most every
//!   `PanelPace::ms` — 250 ms, stretched up to a second while those redraws make their
//!   frames late (tables and lists redrawn every frame cost more than they tell).
//!   Anything else that moves the run (a pause at a hit, step, seek, command, selection)
//!   takes a snapshot at once, and so does every drawing frame while paused.
//! - A refused command leaves the sim unchanged and its message lands next to the control
//!   that sent it (`Origin`).
//! - Callbacks handed to components are made once in `create`, so props compare equal.
//! - `window.tablestore` (`js_api`, docs/JS_API.md) reads the session through the shared
//!   `Rc<RefCell<…>>` between updates only (JS runs no script while `update` runs); the
//!   `JsApi` holding its closures is owned here and uninstalls itself when the App goes.
//! - `?embed=<view>` changes only the layout (`embed_view`: that view and `EmbedBar`);
//!   the reducer, the session and the components are the whole page's.

use crate::sim::lesson::{all_lessons, Lesson};
use crate::sim::pacing::{FrameBudget, PanelPace};
use crate::sim::{
    parse_scenario, scenario_json, settings_from_query_with, BranchInfo, DcId, Marker, MsgKind,
    Progress, Session, SimConfig, SimTime, TableId, TableSnap, TxnId, UserCommand,
};
use crate::ui::components::announcer::Announcer;
use crate::ui::components::{
    controls::Controls, data::DataPanel, dcs::DcTable, embed::EmbedBar, explore::ExplorePanel,
    findings::FindingsPanel, help::Help, lessons::Entry, lessons::LessonPanel,
    lessons::LessonsList, log::LogPanel, lookup::KeyLookupPanel, map::WorldMap,
    matrix::DetectorMatrix, metrics::MetricsPanel, operate::OperatePanel, ring::RingPanel,
    settings::SettingsPanel, tabs::TabBar, timeline::TimelineBar, txn::TxnPanel,
};
use crate::ui::js_api::{JsApi, Shared};
use crate::ui::state::lessons::{LessonRun, Recap};
use crate::ui::state::pieces::keep_or;
use crate::ui::state::url::{bug_fragment, full_page_query, page_param_names, run_fragment};
use crate::ui::state::{
    lookup_view, Action, BreakpointHit, Embed, Flight, LookupView, Origin, PageParams, Pieces, Tab,
    ViewState,
};
use crate::ui::web::{self, Frames, KeyListener, WallClock};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Data view refresh at most this often (it walks every stored row).
const DATA_EVERY_MS: f64 = 250.0;
/// Rows per table in the data view.
const DATA_ROWS: usize = 64;

#[derive(Properties, PartialEq, Clone)]
pub struct AppProps {
    /// URL query (`?seed=7&dcs=6…`) to configure the run from; `None` reads the page URL.
    #[prop_or_default]
    pub query: Option<AttrValue>,
    /// Start running immediately.
    #[prop_or(true)]
    pub autoplay: bool,
    /// URL fragment (`#run=<link>`) to open a shared run from; `None` reads the page URL.
    #[prop_or_default]
    pub fragment: Option<AttrValue>,
}

impl Default for AppProps {
    fn default() -> Self {
        AppProps {
            query: None,
            autoplay: true,
            fragment: None,
        }
    }
}

/// The callbacks handed to components, made once.
struct Callbacks {
    action: Callback<Action>,
    toggle_dc: Callback<DcId>,
    select_dc: Callback<Option<DcId>>,
    toggle_link: Callback<(DcId, DcId)>,
    toggle_kind: Callback<MsgKind>,
    select_txn: Callback<Option<TxnId>>,
    focus: Callback<(Option<TxnId>, Option<DcId>)>,
    ring_command: Callback<UserCommand>,
    lookup: Callback<(TableId, String)>,
    issue: Callback<UserCommand>,
    tab: Callback<Tab>,
    help: Callback<()>,
    link_at: Callback<SimTime>,
}

impl Callbacks {
    fn new(link: &yew::html::Scope<App>) -> Callbacks {
        Callbacks {
            action: link.callback(|a| a),
            toggle_dc: link.callback(Action::ToggleDc),
            select_dc: link.callback(Action::SelectDc),
            toggle_link: link.callback(|(a, b)| Action::ToggleLink(a, b)),
            toggle_kind: link.callback(Action::ToggleKind),
            select_txn: link.callback(Action::SelectTxn),
            focus: link.callback(|(txn, dc)| Action::Focus { txn, dc }),
            ring_command: link.callback(|c| Action::Command(c, Origin::Ring)),
            lookup: link.callback(|(t, k)| Action::Lookup(t, k)),
            issue: link.callback(|c| Action::Command(c, Origin::Operate)),
            tab: link.callback(Action::Tab),
            help: link.callback(|_| Action::ToggleHelp),
            link_at: link.callback(Action::ShareLinkAt),
        }
    }
}

/// What the timeline bar draws, read from the session after each move; the lists keep
/// their `Rc` while unchanged.
struct TimelinePieces {
    now: SimTime,
    /// Events run by now.
    events: u64,
    end: SimTime,
    markers: Rc<Vec<Marker>>,
    branches: Rc<Vec<BranchInfo>>,
    branch: AttrValue,
    trace_hash: u64,
}

impl TimelinePieces {
    fn of(s: &Session) -> TimelinePieces {
        let mut t = TimelinePieces {
            now: SimTime::ZERO,
            events: 0,
            end: SimTime::ZERO,
            markers: Rc::new(Vec::new()),
            branches: Rc::new(Vec::new()),
            branch: AttrValue::default(),
            trace_hash: 0,
        };
        t.update(s, true);
        t
    }

    /// Reads the bar's picture of the run; the markers only `with_markers` (while the run
    /// plays, at the panels' pace: at 10× the newest 50 decisions are new at every frame,
    /// and redrawing them every frame made ~900 buttons a second for the browser to
    /// collect).
    fn update(&mut self, s: &Session, with_markers: bool) {
        let tl = s.timeline();
        self.now = tl.now();
        self.events = tl.sim().steps();
        self.end = tl.end();
        self.trace_hash = tl.trace_hash();
        if *self.branch != *tl.branch_name() {
            self.branch = AttrValue::from(tl.branch_name().to_string());
        }
        if with_markers {
            keep_or(&mut self.markers, s.markers());
        }
        keep_or(&mut self.branches, tl.branches());
    }
}

/// The data view's rows and when they were taken (wall ms).
struct DataRows {
    rows: Rc<Vec<TableSnap>>,
    at: f64,
}

pub struct App {
    /// The run: simulation, recorded and pending commands, pacing.
    session: Rc<RefCell<Session>>,
    /// The breakpoint hit the page shows, for `window.tablestore` (set after each render).
    shown_hit: Rc<RefCell<Option<BreakpointHit>>>,
    /// `window.tablestore` (docs/JS_API.md), removed when the App goes.
    _js_api: Option<JsApi>,
    /// The last snapshot, cut into pieces that keep their `Rc` while unchanged.
    pieces: Pieces,
    /// When `pieces` was last taken (wall ms).
    pieces_at: f64,
    /// The clock and the messages in flight, taken every drawing frame.
    flight: Rc<Flight>,
    data: DataRows,
    /// The placement tab's key lookup: the core's answer for the typed key, now.
    lookup: Rc<LookupView>,
    /// What the person looks at.
    view: ViewState,
    /// The timeline bar's picture of the run.
    tl: TimelinePieces,
    /// The last share link made (the page URL with `#run=<link>`).
    share_url: Option<AttrValue>,
    /// Says which branch the last fork started (until the next move elsewhere).
    fork_note: Option<AttrValue>,
    /// An embedded view's link to the full playground (`?…`, the same parameters).
    full_href: AttrValue,
    /// Every compiled-in lesson that parses (the core's test proves they all do).
    lessons: Rc<Vec<Lesson>>,
    /// The lessons list's entries, made once.
    lesson_entries: Rc<Vec<Entry>>,
    /// The lessons list is shown (the Learn button).
    lessons_open: bool,
    /// The open lesson: its step, its tasks done.
    lesson: Option<LessonRun>,
    /// Why `?lesson=<id>` opened nothing.
    lesson_error: Option<AttrValue>,
    clock: WallClock,
    /// How long a tick may simulate, fitted to the frames the page gets.
    budget: FrameBudget,
    /// How often the panels redraw while the run plays.
    panel_pace: PanelPace,
    /// The last drawing frame redrew the panels because their interval was up.
    panel_frame: bool,
    /// When the last frame's tick ran (wall ms).
    last_frame: f64,
    /// This frame simulates (the next one draws).
    odd_frame: bool,
    /// The run moved since it was last drawn.
    unshown: bool,
    /// The last frame simulated (the next one tells whether it fit).
    simulated: bool,
    _frames: Frames,
    _keys: Option<KeyListener>,
    cbs: Callbacks,
}

impl App {
    /// Takes a snapshot (and the messages in flight).
    fn snapshot(&mut self) {
        self.snapshot_if(true);
    }

    /// Takes the messages in flight, and a snapshot if `all`, if the run is paused or if
    /// the last one is `PanelPace::ms` old.
    fn snapshot_if(&mut self, all: bool) {
        let now = web::wall_ms();
        let running = self.session.borrow().pacing().running();
        let by_time = !all && running && now - self.pieces_at >= self.panel_pace.ms();
        let due = all || !running || by_time;
        // Its cost is judged at the next frame (`tick`).
        self.panel_frame = by_time;
        if due {
            // The selected transaction stays in the picture however many newer ones arrive.
            let snap = self
                .session
                .borrow()
                .sim()
                .snapshot_pinning(self.view.selected_txn);
            self.flight = Rc::new(Flight {
                now: snap.now,
                msgs: snap.in_flight.clone(),
            });
            self.pieces.update(snap);
            self.pieces_at = now;
        } else {
            self.flight = Rc::new(Flight::of(self.session.borrow().sim()));
        }
        self.tl.update(&self.session.borrow(), due);
        if !due {
            return;
        }
        if self.view.shows(Tab::Data) {
            self.refresh_data(false);
        }
        if self.view.shows(Tab::Ring) {
            self.refresh_lookup();
        }
    }

    /// Asks the core again where the typed key lives (a placement or membership change,
    /// a failover or a write moves the answer); keeps the `Rc` while it is unchanged.
    fn refresh_lookup(&mut self) {
        let (table, key) = &self.view.lookup;
        keep_or(
            &mut self.lookup,
            lookup_view(self.session.borrow().sim(), *table, key),
        );
    }

    fn refresh_data(&mut self, force: bool) {
        let now = web::wall_ms();
        if force || now - self.data.at >= DATA_EVERY_MS {
            self.data.at = now;
            keep_or(
                &mut self.data.rows,
                self.session.borrow().sim().data_view(DATA_ROWS),
            );
        }
    }

    /// Applies a command now; on success clears the note of `origin`, on refusal shows
    /// the message there.
    fn command(&mut self, cmd: UserCommand, origin: Origin) -> bool {
        let res = self.session.borrow_mut().apply(cmd);
        match res {
            Ok(forked) => {
                // A live transaction stops at PrepareSent like a scripted one.
                let hit = self.session.borrow_mut().take_command_hit();
                if let Some(hit) = hit {
                    let names = &self.pieces.topo.names;
                    let hit = BreakpointHit::explain(&hit, names, &self.pieces.config);
                    self.view.show_hit(hit);
                }
                if let Some(name) = forked {
                    // The bar still shows the branch acted on (it is read after the command).
                    let parent = self.tl.branch.clone();
                    self.fork_note = Some(
                        format!(
                            "Acting in the past started branch {name}; {parent} keeps its future (pick it in the branch menu)."
                        )
                        .into(),
                    );
                }
                if origin != Origin::Banner {
                    self.view.set_note(origin, None);
                }
                true
            }
            Err(e) => {
                self.view.set_note(origin, Some(Err(e.to_string().into())));
                false
            }
        }
    }

    /// Shows what a tick or step did besides moving the clock: a replayed command's
    /// outcome, a breakpoint hit.
    fn progress(&mut self, p: Progress) {
        if let Some(r) = p.replayed {
            self.view
                .set_note(Origin::Scenario, r.err().map(|e| Err(e.to_string().into())));
        }
        if let Some(hit) = p.hit {
            let names = &self.pieces.topo.names;
            let hit = BreakpointHit::explain(&hit, names, &self.pieces.config);
            self.view.show_hit(hit);
        }
    }

    /// The run moved to another moment (a seek, a branch): draw it there, whatever the
    /// tab shows.
    fn moved(&mut self) {
        self.view.hit = None;
        self.fork_note = None;
        self.snapshot();
        self.refresh_data(true);
        self.refresh_lookup();
    }

    /// Puts the page's URL with `#run=<link>` into the share box.
    fn share(&mut self, link: String) {
        self.share_url = Some(format!("{}#run={link}", web::page_url()).into());
    }

    /// A new run has started in the session: draw it from scratch.
    fn restarted(&mut self) {
        self.view.forget_run();
        self.share_url = None;
        self.fork_note = None;
        self.pieces = Pieces::new(self.session.borrow().sim().snapshot());
        self.pieces_at = web::wall_ms();
        self.flight = Rc::new(Flight::of(self.session.borrow().sim()));
        self.tl.update(&self.session.borrow(), true);
        self.refresh_data(true);
        self.refresh_lookup();
    }

    /// Stops the run; everything shows the instant it stopped at (while playing, the
    /// snapshot may be a few frames old).
    fn pause(&mut self) {
        self.session.borrow_mut().pacing_mut().pause();
        self.snapshot();
        self.unshown = false;
    }

    /// Runs on from where it is; a breakpoint note goes away, and the time spent paused
    /// is not owed.
    fn play(&mut self) {
        self.view.hit = None;
        self.session.borrow_mut().pacing_mut().play();
        self.clock.reset();
    }

    /// Opens lesson `id`: its run from the start (client history kept), paused, at
    /// step 1 (offering the saved step). An unknown id is named in the lessons list and
    /// the run goes on.
    fn open_lesson(&mut self, id: &str) {
        let Some(lesson) = self.lessons.iter().find(|l| l.id == id).cloned() else {
            let ids: Vec<&str> = self.lessons.iter().map(|l| l.id.as_str()).collect();
            self.lesson_error = Some(
                format!(
                    "There is no lesson {id:.40?}. Pick one below (ids: {}); the current run goes on.",
                    ids.join(", ")
                )
                .into(),
            );
            self.lessons_open = true;
            return;
        };
        if let Err(e) = self
            .session
            .borrow_mut()
            .open_lesson(lesson.scenario.clone())
        {
            self.lesson_error = Some(format!("Lesson {id} could not start: {e}").into());
            self.lessons_open = true;
            return;
        }
        self.restarted();
        self.session.borrow_mut().pacing_mut().pause();
        self.clock.reset();
        let saved = web::load_step(id);
        self.lesson = Some(LessonRun::new(lesson, saved));
        self.lessons_open = false;
        self.lesson_error = None;
        self.begin_step(0, None);
    }

    /// Shows step `i` of the open lesson: its task counts events from now, its
    /// `pause_on` is the breakpoint (lessons mode owns it), its tab is shown.
    /// `since`: the event count its task counts from (None: now).
    fn begin_step(&mut self, i: usize, since: Option<u64>) {
        let events = self.session.borrow().sim().counters().events;
        let Some(run) = self.lesson.as_mut() else {
            return;
        };
        run.begin(i, since.unwrap_or(events), web::wall_ms());
        if run.step > 0 {
            run.resume = None;
        }
        let pause_on = run.lesson.steps[run.step].pause_on;
        let tab = run.tab();
        // While step 1 offers to resume, the saved step stays (a reload offers it again).
        if run.resume.is_none() {
            web::save_progress(&run.lesson.id, run.step);
        }
        self.session.borrow_mut().set_breakpoint(pause_on);
        if let Some(t) = tab {
            self.update_tab(t);
        }
        self.check_lesson();
    }

    /// Leaves lessons mode; the run goes on, without the step's breakpoint.
    fn close_lesson(&mut self) {
        if let Some(run) = self.lesson.take() {
            let pause_on = run.lesson.steps[run.step].pause_on;
            if pause_on.is_some() && self.session.borrow().breakpoint() == pause_on {
                self.session.borrow_mut().set_breakpoint(None);
            }
        }
        self.lessons_open = false;
    }

    /// Checks the open lesson's task and hint; whether the panel changed.
    fn check_lesson(&mut self) -> bool {
        let session = self.session.borrow();
        match self.lesson.as_mut() {
            Some(run) => run.check(session.sim(), web::wall_ms()),
            None => false,
        }
    }

    fn update_tab(&mut self, t: Tab) {
        self.view.reduce(Action::Tab(t));
        if t == Tab::Data {
            self.refresh_data(true);
        }
        if t == Tab::Ring {
            self.refresh_lookup();
        }
    }

    /// One animation frame. Frames alternate: one simulates (within the frame budget)
    /// and draws nothing, the next draws what the run reached and simulates nothing, so
    /// neither holds more than a frame's work (drawing is ~30 Hz, as the simulation's
    /// share of the main thread is about half). A breakpoint hit or a replayed command's
    /// outcome is drawn at once.
    fn tick(&mut self) -> bool {
        let now = web::wall_ms();
        // The frame after one that simulated came late: that one held too much, and the
        // simulation yields. (A late drawing frame says nothing about the budget.)
        if std::mem::take(&mut self.simulated) {
            self.budget.note_frame(now - self.last_frame);
        }
        // Likewise a frame that redrew the panels on the clock: late, and they redraw
        // less often.
        if std::mem::take(&mut self.panel_frame) {
            self.panel_pace.note_frame(now - self.last_frame);
        }
        self.last_frame = now;
        self.odd_frame = !self.odd_frame;
        if !self.odd_frame {
            if !std::mem::take(&mut self.unshown) {
                return false;
            }
            self.snapshot_if(false);
            return true;
        }
        let dt = self.clock.lap();
        let p = self
            .session
            .borrow_mut()
            .tick_within(dt, self.budget.ms(), || web::wall_ms() - now);
        let Some(p) = p else {
            return false;
        };
        self.simulated = true;
        if p.hit.is_none() && p.replayed.is_none() {
            self.unshown = true;
            return false;
        }
        // A hit pauses the run: then everything shows the instant it stopped at.
        let all = p.hit.is_some();
        self.progress(p);
        self.snapshot_if(all);
        self.unshown = false;
        true
    }
}

impl App {
    /// The error banner, if there is an error.
    fn error_banner(&self) -> Option<Html> {
        self.view.error.as_ref().map(|e| {
            let dismiss = self.cbs.action.reform(|_: MouseEvent| Action::DismissError);
            html! {
                <div class="error-banner" role="alert" data-testid="error">
                    <span>{ e.clone() }</span>
                    <button class="ghost" data-testid="error-dismiss" onclick={dismiss} title="Dismiss">{ "✕" }</button>
                </div>
            }
        })
    }

    fn map(&self) -> Html {
        let (p, v, cbs) = (&self.pieces, &self.view, &self.cbs);
        html! {
            <WorldMap snap={p.snap.clone()} flight={self.flight.clone()} topo={p.topo.clone()} selected_txn={v.selected_txn}
                selected_dc={v.selected_dc} hidden_kinds={v.hidden_kinds}
                on_select={cbs.select_dc.clone()} on_toggle_link={cbs.toggle_link.clone()} on_toggle_kind={cbs.toggle_kind.clone()} />
        }
    }

    /// The panel of `tab`.
    fn panel(&self, tab: Tab) -> Html {
        let (p, v, cbs) = (&self.pieces, &self.view, &self.cbs);
        match tab {
            Tab::Ring => html! {
                <>
                    <RingPanel ring={p.ring.clone()} topo={p.topo.clone()} config={p.config.clone()} note={v.note(Origin::Ring)}
                        selected_dc={v.selected_dc} on_command={cbs.ring_command.clone()} />
                    <KeyLookupPanel lookup={self.lookup.clone()} topo={p.topo.clone()} config={p.config.clone()}
                        on_lookup={cbs.lookup.clone()} />
                </>
            },
            Tab::Txn => html! {
                <TxnPanel txns={p.txns.clone()} topo={p.topo.clone()} now={p.snap.now} selected={v.selected_txn}
                    on_select={cbs.select_txn.clone()} />
            },
            Tab::Data => html! {
                <DataPanel data={self.data.rows.clone()} snap={p.snap.clone()} topo={p.topo.clone()} />
            },
            Tab::Metrics => {
                html! { <MetricsPanel metrics={p.metrics.clone()} topo={p.topo.clone()} /> }
            }
            Tab::Log => html! {
                <LogPanel events={p.events.clone()} topo={p.topo.clone()} selected_dc={v.selected_dc} selected_txn={v.selected_txn}
                    on_focus={cbs.focus.clone()} />
            },
            Tab::Findings => html! {
                <FindingsPanel findings={p.findings.clone()} counts={p.snap.finding_counts.clone()} selected_txn={v.selected_txn} on_focus={cbs.focus.clone()}
                    on_link={cbs.link_at.clone()} />
            },
            Tab::Settings => html! {
                <SettingsPanel config={p.config.clone()} topo={p.topo.clone()}
                    settings_note={v.note(Origin::Settings)} latency_note={v.note(Origin::Latency)} network_note={v.note(Origin::Network)}
                    new_run_note={v.note(Origin::NewRun)} scenario_note={v.note(Origin::Scenario)} export={v.export.clone()}
                    on_action={cbs.action.clone()} />
            },
            // Kept mounted by `view` (hidden on other tabs), so a run goes on across tabs.
            Tab::Explore => html! {},
            Tab::Operate => html! {
                <OperatePanel config={p.config.clone()} topo={p.topo.clone()} note={v.note(Origin::Operate)}
                    last_op={v.last_op} events={p.events.clone()} on_issue={cbs.issue.clone()} />
            },
        }
    }

    /// One view alone, filling the page (an iframe): the embed bar, the error banner if
    /// any, and the view in a box that scrolls or scales inside itself.
    fn embed_view(&self, e: Embed) -> Html {
        let session = self.session.borrow();
        let pacing = session.pacing();
        let body = match e.tab() {
            Some(tab) => self.panel(tab),
            None => self.map(),
        };
        html! {
            <div class="app embed" data-testid="app" data-embed={e.key()}>
                <EmbedBar view={e} running={pacing.running()} speed_pos={pacing.pos()} speed={pacing.speed()}
                    achieved={pacing.achieved()} now={self.flight.now} hit={self.view.hit.clone()}
                    full_href={self.full_href.clone()} on_action={self.cbs.action.clone()} />
                { for self.error_banner() }
                <section class={classes!("embed-body", format!("embed-{}", e.key()))} data-testid={format!("embed-{}", e.key())}
                    aria-label={e.title()}>
                    { body }
                </section>
            </div>
        }
    }
}

impl Component for App {
    type Message = Action;
    type Properties = AppProps;

    fn create(ctx: &Context<Self>) -> Self {
        let props = ctx.props();
        let query = match &props.query {
            Some(q) => q.to_string(),
            None => web_sys::window()
                .and_then(|w| w.location().search().ok())
                .unwrap_or_default(),
        };
        // Every valid parameter is kept; every refused one is named, all in one message:
        // the run's settings (the core's), then the page's own (`embed`, `tab`, …).
        let mut q = settings_from_query_with(&query, &page_param_names());
        let (page, page_problems) = PageParams::from_query(&query);
        q.problems.extend(page_problems);
        let error = (!q.problems.is_empty()).then(|| {
            let then = if q.defaults_only {
                "Running with the default settings instead."
            } else {
                "The other parameters are applied."
            };
            format!("{} {then}", q.problems.join(" "))
        });
        let cfg = q.cfg;
        let autoplay = page.play.unwrap_or(props.autoplay);
        // `settings_from_query` validated the config; the default is valid by construction.
        let (mut session, error) = match Session::new(cfg, autoplay) {
            Ok(s) => (s, error),
            Err(e) => match Session::new(SimConfig::default(), autoplay) {
                Ok(s) => (
                    s,
                    Some(format!("{e} Running with the default settings instead.")),
                ),
                Err(e2) => panic!("the default configuration is invalid: {e2}"),
            },
        };
        // A shared run (`#run=<link>`) replaces the URL's settings; a broken link is named
        // and the run the URL's settings describe goes on.
        let fragment = match &props.fragment {
            Some(f) => f.to_string(),
            None => web_sys::window()
                .and_then(|w| w.location().hash().ok())
                .unwrap_or_default(),
        };
        let mut error = error;
        if let Some(text) = run_fragment(&fragment) {
            // `&bug=<name>`: an explorer's counterexample for a seeded bug, replayed with it.
            let opened = match bug_fragment(&fragment) {
                Some(name) => open_with_bug(&mut session, text, name),
                None => session.open_link(text).map_err(|e| e.to_string()),
            };
            if let Err(e) = opened {
                let msg = format!("{e} Running a new run instead.");
                error = Some(match error {
                    Some(prev) => format!("{prev} {msg}"),
                    None => msg,
                });
            }
        }
        let link = ctx.link();
        let frames = {
            let link = link.clone();
            Frames::start(move || link.send_message(Action::Tick))
        };
        let cbs = Callbacks::new(link);
        // The page's own parameters: how the run is paced and shown.
        let mut view = ViewState::new(error);
        if let Some(pos) = page.speed_pos {
            session.pacing_mut().set_pos(pos);
        }
        if let Some(bp) = page.pause_at {
            session.set_breakpoint(bp);
        }
        if let Some(t) = page.tab {
            view.tab = t;
        }
        let full_href = match page.embed {
            Some(e) => {
                view.embed(e);
                full_page_query(&query, e).into()
            }
            None => AttrValue::default(),
        };
        let lookup = Rc::new(lookup_view(session.sim(), view.lookup.0, &view.lookup.1));
        let pieces = Pieces::new(session.sim().snapshot());
        let flight = Rc::new(Flight::of(session.sim()));
        let tl = TimelinePieces::of(&session);
        let shared = Shared {
            session: Rc::new(RefCell::new(session)),
            hit: Rc::new(RefCell::new(None)),
        };
        let lessons: Vec<Lesson> = all_lessons().into_iter().filter_map(Result::ok).collect();
        let lesson_entries = lessons
            .iter()
            .map(|l| Entry {
                id: l.id.clone().into(),
                title: l.title.clone().into(),
                summary: l.summary.clone().into(),
                steps: l.steps.len(),
            })
            .collect();
        let mut app = App {
            lessons: Rc::new(lessons),
            lesson_entries: Rc::new(lesson_entries),
            lessons_open: false,
            lesson: None,
            lesson_error: None,
            lookup,
            pieces,
            pieces_at: web::wall_ms(),
            flight,
            session: shared.session.clone(),
            shown_hit: shared.hit.clone(),
            _js_api: JsApi::install(shared),
            data: DataRows {
                rows: Rc::new(Vec::new()),
                at: f64::NEG_INFINITY,
            },
            view,
            tl,
            share_url: None,
            fork_note: None,
            full_href,
            clock: WallClock::new(),
            budget: FrameBudget::new(),
            panel_pace: PanelPace::new(),
            panel_frame: false,
            last_frame: web::wall_ms(),
            odd_frame: false,
            unshown: false,
            simulated: false,
            _frames: frames,
            _keys: KeyListener::install(cbs.action.clone()),
            cbs,
        };
        if let (Some(id), None) = (&page.lesson, page.embed) {
            app.open_lesson(id);
        }
        // An embedded data view is on screen from the start, before any tick.
        if app.view.shows(Tab::Data) {
            app.refresh_data(true);
        }
        app
    }

    fn update(&mut self, _ctx: &Context<Self>, action: Action) -> bool {
        use Action as A;
        match action {
            A::Tick => {
                let moved = self.tick();
                let changed = self.check_lesson();
                return moved || changed;
            }
            A::ToggleLessons => {
                self.lessons_open = !(self.lessons_open || self.lesson.is_some());
                self.lesson = None;
            }
            A::OpenLesson(id) => self.open_lesson(&id),
            A::LessonNext | A::LessonKey(true) => {
                let events = self.session.borrow().sim().counters().events;
                if let Some((i, since)) = self
                    .lesson
                    .as_ref()
                    .filter(|r| r.can_next())
                    .map(|r| (r.step + 1, r.next_since(events)))
                {
                    self.begin_step(i, Some(since));
                }
            }
            A::LessonPrev | A::LessonKey(false) => {
                if let Some(i) = self
                    .lesson
                    .as_ref()
                    .filter(|r| r.step > 0)
                    .map(|r| r.step - 1)
                {
                    self.begin_step(i, None);
                }
            }
            A::LessonResume => {
                if let Some(i) = self.lesson.as_mut().and_then(|r| r.resume.take()) {
                    // The narration resumes there; the run starts over (the learner's
                    // earlier actions are not replayed), so earlier tasks count as seen.
                    if let Some(run) = self.lesson.as_mut() {
                        for d in run.done.iter_mut().take(i) {
                            *d = true;
                        }
                    }
                    self.begin_step(i, None);
                }
            }
            A::LessonReset => {
                if let Some(id) = self.lesson.as_ref().map(|r| r.lesson.id.clone()) {
                    self.open_lesson(&id);
                    if let Some(run) = self.lesson.as_mut() {
                        run.resume = None;
                    }
                }
            }
            A::LessonClose => self.close_lesson(),
            A::CloseHelp if !self.view.help => self.close_lesson(),
            A::Play => self.play(),
            A::Pause => self.pause(),
            A::TogglePlay => {
                let running = self.session.borrow().pacing().running();
                if running {
                    self.pause();
                } else {
                    self.play();
                }
            }
            A::Step => {
                self.view.hit = None;
                let p = self.session.borrow_mut().step();
                self.progress(p);
                self.snapshot();
            }
            A::Breakpoint(bp) => self.session.borrow_mut().set_breakpoint(bp),
            A::KeepBreakpoint(keep) => self.session.borrow_mut().set_keep_breakpoint(keep),
            A::Speed(pos) => self.session.borrow_mut().pacing_mut().set_pos(pos),
            A::SpeedBy(by) => self.session.borrow_mut().pacing_mut().nudge(by),
            A::Command(cmd, origin) => {
                // A manual operation's request id, to show its result.
                let req = matches!(cmd, UserCommand::Issue { .. })
                    .then(|| self.session.borrow().next_req());
                if self.command(cmd, origin) && origin != Origin::Banner {
                    let text = match req {
                        Some(r) if origin == Origin::Operate => {
                            self.view.last_op = Some(r);
                            format!("Issued as request #{}.", r.0)
                        }
                        _ => "Applied.".to_string(),
                    };
                    self.view.set_note(origin, Some(Ok(text.into())));
                }
                self.snapshot();
            }
            A::ToggleDc(d) => {
                let up = self.session.borrow().sim().is_up(d);
                let cmd = if up {
                    UserCommand::Kill(d)
                } else {
                    UserCommand::Revive(d)
                };
                self.command(cmd, Origin::Banner);
                self.snapshot();
            }
            A::ToggleLink(from, to) => {
                // As drawn: the link the person clicked shows this state.
                let cut = self
                    .pieces
                    .topo
                    .links
                    .iter()
                    .any(|l| l.from == from && l.to == to && l.cut);
                let cmd = if cut {
                    UserCommand::HealLink { from, to }
                } else {
                    UserCommand::CutLink { from, to }
                };
                self.command(cmd, Origin::Network);
                self.snapshot();
            }
            A::NewRun(cfg) => {
                let res = self.session.borrow_mut().new_run(*cfg);
                let note = match res {
                    Ok(()) => {
                        self.restarted();
                        self.lesson = None;
                        Ok("New run started.".into())
                    }
                    Err(e) => Err(e.to_string().into()),
                };
                self.view.set_note(Origin::NewRun, Some(note));
            }
            A::Import(text) => {
                let res = parse_scenario(&text).and_then(|sc| {
                    self.session
                        .borrow_mut()
                        .import(sc)
                        .map_err(|e| crate::sim::InputError(e.to_string()))
                });
                let note = match res {
                    Ok(n) => {
                        self.restarted();
                        self.lesson = None;
                        Ok(format!("Imported: a new run with {n} scheduled command(s).").into())
                    }
                    Err(e) => Err(e.to_string().into()),
                };
                self.view.set_note(Origin::Scenario, Some(note));
            }
            A::OpenCounterexample { scenario, bug } => {
                let bugs = match bug.as_deref() {
                    None => Ok(crate::sim::Bugs::default()),
                    Some(name) => crate::sim::explore::api::bugs_named(name)
                        .ok_or_else(|| format!("There is no seeded bug {name:?}.")),
                };
                let res = bugs.and_then(|bugs| {
                    let sc = parse_scenario(&scenario).map_err(|e| e.to_string())?;
                    self.session
                        .borrow_mut()
                        .open_with_bugs(sc, bugs)
                        .map_err(|e| e.to_string())
                });
                let note = match res {
                    Ok(()) => {
                        self.restarted();
                        Ok("Opened the explorer's counterexample as the run.".into())
                    }
                    Err(e) => Err(e.into()),
                };
                self.view.set_note(Origin::Scenario, Some(note));
            }
            A::Export => {
                let sc = self.session.borrow().scenario();
                self.view.export = Some(scenario_json(&sc).into());
                self.view.set_note(
                    Origin::Scenario,
                    Some(Ok(format!(
                        "Exported {} command(s); copy the text to keep it.",
                        sc.commands.len()
                    )
                    .into())),
                );
            }
            A::Tab(t) => self.update_tab(t),
            A::Seek(t) => {
                self.session.borrow_mut().seek(t);
                self.moved();
            }
            A::SeekBy(ms) => {
                let now = self.session.borrow().sim().now();
                let t = if ms < 0 {
                    SimTime(now.0.saturating_sub(ms.unsigned_abs()))
                } else {
                    now.plus(ms.unsigned_abs())
                };
                self.session.borrow_mut().seek(t);
                self.moved();
            }
            A::StepBack => {
                self.session.borrow_mut().step_back();
                self.moved();
            }
            A::SeekStart => {
                self.session.borrow_mut().seek(SimTime::ZERO);
                self.moved();
            }
            A::SeekEnd => {
                let end = self.session.borrow().timeline().end();
                self.session.borrow_mut().seek(end);
                self.moved();
            }
            A::SwitchBranch(name) => {
                if !self.session.borrow_mut().switch_to(&name) {
                    self.view.error = Some(format!("There is no branch named {name:.40}."));
                }
                self.moved();
            }
            A::ShareLink => {
                let link = self.session.borrow().link();
                self.share(link);
            }
            A::ShareLinkAt(t) => {
                let link = self.session.borrow().link_at(t);
                self.share(link);
            }
            A::Lookup(table, key) => {
                self.view.lookup = (table, key);
                self.refresh_lookup();
            }
            A::CycleTheme => {
                self.view.reduce(A::CycleTheme);
                web::apply_theme(self.view.theme);
            }
            select @ (A::SelectTxn(_) | A::Focus { .. }) => {
                self.view.reduce(select);
                // A transaction picked from the log or the checker may be older than the
                // snapshot's newest ones: take it into the picture now, even paused.
                self.snapshot();
            }
            view => return self.view.reduce(view),
        }
        true
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        // `window.tablestore.snapshot()` reports the hit the page shows now.
        if let Ok(mut hit) = self.shown_hit.try_borrow_mut() {
            if *hit != self.view.hit {
                hit.clone_from(&self.view.hit);
            }
        }
        // What the lesson's step points at wears `.lesson-focus` (nothing without one).
        let focus = match (&self.lesson, self.session.try_borrow()) {
            (Some(run), Ok(s)) => run.focus_selectors(s.sim()),
            _ => Vec::new(),
        };
        web::highlight(&focus);
    }

    fn view(&self, _ctx: &Context<Self>) -> Html {
        let p = &self.pieces;
        let v = &self.view;
        let cbs = &self.cbs;
        let session = self.session.borrow();
        let pacing = session.pacing();
        if let Some(e) = v.embed {
            return self.embed_view(e);
        }
        let error = self.error_banner();
        let panel = self.panel(v.tab);
        let in_doubt: usize = p.snap.dcs.iter().map(|d| d.in_doubt).sum();
        html! {
            <div class={classes!("app", v.large.then_some("large"))} data-testid="app">
                <Controls running={pacing.running()} speed_pos={pacing.pos()} speed={pacing.speed()} achieved={pacing.achieved()}
                    now={self.flight.now} seed={p.snap.seed} theme={v.theme} large={v.large}
                    pending={session.pending()} breakpoint={session.breakpoint()}
                    keep_breakpoint={session.keeps_breakpoint()} hit={v.hit.clone()}
                    bugs={session.timeline().bugs_if_any().map(|b| b.set_names()).unwrap_or_default()}
                    learning={self.lessons_open || self.lesson.is_some()} on_action={cbs.action.clone()} />
                <TimelineBar now={self.tl.now} events={self.tl.events} end={self.tl.end} markers={self.tl.markers.clone()}
                    branches={self.tl.branches.clone()} branch={self.tl.branch.clone()} trace_hash={self.tl.trace_hash}
                    share_url={self.share_url.clone()} fork_note={self.fork_note.clone()} on_action={cbs.action.clone()} />
                { for error }
                if let Some(run) = &self.lesson {
                    <LessonPanel step={run.view(&p.topo.names, Some(Recap::of(&p.snap)))} on_action={cbs.action.clone()} />
                } else if self.lessons_open {
                    <LessonsList entries={self.lesson_entries.clone()} error={self.lesson_error.clone()} on_action={cbs.action.clone()} />
                }
                <main class="layout">
                    <section class="panel map-panel" aria-label="World map">{ self.map() }</section>
                    <section class="panel side" aria-label="Datacenters and failure detectors">
                        <DcTable snap={p.snap.clone()} selected_dc={v.selected_dc}
                            on_toggle={cbs.toggle_dc.clone()} on_select={cbs.select_dc.clone()} />
                        <DetectorMatrix views={p.views.clone()} selected_dc={v.selected_dc} />
                    </section>
                    <section class="panel tabs-panel" aria-label="Panels">
                        <TabBar current={v.tab} findings={p.snap.finding_counts.clone()} in_doubt={in_doubt} on_tab={cbs.tab.clone()} />
                        <div class="tab-body" role="tabpanel">{ panel }
                            <div hidden={v.tab != Tab::Explore}><ExplorePanel on_action={cbs.action.clone()} /></div>
                        </div>
                    </section>
                </main>
                if v.help {
                    <Help on_close={cbs.help.clone()} />
                }
                <Announcer events={p.events.clone()} topo={p.topo.clone()} />
            </div>
        }
    }
}

/// Opens the run a link names with seeded bug `name` in every node, run to its end.
fn open_with_bug(session: &mut Session, text: &str, name: &str) -> Result<(), String> {
    let bugs = crate::sim::explore::api::bugs_named(name)
        .ok_or_else(|| format!("The link names no seeded bug {name:.40?}."))?;
    let run = crate::sim::link::decode(text).map_err(|e| e.to_string())?;
    session
        .open_with_bugs(run.scenario, bugs)
        .map_err(|e| e.to_string())
}
