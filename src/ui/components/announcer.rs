//! A polite live region (`aria-live`) that tells a screen reader what a person watching the
//! map would notice: a DC going down or up, a failover and its new primary, a transaction
//! in doubt, a checker violation. Read from the event log piece the page already has.
//!
//! Invariants:
//! - Each event is announced at most once: the component remembers the newest `seq` it
//!   has read; the events before the first render, and after a new run or a jump back in
//!   time (the newest `seq` went down), are taken as read, never announced.
//! - It never floods: at most one message per `EVERY_MS` of wall time. What arrives in
//!   between waits and is coalesced into the next message (counted, the names kept short).
//! - It holds no simulation state, only what it has not said yet; the wait is a timer,
//!   not a clock read.

use crate::sim::{DcId, Event, EventKind, PartState, TxnId};
use crate::ui::components::el::AttrText;
use crate::ui::fmt;
use crate::ui::state::Topo;
use gloo_timers::callback::Timeout;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

/// Least wall time between two messages.
pub const EVERY_MS: u32 = 2_000;
/// Names listed in one part of a message before "and N more".
const NAMES: usize = 3;

#[derive(Properties)]
pub struct Props {
    pub events: Rc<Vec<Arc<Event>>>,
    pub topo: Rc<Topo>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.events, &o.events) && Rc::ptr_eq(&self.topo, &o.topo)
    }
}

/// Something worth saying, not said yet.
#[derive(Clone, Debug, PartialEq)]
enum Note {
    Down(DcId),
    Up(DcId),
    /// `new` became the primary of a shard (named), in place of `old`.
    Failover {
        shard: String,
        old: DcId,
        new: DcId,
    },
    InDoubt(TxnId, Option<DcId>),
    Violation(&'static str),
}

fn note_of(e: &Event, topo: &Topo) -> Option<Note> {
    Some(match &e.kind {
        EventKind::Killed => Note::Down(e.dc?),
        EventKind::Revived => Note::Up(e.dc?),
        EventKind::FailoverIssued {
            table,
            shard,
            old,
            new,
            ..
        } => Note::Failover {
            shard: fmt::shard(&topo.tables, *table, *shard),
            old: *old,
            new: *new,
        },
        EventKind::Part {
            txn,
            state: PartState::InDoubt,
        } => Note::InDoubt(*txn, e.dc),
        EventKind::Finding { kind, .. } if kind.is_violation() => Note::Violation(kind.label()),
        _ => return None,
    })
}

/// "a, b and c", at most `NAMES` then "and N more"; repeats dropped.
fn list(items: impl IntoIterator<Item = String>) -> String {
    let mut v: Vec<String> = Vec::new();
    for i in items {
        if !v.contains(&i) {
            v.push(i);
        }
    }
    let more = v.len().saturating_sub(NAMES);
    v.truncate(NAMES);
    match (v.len(), more) {
        (0, _) => String::new(),
        (1, 0) => v[0].clone(),
        (_, 0) => {
            let last = v.pop().unwrap_or_default();
            format!("{} and {last}", v.join(", "))
        }
        _ => format!("{} and {more} more", v.join(", ")),
    }
}

/// One message for everything pending, in a fixed order: faults, failovers, 2PC, checker.
fn message(notes: &[Note], topo: &Topo) -> String {
    let name = |d: DcId| fmt::dc_name(&topo.names, d);
    let mut parts: Vec<String> = Vec::new();
    // A DC that went down and came back within one message: its last state counts.
    let mut last: Vec<(DcId, bool)> = Vec::new();
    for n in notes {
        if let Note::Down(d) | Note::Up(d) = n {
            let up = matches!(n, Note::Up(_));
            match last.iter_mut().find(|(x, _)| x == d) {
                Some(slot) => slot.1 = up,
                None => last.push((*d, up)),
            }
        }
    }
    let down: Vec<String> = last.iter().filter(|x| !x.1).map(|x| name(x.0)).collect();
    let up: Vec<String> = last.iter().filter(|x| x.1).map(|x| name(x.0)).collect();
    if !down.is_empty() {
        let verb = if down.len() == 1 { "is" } else { "are" };
        parts.push(format!("{} {verb} down", list(down)));
    }
    if !up.is_empty() {
        let verb = if up.len() == 1 { "is" } else { "are" };
        parts.push(format!("{} {verb} up again", list(up)));
    }
    let failovers: Vec<(&String, DcId, DcId)> = notes
        .iter()
        .filter_map(|n| match n {
            Note::Failover { shard, old, new } => Some((shard, *old, *new)),
            _ => None,
        })
        .collect();
    match failovers.as_slice() {
        [] => {}
        [(shard, old, new)] => parts.push(format!(
            "failover: {} is the new primary of {shard}, replacing {}",
            name(*new),
            name(*old)
        )),
        many => parts.push(format!(
            "failover of {} shards: new primary {}, replacing {}",
            many.len(),
            list(many.iter().map(|f| name(f.2))),
            list(many.iter().map(|f| name(f.1)))
        )),
    }
    let doubt: Vec<(TxnId, Option<DcId>)> = notes
        .iter()
        .filter_map(|n| match n {
            Note::InDoubt(t, d) => Some((*t, *d)),
            _ => None,
        })
        .collect();
    match doubt.as_slice() {
        [] => {}
        [(t, Some(d))] => parts.push(format!(
            "transaction {} in doubt at {}",
            fmt::txn(*t),
            name(*d)
        )),
        [(t, None)] => parts.push(format!("transaction {} in doubt", fmt::txn(*t))),
        many => {
            let mut txns: Vec<TxnId> = many.iter().map(|x| x.0).collect();
            txns.dedup();
            parts.push(format!(
                "{} in doubt: {}",
                if txns.len() == 1 {
                    "a transaction is"
                } else {
                    "transactions are"
                },
                list(many.iter().map(|x| fmt::txn(x.0)))
            ));
        }
    }
    let bad: Vec<&'static str> = notes
        .iter()
        .filter_map(|n| match n {
            Note::Violation(k) => Some(*k),
            _ => None,
        })
        .collect();
    match bad.len() {
        0 => {}
        1 => parts.push(format!("checker violation: {}", bad[0])),
        n => parts.push(format!(
            "{n} checker violations: {}",
            list(bad.iter().map(|k| k.to_string()))
        )),
    }
    // Not capitalised: a message may start with a DC's name, which is spelled as given.
    let mut s = parts.join(". ");
    if !s.is_empty() {
        s.push('.');
    }
    s
}

pub enum Msg {
    /// The wait after a message is over.
    Ready,
}

pub struct Announcer {
    /// The newest event read (`None`: nothing read yet; the first render reads all).
    seen: Option<u64>,
    pending: Vec<Note>,
    /// What the region says now.
    text: String,
    /// Messages said in this page (for tests: `data-count`).
    count: u64,
    /// Running while the last message's wait lasts.
    wait: Option<Timeout>,
}

impl Announcer {
    /// Reads the events newer than the last one read.
    fn read(&mut self, p: &Props) {
        let newest = p.events.last().map_or(0, |e| e.seq);
        match self.seen {
            Some(s) if newest >= s => {
                let fresh = p.events.iter().filter(|e| e.seq > s);
                self.pending
                    .extend(fresh.filter_map(|e| note_of(e, &p.topo)));
            }
            // First render, a new run or a jump back: all of it counts as read.
            _ => self.pending.clear(),
        }
        self.seen = Some(newest);
    }

    /// Says what is pending, if the last message's wait is over; starts the next wait.
    fn say(&mut self, ctx: &Context<Self>) -> bool {
        if self.wait.is_some() || self.pending.is_empty() {
            return false;
        }
        let text = message(&std::mem::take(&mut self.pending), &ctx.props().topo);
        if text.is_empty() {
            return false;
        }
        self.text = text;
        self.count += 1;
        let link = ctx.link().clone();
        self.wait = Some(Timeout::new(EVERY_MS, move || {
            link.send_message(Msg::Ready)
        }));
        true
    }
}

impl Component for Announcer {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let mut a = Announcer {
            seen: None,
            pending: Vec::new(),
            text: String::new(),
            count: 0,
            wait: None,
        };
        a.read(ctx.props());
        a
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Ready => {
                self.wait = None;
                self.say(ctx)
            }
        }
    }

    fn changed(&mut self, ctx: &Context<Self>, _old: &Props) -> bool {
        self.read(ctx.props());
        self.say(ctx)
    }

    fn view(&self, _ctx: &Context<Self>) -> Html {
        html! {
            <div class="sr-only" role="status" aria-live="polite" aria-atomic="true"
                data-testid="announcer" data-count={self.count.attr()}>{ self.text.clone() }</div>
        }
    }
}
