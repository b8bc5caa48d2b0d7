//! Manual operations: GetRow / PutRow / DeleteRow / Transaction from a client at a chosen
//! home DC. Invariant: the form is parsed with `scenario::parse_form`; nothing is issued
//! unless it parses, and the error is shown next to the form.

use crate::sim::{parse_form, FormOp};
use crate::sim::{DcId, Event as SimEvent, EventKind, ReqId, SimConfig, TableId, UserCommand};
use crate::ui::components::el::AttrText;
use crate::ui::components::{input_value, note_view};
use crate::ui::fmt;
use crate::ui::state::{Note, Topo};
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub config: Rc<SimConfig>,
    pub topo: Rc<Topo>,
    pub note: Note,
    pub last_op: Option<ReqId>,
    pub events: Rc<Vec<Arc<SimEvent>>>,
    /// Issue the parsed operation (an `Issue` command).
    pub on_issue: Callback<UserCommand>,
}

const OPS: [(&str, &str, FormOp); 4] = [
    ("get", "GetRow", FormOp::Get),
    ("put", "PutRow", FormOp::Put),
    ("delete", "DeleteRow", FormOp::Delete),
    ("txn", "Transaction (2PC)", FormOp::Txn),
];

#[function_component(OperatePanel)]
pub fn operate_panel(p: &Props) -> Html {
    let op = use_state(|| 1usize);
    let table = use_state(|| 0usize);
    let key = use_state(|| "k1".to_string());
    let cols = use_state(|| "name=alice, balance=10".to_string());
    let home = use_state(|| None::<DcId>);
    let error = use_state(|| None::<String>);
    let cfg = &p.config;
    let names = &p.topo.names;
    let home_id = home
        .filter(|h| names.iter().any(|n| n.0 == *h))
        .or(names.first().map(|n| n.0));
    let t_idx = (*table).min(cfg.tables.len().saturating_sub(1));
    let spec = cfg.tables.get(t_idx);
    let form_op = OPS[(*op).min(3)].2;

    let issue = {
        let (cfg, key, cols, error, cb) = (
            cfg.clone(),
            key.clone(),
            cols.clone(),
            error.clone(),
            p.on_issue.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(home) = home_id else {
                error.set(Some("Pick a home DC.".into()));
                return;
            };
            match parse_form(&cfg, form_op, TableId(t_idx as u16), &key, &cols) {
                Ok(op) => {
                    error.set(None);
                    cb.emit(UserCommand::Issue { home, op });
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        })
    };
    let result = p.last_op.map(|req| {
        let done = p.events.iter().rev().find_map(|e| match &e.kind {
            EventKind::Op { req: r, label, ok, detail, latency_ms } if *r == req => Some((e.at, label.clone(), *ok, detail.clone(), *latency_ms)),
            _ => None,
        });
        match done {
            Some((at, label, ok, detail, ms)) => html! {
                <p class={classes!("note", if ok { "ok" } else { "err" })} data-testid="op-result" data-ok={ok.attr()}>
                    { format!("{} {label} {} at {at} after {ms} ms{}{detail}", fmt::req(req), if ok { "succeeded" } else { "failed" }, if detail.is_empty() { "" } else { ": " }) }
                </p>
            },
            None => html! { <p class="note" data-testid="op-result" data-ok="pending">{ format!("{} in progress…", fmt::req(req)) }</p> },
        }
    });
    let op_opts = OPS.iter().enumerate().map(|(i, (v, l, _))| html! { <option key={*v} value={i.attr()} selected={i == *op}>{ *l }</option> });
    let t_opts = cfg.tables.iter().enumerate().map(|(i, t)| html! { <option key={i} value={i.attr()} selected={i == t_idx}>{ t.name.clone() }</option> });
    let h_opts = names.iter().map(|(id, n)| html! { <option key={id.0} value={id.0.attr()} selected={Some(*id) == home_id}>{ n.clone() }</option> });
    let set_idx = |s: UseStateHandle<usize>| {
        Callback::from(move |e: Event| s.set(input_value(&e).parse().unwrap_or(0)))
    };
    let set_text =
        |s: UseStateHandle<String>| Callback::from(move |e: InputEvent| s.set(input_value(&e)));
    let on_home = {
        let h = home.clone();
        Callback::from(move |e: Event| h.set(input_value(&e).parse::<u16>().ok().map(DcId)))
    };
    let key_hint = match (form_op, spec) {
        (FormOp::Txn, Some(s)) => format!(
            "2–16 keys separated by ';' — e.g. k1; k2; k3 ({})",
            s.pk.join("/")
        ),
        (_, Some(s)) => format!("{} — parts separated by '/'", s.pk.join("/")),
        _ => String::new(),
    };
    let needs_cols = matches!(form_op, FormOp::Put | FormOp::Txn);
    html! {
        <div class="operate-panel">
            <h2>{ "Operate" }</h2>
            <p class="caption">{ "Issue one client operation from a home DC; its messages fly on the map and its result lands in the event log (category client) and below." }</p>
            <form class="op-form" onsubmit={issue}>
                <label>{ "operation" }<select data-testid="op-kind" onchange={set_idx(op.clone())}>{ for op_opts }</select></label>
                <label>{ "table" }<select data-testid="op-table" onchange={set_idx(table.clone())}>{ for t_opts }</select></label>
                <label class="wide">{ "key" }<input type="text" data-testid="op-key" value={(*key).clone()} oninput={set_text(key.clone())}
                    aria-invalid={error.is_some().attr()} /><span class="hint">{ key_hint }</span></label>
                if needs_cols {
                    <label class="wide">{ "columns" }<input type="text" data-testid="op-columns" value={(*cols).clone()} oninput={set_text(cols.clone())} />
                        <span class="hint">{ spec.map(|s| format!("name=value, … — columns: {}", s.columns.join(", "))).unwrap_or_default() }</span></label>
                }
                <label>{ "home DC" }<select data-testid="op-home" onchange={on_home}>{ for h_opts }</select></label>
                <button class="primary" type="submit" data-testid="op-issue">{ "Issue" }</button>
            </form>
            if let Some(e) = &*error { <p class="note err" data-testid="op-error">{ e.clone() }</p> }
            { note_view(&p.note, "op-error") }
            { for result }
            if let Some(h) = home_id { <p class="caption">{ format!("The client at {} sends the request to the key's owner (or a replica, by the read policy).", fmt::dc_name(names, h)) }</p> }
        </div>
    }
}
