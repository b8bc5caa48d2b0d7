//! What the person looks at, apart from the run: the tab, the selection, hidden message
//! kinds, the notes next to controls, presentation — and its reducer.
//!
//! Invariants:
//! - `reduce` handles exactly the view actions (see `Action`) and touches nothing else;
//!   the run's actions go to the core's `Session` (in `app`).
//! - A note belongs to one `Origin`; `Origin::Banner`'s note is the page's error banner.
//! - The selected transaction is an id, changed only by the person (select, focus) or by
//!   a transaction breakpoint's hit; new transactions never change it.
//! - Starting a new run (`forget_run`) clears what pointed into the old one: selections,
//!   the last manual request, the breakpoint hit.

use super::{Action, BreakpointHit, Embed, Note, Origin, Tab, Theme, ORIGINS};
use crate::sim::{DcId, MsgKind, ReqId, TableId, TxnId};
use yew::AttrValue;

pub struct ViewState {
    pub tab: Tab,
    /// The one view shown, with no page chrome (`?embed=<view>`); `None`: the whole page.
    pub embed: Option<Embed>,
    pub selected_txn: Option<TxnId>,
    pub selected_dc: Option<DcId>,
    /// Bit `k` set: message kind `k` is hidden on the map.
    pub hidden_kinds: u32,
    pub theme: Theme,
    pub large: bool,
    pub help: bool,
    /// The banner's text (URL errors, refused commands without a place of their own).
    pub error: Option<String>,
    notes: [Note; ORIGINS],
    /// The last exported scenario text, shown in the scenario box.
    pub export: Option<AttrValue>,
    /// The last manual request, whose result the Operate panel shows.
    pub last_op: Option<ReqId>,
    /// Why the run is paused at a breakpoint, until Play / Step / a new run.
    pub hit: Option<BreakpointHit>,
    /// The table and partition key typed into the placement tab's lookup.
    pub lookup: (TableId, String),
}

/// The bit of a message kind in `hidden_kinds`.
pub fn kind_bit(k: MsgKind) -> u32 {
    1 << (k as u32)
}

impl ViewState {
    /// The start: the 2PC tab, nothing selected, `error` in the banner.
    pub fn new(error: Option<String>) -> ViewState {
        ViewState {
            tab: Tab::Txn,
            embed: None,
            selected_txn: None,
            selected_dc: None,
            hidden_kinds: 0,
            theme: Theme::Auto,
            large: false,
            help: false,
            error,
            notes: Default::default(),
            export: None,
            last_op: None,
            hit: None,
            lookup: (TableId(0), String::new()),
        }
    }

    /// Shows only `view` (an embed); its tab, if it has one, becomes the current tab.
    pub fn embed(&mut self, view: Embed) {
        self.embed = Some(view);
        if let Some(t) = view.tab() {
            self.tab = t;
        }
    }

    /// Whether the panel of `tab` is on screen: the current tab of the whole page, or the
    /// embedded view.
    pub fn shows(&self, tab: Tab) -> bool {
        match self.embed {
            Some(e) => e.tab() == Some(tab),
            None => self.tab == tab,
        }
    }

    /// The note next to the controls of `o`.
    pub fn note(&self, o: Origin) -> Note {
        self.notes[o as usize].clone()
    }

    /// Sets the note of `o`; the banner keeps only errors.
    pub fn set_note(&mut self, o: Origin, n: Note) {
        if o == Origin::Banner {
            self.error = n.and_then(|r| r.err()).map(|s| s.to_string());
        } else {
            self.notes[o as usize] = n;
        }
    }

    /// Shows a breakpoint hit; at a transaction breakpoint (a 2PC decision, PREPARE sent)
    /// also selects the transaction in the 2PC tab, so its diagram shows — and stays, as
    /// any selection does, until the person picks another (or another hit selects its).
    pub fn show_hit(&mut self, hit: BreakpointHit) {
        if hit.kind.is_txn() {
            if let Some(t) = hit.txn {
                self.selected_txn = Some(t);
                self.tab = Tab::Txn;
            }
        }
        self.hit = Some(hit);
    }

    /// Forgets what pointed into the previous run.
    pub fn forget_run(&mut self) {
        self.selected_txn = None;
        self.selected_dc = None;
        self.last_op = None;
        self.hit = None;
    }

    /// Reduces a view action; returns whether the page changes. Run actions are not
    /// handled here (false).
    pub fn reduce(&mut self, action: Action) -> bool {
        match action {
            Action::SelectTxn(t) => self.selected_txn = t,
            Action::SelectDc(d) => {
                self.selected_dc = if self.selected_dc == d { None } else { d };
            }
            Action::Focus { txn, dc } => {
                if let Some(t) = txn {
                    self.selected_txn = Some(t);
                    self.tab = Tab::Txn;
                }
                if dc.is_some() {
                    self.selected_dc = dc;
                }
            }
            Action::Tab(t) => self.tab = t,
            Action::ToggleKind(k) => self.hidden_kinds ^= kind_bit(k),
            Action::Note(o, n) => self.set_note(o, n),
            Action::DismissError => self.error = None,
            Action::CycleTheme => self.theme = self.theme.next(),
            Action::ToggleLarge => self.large = !self.large,
            Action::ToggleHelp => self.help = !self.help,
            Action::CloseHelp => self.help = false,
            _ => return false,
        }
        true
    }
}
