//! The event log: the snapshot's recent events, newest first, filterable by DC and
//! category; heartbeat drops are hidden by default (they drown everything else during a
//! partition). Clicking an entry selects its transaction and/or DC.
//! Invariant: filters are UI state only; the log content is the snapshot's.

use crate::sim::MsgKind;
use crate::sim::{DcId, Event as SimEvent, EventKind, TxnId};
use crate::ui::components::el::AttrText;
use crate::ui::components::{input_checked, input_value};
use crate::ui::fmt;
use crate::ui::state::Topo;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

/// Entries rendered at most after filtering.
const MAX_SHOWN: usize = 150;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub events: Rc<Vec<Arc<SimEvent>>>,
    pub topo: Rc<Topo>,
    pub selected_dc: Option<DcId>,
    pub selected_txn: Option<TxnId>,
    /// Jump to an entry's transaction and / or DC.
    pub on_focus: Callback<(Option<TxnId>, Option<DcId>)>,
}

fn involves(e: &SimEvent, d: DcId) -> bool {
    if e.dc == Some(d) {
        return true;
    }
    match &e.kind {
        EventKind::LinkCut { from, to }
        | EventKind::LinkHealed { from, to }
        | EventKind::LatencySet { from, to, .. } => *from == d || *to == d,
        EventKind::Dropped { src, dst, .. } => *src == d || *dst == d,
        EventKind::View { target, .. } => *target == d,
        EventKind::FailoverIssued { old, new, .. } => *old == d || *new == d,
        _ => false,
    }
}

fn is_heartbeat_drop(e: &SimEvent) -> bool {
    matches!(
        e.kind,
        EventKind::Dropped {
            kind: MsgKind::Heartbeat,
            ..
        }
    )
}

#[function_component(LogPanel)]
pub fn log_panel(p: &Props) -> Html {
    let dc_filter = use_state(|| None::<DcId>);
    // Bit i set = category i hidden.
    let hidden = use_state(|| 0u32);
    let heartbeats = use_state(|| false);
    let names = &p.topo.names;

    let on_dc = {
        let f = dc_filter.clone();
        Callback::from(move |e: Event| f.set(input_value(&e).parse::<u16>().ok().map(DcId)))
    };
    let on_hb = {
        let h = heartbeats.clone();
        Callback::from(move |e: Event| h.set(input_checked(&e)))
    };
    let cats = EventKind::CATEGORIES.iter().enumerate().map(|(i, c)| {
        let h = hidden.clone();
        let on = *hidden & (1 << i) == 0;
        html! {
            <label key={*c} class="chip">
                <input type="checkbox" checked={on} data-testid={format!("log-cat-{c}")}
                    onchange={Callback::from(move |_: Event| h.set(*h ^ (1 << i)))} />{ *c }
            </label>
        }
    });
    let dc_opts = names.iter().map(|(id, n)| html! { <option key={id.0} value={id.0.attr()} selected={*dc_filter == Some(*id)}>{ n.clone() }</option> });

    let shown = p
        .events
        .iter()
        .rev()
        .filter(|e| {
            let cat = e.kind.category();
            let ci = EventKind::CATEGORIES
                .iter()
                .position(|c| *c == cat)
                .unwrap_or(0);
            *hidden & (1 << ci) == 0
                && (*heartbeats || !is_heartbeat_drop(e))
                && dc_filter.is_none_or(|d| involves(e, d))
        })
        .take(MAX_SHOWN);
    let rows = shown.map(|e| {
        let txn = fmt::event_txn(e);
        let dc = e.dc;
        let focus = p.on_focus.clone();
        let hl = (txn.is_some() && txn == p.selected_txn) || p.selected_dc.is_some_and(|d| involves(e, d));
        let cat = e.kind.category();
        let bad = matches!(&e.kind, EventKind::Op { ok: false, .. } | EventKind::Finding { .. } | EventKind::Killed);
        html! {
            <li key={e.seq} class={classes!("log-entry", hl.then_some("hl"), bad.then_some("bad"))} data-testid={format!("log-entry-{}", e.seq)}
                data-category={cat} onclick={Callback::from(move |_: MouseEvent| focus.emit((txn, dc)))}>
                <span class="log-time mono">{ fmt::time(e.at) }</span>
                <span class="log-dc">
                    if let Some(d) = e.dc { <span class={classes!("swatch", fmt::dc_bg(d))} />{ fmt::dc_name(names, d) } }
                </span>
                <span class={classes!("cat", cat)}>{ cat }</span>
                <span class="log-text">{ fmt::event_text(e, names, &p.topo.tables) }</span>
            </li>
        }
    });
    html! {
        <div class="log-panel" data-testid="log">
            <div class="row filters">
                <h2>{ "Event log" }</h2>
                <label>{ "DC " }
                    <select data-testid="log-dc" onchange={on_dc}>
                        <option value="" selected={dc_filter.is_none()}>{ "all" }</option>
                        { for dc_opts }
                    </select>
                </label>
                { for cats }
                <label class="chip"><input type="checkbox" checked={*heartbeats} data-testid="log-heartbeats" onchange={on_hb} />{ "heartbeat drops" }</label>
            </div>
            <p class="caption">{ "Newest first. Click an entry to select its transaction or DC." }</p>
            // It scrolls: focusable, so the arrows and Page Up / Down scroll it from the keyboard.
            <ol class="log plain" tabindex="0" aria-label="Event log entries, newest first">{ for rows }</ol>
        </div>
    }
}
