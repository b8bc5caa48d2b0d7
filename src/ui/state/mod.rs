//! What the UI's components share with the App: the one `Action` type its reducer takes,
//! the small types of the view state, and the snapshot pieces the views draw.
//!
//! Invariants:
//! - Components import from here (and from `fmt` and the core), never from `app`: the
//!   imports run components → state → core and app → {components, state}, without a
//!   circle (`python3 /work/shared/tools/rust_circles.py .` checks it).
//! - `Action` is the only message of `App::update`. A component either sends actions
//!   through one `Callback<Action>` (panels that issue many) or calls a narrow callback
//!   (`Callback<DcId>`, …) the App made once, so props compare equal between renders.
//! - Nothing here owns or mutates the `Sim`; the run lives in the core's `Session`.

pub mod lessons;
pub mod pieces;
pub mod url;
pub mod view;

pub use crate::sim::SPEED_MAX;
pub use pieces::{lookup_view, Flight, LookupView, Pieces, RingView, Topo, ViewRow};
pub use url::PageParams;
pub use view::ViewState;

use crate::sim::{
    Breakpoint, CoordState, DcId, EventKind, Hit, MsgKind, SimConfig, SimTime, TableId, TxnId,
    UserCommand,
};
use crate::ui::fmt;
use yew::AttrValue;

/// Everything that can happen to the App: a person's intent, or the clock's tick.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    // ---- the run (reduced through the core's `Session`)
    /// The interval fired: run the simulated time the wall time bought.
    Tick,
    Play,
    Pause,
    TogglePlay,
    /// Run exactly one event (or the next scheduled command), paused.
    Step,
    /// Arm a breakpoint (it fires once unless kept armed), or disarm it (`None`).
    Breakpoint(Option<Breakpoint>),
    /// Keep the breakpoint armed after each hit (the "keep armed" checkbox).
    KeepBreakpoint(bool),
    /// Speed slider position, `0..=SPEED_MAX`.
    Speed(u32),
    /// Move the speed slider by this many positions.
    SpeedBy(i32),
    /// Apply a command; a refusal is shown at `Origin`. An `Issue` from Operate also
    /// remembers its request id to show the result.
    Command(UserCommand, Origin),
    /// Kill the DC if it is up, revive it if down.
    ToggleDc(DcId),
    /// Cut the link direction if it is up, heal it if cut.
    ToggleLink(DcId, DcId),
    NewRun(Box<SimConfig>),
    /// Import a scenario's text: a new run that replays it.
    Import(String),
    /// Open an explorer's counterexample (its scenario text) as the run, with its seeded
    /// bug if any, run to its end and paused there.
    OpenCounterexample {
        scenario: String,
        bug: Option<String>,
    },
    Export,
    /// Look up where a partition key of a table lives (the placement tab's lookup; the
    /// answer follows the run until the key or table changes).
    Lookup(TableId, String),
    // ---- the timeline (reduced through the core's `Session`; each pauses)
    /// Go to an instant: the scrubber, a marker (past the branch's end the run goes on).
    Seek(SimTime),
    /// Go this many simulated ms back (negative) or forward (Shift+← / Shift+→).
    SeekBy(i64),
    /// One event back (←); one event forward is `Step` (→).
    StepBack,
    /// The start of the run (Home).
    SeekStart,
    /// The end of the current branch (End).
    SeekEnd,
    /// Make the named branch current, at the same instant.
    SwitchBranch(String),
    /// Put a share link to the run at the current moment into the share box.
    ShareLink,
    /// Put a share link to the run at an instant (a finding's) into the share box.
    ShareLinkAt(SimTime),
    // ---- the view (reduced by `ViewState::reduce`)
    SelectTxn(Option<TxnId>),
    /// Select a DC; selecting the selected one clears the selection.
    SelectDc(Option<DcId>),
    /// Jump to a moment: select the txn (and show the 2PC tab) and / or the DC of a log
    /// entry or finding.
    Focus {
        txn: Option<TxnId>,
        dc: Option<DcId>,
    },
    Tab(Tab),
    /// Hide or show one kind of message on the map.
    ToggleKind(MsgKind),
    /// Set (or clear) the note next to a control.
    Note(Origin, Note),
    DismissError,
    CycleTheme,
    ToggleLarge,
    ToggleHelp,
    /// Escape: closes the help list if open, else leaves lessons mode.
    CloseHelp,
    // ---- lessons mode (reduced in `app`: a lesson replaces the run)
    /// The header's Learn button: show or hide the lessons list.
    ToggleLessons,
    /// Open the lesson with this id: its run from the start, paused, at step 1.
    OpenLesson(String),
    /// The next step (only once the step's task, if any, is done).
    LessonNext,
    LessonPrev,
    /// ← / → while a lesson is open and the focus is not in the timeline bar.
    LessonKey(bool),
    /// Jump to the step saved in localStorage for this lesson.
    LessonResume,
    /// Replay the lesson from its start: same settings, same commands, same run.
    LessonReset,
    /// Leave lessons mode (the run goes on as a plain run).
    LessonClose,
}

impl Action {
    /// The action of a keyboard shortcut (see the help overlay), if `key` is one.
    pub fn of_key(key: &str) -> Option<Action> {
        Some(match key {
            " " => Action::TogglePlay,
            "s" | "S" => Action::Step,
            "+" | "=" => Action::SpeedBy(100),
            "-" | "_" => Action::SpeedBy(-100),
            "?" => Action::ToggleHelp,
            "Escape" => Action::CloseHelp,
            "ArrowLeft" => Action::StepBack,
            "ArrowRight" => Action::Step,
            "Home" => Action::SeekStart,
            "End" => Action::SeekEnd,
            _ => return None,
        })
    }

    /// The action of a key pressed with Shift held or not: Shift+← / Shift+→ move one
    /// simulated second; every other key is `of_key`'s.
    pub fn of_key_with_shift(key: &str, shift: bool) -> Option<Action> {
        match (key, shift) {
            ("ArrowLeft", true) => Some(Action::SeekBy(-1_000)),
            ("ArrowRight", true) => Some(Action::SeekBy(1_000)),
            _ => Action::of_key(key),
        }
    }
}

/// `g` then one of these keys moves the keyboard focus to a part of the page: (key, CSS
/// selector, what, for the help panel). The part itself takes the focus (`tabindex=-1`),
/// so the next Tab reaches its first control.
pub const PANEL_KEYS: [(&str, &str, &str); 4] = [
    (
        "c",
        "header.topbar",
        "controls (play, step, speed, pause at)",
    ),
    ("m", ".map-panel", "map (DCs, then link handles)"),
    ("d", ".panel.side", "datacenters table and detector matrix"),
    ("t", ".tabs-panel", "tabs and the open panel"),
];

/// The panels of the tab bar.
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
    Explore,
}

impl Tab {
    pub const ALL: [Tab; 9] = [
        Tab::Ring,
        Tab::Txn,
        Tab::Data,
        Tab::Metrics,
        Tab::Log,
        Tab::Findings,
        Tab::Settings,
        Tab::Operate,
        Tab::Explore,
    ];

    /// The `tab-<key>` test hook.
    pub fn key(self) -> &'static str {
        match self {
            Tab::Ring => "ring",
            Tab::Txn => "txn",
            Tab::Data => "data",
            Tab::Metrics => "metrics",
            Tab::Log => "log",
            Tab::Findings => "findings",
            Tab::Settings => "settings",
            Tab::Operate => "operate",
            Tab::Explore => "explore",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Tab::Ring => "Placement",
            Tab::Txn => "2PC",
            Tab::Data => "Data",
            Tab::Metrics => "Metrics",
            Tab::Log => "Event log",
            Tab::Findings => "Checker",
            Tab::Settings => "Settings",
            Tab::Operate => "Operate",
            Tab::Explore => "Explore",
        }
    }
}

/// A view shown on its own, for an iframe (`?embed=<key>`): that view and the run
/// controls, no page chrome.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Embed {
    Map,
    Ring,
    Txn,
    Data,
    Metrics,
}

impl Embed {
    pub const ALL: [Embed; 5] = [
        Embed::Map,
        Embed::Ring,
        Embed::Txn,
        Embed::Data,
        Embed::Metrics,
    ];

    /// The `embed=` value, and the `embed-<key>` test hook of the view's box.
    pub fn key(self) -> &'static str {
        match self {
            Embed::Map => "map",
            Embed::Ring => "ring",
            Embed::Txn => "txn",
            Embed::Data => "data",
            Embed::Metrics => "metrics",
        }
    }

    /// The tab that shows the same view in the full page (the map has none: it is always
    /// there).
    pub fn tab(self) -> Option<Tab> {
        match self {
            Embed::Map => None,
            Embed::Ring => Some(Tab::Ring),
            Embed::Txn => Some(Tab::Txn),
            Embed::Data => Some(Tab::Data),
            Embed::Metrics => Some(Tab::Metrics),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Embed::Map => "World map",
            Embed::Ring => "Placement",
            Embed::Txn => "2PC",
            Embed::Data => "Data",
            Embed::Metrics => "Metrics",
        }
    }
}

/// The breakpoint choices, as the `breakpoint` select and the `pause_at=` URL parameter
/// name them (also the hit note's `data-kind`). Names are a public API: only add.
pub const BREAKPOINTS: [(Option<Breakpoint>, &str); 6] = [
    (None, "none"),
    (Some(Breakpoint::TxnDecision), "txn-decision"),
    (Some(Breakpoint::Failover), "failover"),
    (Some(Breakpoint::Finding), "finding"),
    (Some(Breakpoint::WriteAcked), "write-acked"),
    (Some(Breakpoint::PrepareSent), "prepare-sent"),
];

/// The name of a breakpoint setting (see `BREAKPOINTS`).
pub fn bp_key(bp: Option<Breakpoint>) -> &'static str {
    BREAKPOINTS
        .iter()
        .find(|(b, _)| *b == bp)
        .map(|(_, k)| *k)
        .unwrap_or("none")
}

/// The breakpoint setting named `k`; `None` if no setting has that name.
pub fn bp_parse(k: &str) -> Option<Option<Breakpoint>> {
    BREAKPOINTS.iter().find(|(_, n)| *n == k).map(|(b, _)| *b)
}

/// Where a command came from, so its refusal is shown next to that control.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// No place of its own: the page's error banner.
    Banner,
    Settings,
    Latency,
    Network,
    Ring,
    Operate,
    NewRun,
    Scenario,
}

/// How many origins there are (the notes array's length).
pub const ORIGINS: usize = 8;

/// Feedback for one control: `Ok(text)` or `Err(text)`.
pub type Note = Option<Result<AttrValue, AttrValue>>;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Theme {
    Auto,
    Light,
    Dark,
}

impl Theme {
    /// The theme the toggle switches to.
    pub fn next(self) -> Theme {
        match self {
            Theme::Auto => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Auto,
        }
    }
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

impl BreakpointHit {
    /// Explains the core's `Hit` in words, naming DCs by `names` and tables by `cfg`.
    pub fn explain(hit: &Hit, names: &fmt::Names, cfg: &SimConfig) -> BreakpointHit {
        let e = &hit.event;
        let name = |d: DcId| fmt::dc_name(names, d);
        let coord = || e.dc.map(name).unwrap_or_else(|| "the coordinator".into());
        let text = match &e.kind {
            EventKind::Coord {
                txn,
                state: CoordState::Working,
            } => format!(
                "Paused: {txn}'s coordinator {} has sent PREPARE to its participants; no vote is back yet — kill a participant or cut a link now to see the transaction abort, or the coordinator to see it presumed aborted.",
                coord()
            ),
            EventKind::Coord { txn, state } => {
                let what = if *state == CoordState::Committed {
                    "COMMIT"
                } else {
                    "ABORT"
                };
                let coord = coord();
                format!(
                    "Paused: {txn}'s coordinator {coord} has decided {what}; its decision has not left yet — kill it now to see participants block in doubt."
                )
            }
            EventKind::FailoverIssued {
                table,
                shard,
                term,
                old,
                new,
            } => {
                let tables: Vec<String> = cfg.tables.iter().map(|t| t.name.clone()).collect();
                let shard = crate::ui::fmt::shard(&tables, *table, *shard);
                let (old, new) = (name(*old), name(*new));
                format!(
                    "Paused: a failover was issued for {shard}: {old} → {new} (epoch {}) — watch the new primary take over; revive {old} later to see it step down.",
                    crate::ui::fmt::epoch(*term)
                )
            }
            EventKind::Finding { index, kind } => format!(
                "Paused: the checker reported a finding (#{index}, {}) — open the Checker tab to see what broke and why.",
                kind.label()
            ),
            EventKind::Op {
                req, label, detail, ..
            } => {
                let at = e.dc.map(|d| format!(" at {}", name(d))).unwrap_or_default();
                format!(
                    "Paused: {label} {}{at} was acknowledged ({detail}) — kill the key's primary now: under async replication the write may not have reached any replica yet.",
                    fmt::req(*req)
                )
            }
            _ => String::from("Paused at the breakpoint."),
        };
        BreakpointHit {
            kind: hit.breakpoint,
            seq: e.seq,
            at: e.at,
            text: text.into(),
            txn: hit.txn,
            dc: hit.dc,
        }
    }
}
